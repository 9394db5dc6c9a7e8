"""The append-only event log of a case, hash-chained."""

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, UTCDateTime


class CaseEvent(Base):
    """One step: what happened, who, when (domain clock), the data, and the state it produced."""

    __tablename__ = "case_event"
    __table_args__ = (UniqueConstraint("case_id", "seq", name="uq_case_event_case_seq"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("case_record.id"), index=True)
    seq: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(40))  # subject_past_tense_verb, e.g. task_completed
    task_spec: Mapped[str | None] = mapped_column(String(64), nullable=True)
    task_id: Mapped[str | None] = mapped_column(String(36), nullable=True, index=True)  # SpiffWorkflow task
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"), nullable=True)
    actor_name: Mapped[str] = mapped_column(String(64))  # kept as written: accounts may be renamed
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    data: Mapped[str] = mapped_column(Text)  # canonical JSON
    state_digest: Mapped[str] = mapped_column(String(64))
    # How state_digest was computed (workflows.runtime.state_digest; rows before revision 0018 are 1).
    digest_version: Mapped[int] = mapped_column(Integer, server_default=text("1"))
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))
