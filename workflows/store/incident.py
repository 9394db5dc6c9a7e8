"""Steps that failed for a reason nobody typed (a script error, a missing setting, a document that will
not render): the case stays where it was, visibly, until a retry succeeds."""

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, UTCDateTime

#: What was being done when the step failed.
TIMER, TASK, MESSAGE = "timer", "task", "message"


class StepIncident(Base):
    """One open (or resolved) incident of a case; repeated failures of the same step count attempts."""

    __tablename__ = "step_incident"
    __table_args__ = (Index("ix_step_incident_open", "resolved_at", "case_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("case_record.id"), index=True)
    township_code: Mapped[str] = mapped_column(String(12), index=True)
    kind: Mapped[str] = mapped_column(String(12))  # timer | task | message
    task_spec: Mapped[str | None] = mapped_column(String(80), nullable=True)  # the task being completed
    error: Mapped[str] = mapped_column(Text)
    attempts: Mapped[int] = mapped_column(Integer, default=1)
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime)
    last_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # A failing timer is not fired again before this (back-off); None for the other kinds.
    next_retry_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    resolved_by: Mapped[str | None] = mapped_column(String(64), nullable=True)  # a user name, or 系统
