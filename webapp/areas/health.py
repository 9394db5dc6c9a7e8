"""Health and readiness for load balancers and process managers (no login, no personal data)."""

from flask import Blueprint, jsonify
from sqlalchemy import inspect, text

from workflows.store import Base, schema

from .. import db
from ..documents import check_fonts

bp = Blueprint("health", __name__)


@bp.route("/healthz")
def healthz():
    """The process is up."""
    return jsonify(status="ok")


@bp.route("/readyz")
def readyz():
    """Ready to serve: the database answers, its schema is this release's and the document font is there."""
    problems = []
    try:
        with db.engine().connect() as conn:
            conn.execute(text("SELECT 1"))
            missing = set(Base.metadata.tables) - set(inspect(conn).get_table_names())
        if missing:
            problems.append(f"missing tables: {', '.join(sorted(missing))} (run init-db)")
        revision, head = schema.current_revision(db.engine()), schema.head_revision()
        if revision is not None and revision != head:  # new code on an old schema: serving would fail
            problems.append(f"schema at {revision}, this release needs {head} (run init-db)")
    except Exception as err:  # noqa: BLE001 - any database failure means not ready
        problems.append(f"database: {type(err).__name__}")
    problems += check_fonts()
    return jsonify(status="ready" if not problems else "not ready", problems=problems), 200 if not problems else 503
