"""Case, document and certificate numbers from named counters, plus verification codes.

Numbers are generated once and recorded in the event that used them (replay never regenerates).
"""

import secrets

from sqlalchemy import update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from .store import Sequence

# No 0/O, 1/I/L: codes are read aloud and typed from paper.
_CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"


def _increment(session: Session, name: str) -> int | None:
    """Add one to the counter in a single statement (atomic on every database); None if it is missing."""
    return session.scalar(
        update(Sequence).where(Sequence.name == name).values(value=Sequence.value + 1).returning(Sequence.value)
    )


def next_value(session: Session, name: str) -> int:
    """Increment and return the counter ``name``; concurrent steps never get the same value.

    A new counter is inserted in a savepoint: when two steps create it at once, the second insert
    fails once the first step commits, and the second step increments the row the first one made.
    """
    value = _increment(session, name)
    if value is not None:
        return value
    try:
        with session.begin_nested():
            session.add(Sequence(name=name, value=1))
    except IntegrityError:  # a concurrent step created it first
        return _increment(session, name)
    return 1


def case_number(session: Session, township_code: str, year: int) -> str:
    """E.g. 640104001-2026-00012: township, year, running number."""
    return f"{township_code}-{year}-{next_value(session, f'case:{township_code}:{year}'):05d}"


def document_number(session: Session, prefix: str, township_code: str, year: int) -> str:
    """E.g. PZ-640104001-2026-000003 (PZ 批准, BY 不予, ZS 低保证, FF 发放花名册)."""
    return f"{prefix}-{township_code}-{year}-{next_value(session, f'doc:{prefix}:{township_code}:{year}'):06d}"


def verify_code() -> str:
    """A random public verification code: four characters, a dash, four more (e.g. K7Q2-9D3M)."""
    raw = "".join(secrets.choice(_CODE_ALPHABET) for _ in range(8))
    return f"{raw[:4]}-{raw[4:]}"
