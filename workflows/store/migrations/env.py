"""Alembic's environment, configured in code: no alembic.ini.

``workflows.store.schema`` builds the Alembic ``Config`` and passes an open connection in
``config.attributes["connection"]``; the migrations run inside that connection's transaction.
Scripts are written in batch mode (``render_as_batch``), so that one revision runs on SQLite, which
can change a column only by copying its table, and on PostgreSQL, where batch operations are plain
``ALTER TABLE``.
"""

from alembic import context

from workflows.store import Base
from workflows.store.base import CompressedText, UTCDateTime


def _render_item(type_name, obj, _autogen_context):
    """Write our column types as the database types they are, so revisions do not import the models."""
    if type_name == "type" and isinstance(obj, UTCDateTime):
        return "sa.DateTime(timezone=True)"
    if type_name == "type" and isinstance(obj, CompressedText):
        return "sa.LargeBinary()"
    return False


def _skip_if_empty(_context, _revision, directives) -> None:
    """With ``skip_empty`` set (``python -m workflows.store.migrations new``), write no empty revision."""
    if context.config.attributes.get("skip_empty") and directives[0].upgrade_ops.is_empty():
        directives[:] = []


def run_migrations() -> None:
    """Run the requested command on the connection the caller handed over."""
    connection = context.config.attributes.get("connection")
    if connection is None:
        raise RuntimeError("run migrations through workflows.store.schema or `python -m workflows.store.migrations`")
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        render_as_batch=True,
        render_item=_render_item,
        process_revision_directives=_skip_if_empty,
    )
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    raise RuntimeError("offline (--sql) mode is not supported: migrations run on a live connection")
run_migrations()
