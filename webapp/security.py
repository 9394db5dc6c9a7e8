"""CSRF protection for every form and security headers on every response."""

from flask import Flask, Response
from flask_wtf.csrf import CSRFProtect

csrf = CSRFProtect()

_CSP = "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; frame-ancestors 'none'"


def _headers(response: Response) -> Response:
    response.headers.setdefault("Content-Security-Policy", _CSP)
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("X-Frame-Options", "DENY")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    return response


def init_app(app: Flask) -> None:
    """Enable CSRF tokens and the headers."""
    if app.config.get("TESTING") and "WTF_CSRF_ENABLED" not in app.config:
        app.config["WTF_CSRF_ENABLED"] = True
    csrf.init_app(app)
    app.after_request(_headers)
