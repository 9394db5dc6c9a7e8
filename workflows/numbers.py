"""Case, document and certificate numbers from named counters, plus verification codes.

Numbers are generated once and recorded in the event that used them (replay never regenerates).
"""

import secrets

from sqlalchemy import select
from sqlalchemy.orm import Session

from .store import Sequence

# No 0/O, 1/I/L: codes are read aloud and typed from paper.
_CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"


def next_value(session: Session, name: str) -> int:
    """Increment and return the counter ``name`` (row-locked where the database supports it)."""
    row = session.scalars(select(Sequence).where(Sequence.name == name).with_for_update()).first()
    if row is None:
        row = Sequence(name=name, value=0)
        session.add(row)
    row.value += 1
    session.flush()
    return row.value


def case_number(session: Session, township_code: str, year: int) -> str:
    """E.g. 640104001-2026-00012: township, year, running number."""
    return f"{township_code}-{year}-{next_value(session, f'case:{township_code}:{year}'):05d}"


def document_number(session: Session, prefix: str, township_code: str, year: int) -> str:
    """E.g. PZ-640104001-2026-000003 (PZ 批准, BY 不予, ZS 低保证)."""
    return f"{prefix}-{township_code}-{year}-{next_value(session, f'doc:{prefix}:{township_code}:{year}'):06d}"


def verify_code() -> str:
    """A random public verification code: four characters, a dash, four more (e.g. K7Q2-9D3M)."""
    raw = "".join(secrets.choice(_CODE_ALPHABET) for _ in range(8))
    return f"{raw[:4]}-{raw[4:]}"
