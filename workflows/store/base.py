"""Declarative base shared by every table, with the timestamps every row carries."""

import zlib
from datetime import UTC, datetime

from sqlalchemy import DateTime, LargeBinary, MetaData
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import TypeDecorator

# Stable constraint names, so migrations (Alembic, later) produce the same DDL on SQLite and PostgreSQL.
NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> datetime:
    """Wall-clock time in UTC (row bookkeeping only; domain time comes from workflows.clock)."""
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator):
    """Timezone-aware UTC datetimes on every dialect (SQLite drops the offset on the way back)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        """Store in UTC; refuse naive datetimes, which would be ambiguous."""
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(UTC)

    def process_result_value(self, value, dialect):
        """Give back aware UTC datetimes."""
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class CompressedText(TypeDecorator):
    """Text kept zlib-compressed in a binary column (workflow snapshots: JSON shrinks about 6×).

    Code reads and writes plain ``str``; only the database sees bytes.
    """

    impl = LargeBinary
    cache_ok = True

    def process_bind_param(self, value, dialect):
        """Compress on the way in."""
        return None if value is None else zlib.compress(value.encode("utf-8"), 6)

    def process_result_value(self, value, dialect):
        """Decompress on the way out."""
        return None if value is None else zlib.decompress(value).decode("utf-8")


class Base(DeclarativeBase):
    """Base class of all models."""

    metadata = MetaData(naming_convention=NAMING)


class Timestamped:
    """Mixin: creation time of the row."""

    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
