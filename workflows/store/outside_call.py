"""Calls to outside systems a case is waiting for (the 核对 economic check), claimed by workers."""

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, Timestamped, UTCDateTime

PENDING, INCIDENT, DONE = "pending", "incident", "done"
CANCELLED = "cancelled"  # the case stopped waiting for it (it moved on by another path)


class OutsideCall(Timestamped, Base):
    """One outside-data request of a case (a read model written with the step that made the case wait).

    A failed attempt leaves the call in ``incident`` with the error and a later retry time: the
    case stays where it was, visibly, until a worker or an operator's retry succeeds.
    """

    __tablename__ = "outside_call"
    __table_args__ = (Index("ix_outside_call_due", "status", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("case_record.id"), index=True)
    task_id: Mapped[str] = mapped_column(String(36), unique=True)  # the waiting receive task
    kind: Mapped[str] = mapped_column(String(40))  # e.g. "economic_check"
    message: Mapped[str] = mapped_column(String(64))  # the BPMN message the result is delivered as
    township_code: Mapped[str] = mapped_column(String(12), index=True)
    request: Mapped[dict] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(12), default=PENDING)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text, nullable=True)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
