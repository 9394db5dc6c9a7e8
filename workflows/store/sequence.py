"""Named counters for case and document numbers (incremented inside the step's transaction)."""

from sqlalchemy import Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base


class Sequence(Base):
    """The last number handed out under one name, e.g. 'case:640104001:2026'."""

    __tablename__ = "number_sequence"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[int] = mapped_column(Integer, default=0)
