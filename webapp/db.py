"""The database for the web app: one engine per app, one session per request.

A view that changes anything calls :func:`commit` once at its end (one step = one transaction);
the teardown rolls back whatever was not committed, so an error never half-saves.
"""

from flask import Flask, current_app, g
from sqlalchemy.orm import Session

from workflows import store


def init_app(app: Flask) -> None:
    """Create the engine and session factory and register the teardown."""
    url = app.config["DATABASE_URL"]
    kwargs = {}
    if url in ("sqlite://", "sqlite:///:memory:"):
        from sqlalchemy.pool import StaticPool  # noqa: PLC0415 - one shared in-memory database for tests

        kwargs = {"poolclass": StaticPool, "connect_args": {"check_same_thread": False}}
    engine = store.make_engine(url, **kwargs)
    app.extensions["dibao_db"] = {"engine": engine, "factory": store.make_session_factory(engine)}
    app.teardown_appcontext(_close)


def engine():
    """The app's SQLAlchemy engine."""
    return current_app.extensions["dibao_db"]["engine"]


def factory():
    """The app's session factory (for CLI commands that run many transactions)."""
    return current_app.extensions["dibao_db"]["factory"]


def session() -> Session:
    """The request's session."""
    if "db_session" not in g:
        g.db_session = factory()()
    return g.db_session


def commit() -> None:
    """Commit the request's transaction."""
    session().commit()


def _close(_exc) -> None:
    sess = g.pop("db_session", None)
    if sess is not None:
        sess.rollback()
        sess.close()
