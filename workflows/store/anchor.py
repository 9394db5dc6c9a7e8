"""Chain anchors: the heads of every case's event chain at one moment, hashed together.

Printed or sent elsewhere, an anchor makes rewriting a whole chain (recomputing every hash after a
change) detectable: the rewritten head no longer matches the anchored one.
"""

from datetime import datetime

from sqlalchemy import Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, UTCDateTime


class ChainAnchor(Base):
    """One anchor: when, how many cases, the root hash and the heads it covers."""

    __tablename__ = "chain_anchor"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    cases: Mapped[int] = mapped_column(Integer)
    root: Mapped[str] = mapped_column(String(64), unique=True)
    heads: Mapped[str] = mapped_column(Text)  # canonical JSON: [[case_no, seq, hash], …] sorted by case_no
