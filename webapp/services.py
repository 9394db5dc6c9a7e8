"""The engine's outside services for this app: the PDF renderer and the document store."""

from flask import Flask, current_app

from workflows.documents import DocumentStore
from workflows.step import Services

from .documents import render_pdf


def init_app(app: Flask) -> None:
    """Bind the services to the app's data folder."""
    store = DocumentStore(app.config["DIBAO_DATA_DIR"] + "/documents")
    app.extensions["dibao_services"] = Services(render=render_pdf, store=store,
                                                public_url=app.config["DIBAO_PUBLIC_URL"])


def get() -> Services:
    """The services of the current app."""
    return current_app.extensions["dibao_services"]
