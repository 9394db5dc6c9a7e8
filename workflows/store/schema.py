"""Schema revisions: bring any database to the newest one (Alembic, configured in code).

The revisions are the scripts in ``workflows/store/migrations/versions``; a database records the one
it is at in its ``alembic_version`` table. A database made before migrations existed (by
``Base.metadata.create_all``) has no such table: its revision is recognised from its tables and
columns, recorded ("stamped"), and the database is upgraded from there. An empty database is built
by running every revision, so every database goes through the same scripts.

A schema change is one transaction. On PostgreSQL it also holds an advisory lock, so ``init-db``
run on two hosts at once upgrades once. On SQLite the change runs in a real transaction with
foreign keys off (batch mode copies tables; the keys are checked before the commit).
"""

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, create_engine, inspect, text

from .base import Base

MIGRATIONS = Path(__file__).with_name("migrations")
VERSION_TABLE = "alembic_version"
# The schemas create_all could have made before migrations existed, newest first.
LEGACY_REVISIONS = ("0002_procedure", "0001_backbone")
_PG_LOCK_KEY = 640_104_000_006  # pg_advisory_xact_lock key of schema changes
log = logging.getLogger(__name__)


class SchemaError(RuntimeError):
    """The database's schema is not one this code can upgrade, or a migration left it inconsistent."""


def config(connection: Connection | None = None) -> Config:
    """The Alembic configuration (no ini file), running on ``connection`` if one is given.

    Args:
        connection: An open connection the migrations run on, in its transaction.

    Returns:
        A ``Config`` for ``alembic.command`` functions.
    """
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.set_main_option("path_separator", "os")
    cfg.set_main_option("file_template", "%%(rev)s")  # revision ids are "NNNN_slug": the file is named after it
    cfg.attributes["connection"] = connection
    return cfg


def head_revision() -> str:
    """The newest revision of the scripts (what ``upgrade`` brings a database to)."""
    return ScriptDirectory.from_config(config()).get_current_head()


def current_revision(engine: Engine) -> str | None:
    """The revision recorded in the database, or None (empty, or made before migrations existed)."""
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def upgrade(engine: Engine) -> str:
    """Bring the database to the newest revision; safe to repeat.

    An empty database is created by running every revision; one made by ``create_all`` before
    migrations existed is recognised, stamped with its revision and upgraded from there.

    Args:
        engine: The database's engine.

    Returns:
        The revision the database is at now (the head).

    Raises:
        SchemaError: The database holds tables of this application in no known arrangement.
    """
    with _migrating(engine) as conn:
        cfg = config(conn)
        start = MigrationContext.configure(conn).get_current_revision()
        if start is None:
            start = _legacy_revision(conn)
            if start is not None:
                log.info("database without %s recognised as revision %s: stamped", VERSION_TABLE, start)
                command.stamp(cfg, start)
        command.upgrade(cfg, "head")
        now = MigrationContext.configure(conn).get_current_revision()
        if now != start:
            log.info("schema upgraded from %s to %s", start or "an empty database", now)
        return now


def upgrade_to(engine: Engine, revision: str) -> str:
    """Build an empty database up to ``revision`` (a restore writes its rows at the backup's revision)."""
    with _migrating(engine) as conn:
        command.upgrade(config(conn), revision)
        return MigrationContext.configure(conn).get_current_revision()


def downgrade(engine: Engine, revision: str) -> str | None:
    """Take a database back to an older revision (data in dropped tables and columns is lost).

    Args:
        engine: The database's engine; it must record its revision.
        revision: The revision to go back to, or ``"base"`` for no tables at all.

    Returns:
        The revision the database is at now (None at base).
    """
    with _migrating(engine) as conn:
        command.downgrade(config(conn), revision)
        return MigrationContext.configure(conn).get_current_revision()


@contextmanager
def _migrating(engine: Engine) -> Iterator[Connection]:
    """A connection in one transaction for a schema change (see the module docstring)."""
    with engine.connect() as conn:
        if conn.dialect.name != "sqlite":
            with conn.begin():
                if conn.dialect.name == "postgresql":
                    conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _PG_LOCK_KEY})
                yield conn
            return
        conn.exec_driver_sql("PRAGMA foreign_keys=OFF")  # only possible outside a transaction
        conn.commit()
        raw = conn.connection.driver_connection
        level, raw.isolation_level = raw.isolation_level, None  # pysqlite: no implicit BEGIN, we send our own
        try:
            with conn.begin():
                conn.exec_driver_sql("BEGIN IMMEDIATE")  # DDL included, and other writers wait
                yield conn
                _check_foreign_keys(conn)
        finally:
            raw.isolation_level = level
            conn.exec_driver_sql("PRAGMA foreign_keys=ON")
            conn.commit()


def _check_foreign_keys(conn: Connection) -> None:
    broken = conn.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
    if broken:
        raise SchemaError(f"the migration broke foreign keys (table, rowid, parent): {broken[:5]}")


def _columns(conn: Connection) -> dict[str, set[str]]:
    inspector = inspect(conn)
    return {
        table: {column["name"] for column in inspector.get_columns(table)}
        for table in inspector.get_table_names() if table != VERSION_TABLE
    }


@cache
def _fingerprint(revision: str) -> dict[str, set[str]]:
    """The tables and columns of ``revision``, as its scripts make them in a scratch SQLite database."""
    scratch = create_engine("sqlite://")
    try:
        with scratch.begin() as conn:
            command.upgrade(config(conn), revision)
            return _columns(conn)
    finally:
        scratch.dispose()


def _legacy_revision(conn: Connection) -> str | None:
    """The revision of a database without ``alembic_version`` (None when it has none of our tables).

    It is the newest of ``LEGACY_REVISIONS`` whose every table and column the database has.
    """
    found = _columns(conn)
    if not found.keys() & Base.metadata.tables.keys():
        return None
    missing: list[str] = []
    for revision in LEGACY_REVISIONS:
        wanted = _fingerprint(revision)
        missing = [table for table in wanted if table not in found]
        missing += [f"{table}.{column}" for table in wanted if table in found
                    for column in sorted(wanted[table] - found[table])]
        if not missing:
            return revision
    raise SchemaError(
        f"the database has tables of this application but no {VERSION_TABLE} table, and it lacks parts of the "
        f"oldest known schema ({LEGACY_REVISIONS[-1]}): {', '.join(missing[:12])}; upgrade it by hand or start afresh"
    )
