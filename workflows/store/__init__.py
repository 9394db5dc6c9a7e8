"""Persistence: SQLAlchemy models (one table per module) and the unit of work.

SQLite is the embedded default and PostgreSQL the production database; nothing here is
dialect-specific beyond what SQLAlchemy handles.
"""

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import create_engine
from sqlalchemy import event as sa_event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from .access_log import AccessLog
from .anchor import ChainAnchor
from .api_token import ApiToken
from .attachment import CaseAttachment
from .base import Base, utcnow
from .benefit import Benefit, BenefitChange
from .case import ACTIVE_STATUSES, Case
from .case_member import CaseMember
from .document import Document
from .event import CaseEvent
from .human_task import HumanTask
from .incident import StepIncident
from .job import BackgroundJob
from .outside_call import OutsideCall
from .person_index import PersonIndex
from .process_spec import ProcessSpec
from .reserve import ReserveAccount, ReserveEntry
from .roster import PaymentRoster, PaymentRosterLine
from .sequence import Sequence
from .setting import Setting
from .sim_record import SimEconomicRecord
from .snapshot import CaseSnapshot
from .spot_check import SpotCheckDraw
from .staff_relative import StaffRelative
from .township import Township
from .user import ROLES, TOWNSHIP_ROLES, User
from .visit import Visit, VisitTarget
from .visit_case import VisitCase
from .visit_schedule import VisitScheduleRun

__all__ = [
    "ACTIVE_STATUSES", "ROLES", "TOWNSHIP_ROLES", "AccessLog", "ApiToken", "BackgroundJob", "Base", "Benefit",
    "BenefitChange",
    "Case", "CaseAttachment", "CaseEvent", "CaseMember",
    "CaseSnapshot", "ChainAnchor", "Document", "HumanTask", "OutsideCall", "PaymentRoster", "PaymentRosterLine",
    "PersonIndex", "ProcessSpec", "ReserveAccount", "ReserveEntry", "Sequence",
    "Setting", "SimEconomicRecord", "SpotCheckDraw", "StaffRelative", "StepIncident",
    "Township", "User", "Visit", "VisitCase", "VisitScheduleRun", "VisitTarget",
    "create_schema", "make_engine", "make_session_factory", "unit_of_work", "utcnow",
]


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    # WAL lets the web app read while the worker writes; foreign keys are off by default in SQLite.
    cur = dbapi_connection.cursor()
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.execute("PRAGMA busy_timeout=10000")
    cur.close()


def make_engine(url: str, **kwargs) -> Engine:
    """Create the SQLAlchemy engine for a database URL (SQLite pragmas applied when relevant)."""
    engine = create_engine(url, **kwargs)
    if engine.dialect.name == "sqlite":
        sa_event.listen(engine, "connect", _sqlite_pragmas)
    return engine


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    """A session factory whose objects stay readable after commit (views render after the step)."""
    return sessionmaker(bind=engine, expire_on_commit=False)


def create_schema(engine: Engine) -> str:
    """Create the schema in an empty database, or upgrade an existing one to the newest revision.

    Safe to repeat; see ``workflows.store.schema`` (Alembic migrations in ``store/migrations``).

    Returns:
        The revision the database is at now.
    """
    from . import schema  # noqa: PLC0415 - Alembic is loaded only by the commands that change the schema

    return schema.upgrade(engine)


@contextmanager
def unit_of_work(factory: sessionmaker[Session]) -> Iterator[Session]:
    """One transaction: commit on success, roll back on any error. The only place that commits."""
    session = factory()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()
