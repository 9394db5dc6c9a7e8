"""Open human tasks: the inbox read model that queues are served from."""

from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, UTCDateTime


class HumanTask(Base):
    """A READY user task of a case, with the role (lane) and township that may work it."""

    __tablename__ = "human_task"
    # The queue pages read these in order and stop after one page; their counts read the index only
    # (migration 0012, P3 in docs/performance.md): a township's queue, the county roles' queue (every
    # township), and the leader's escalated tasks; a queue narrowed to one step, and the steps a queue holds
    # with their titles (migration 0021, workflows.queues).
    __table_args__ = (
        Index("ix_human_task_queue", "township_code", "role", "due_on", "created_at", "claimed_by_id"),
        Index("ix_human_task_role_due", "role", "due_on", "created_at", "claimed_by_id"),
        Index("ix_human_task_escalated", "township_code", "escalated_at", "role"),
        Index("ix_human_task_step", "township_code", "role", "task_spec", "due_on", "created_at", "claimed_by_id",
              "title"),
        Index("ix_human_task_role_step", "role", "task_spec", "due_on", "created_at", "claimed_by_id", "title"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True)  # the SpiffWorkflow task id
    case_id: Mapped[int] = mapped_column(ForeignKey("case_record.id"), index=True)
    task_spec: Mapped[str] = mapped_column(String(64))
    title: Mapped[str] = mapped_column(String(120))
    role: Mapped[str] = mapped_column(String(20))
    township_code: Mapped[str] = mapped_column(String(12))
    form: Mapped[str] = mapped_column(String(128))  # "<process_id>/<task_spec>"
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    due_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    # Set when the task's due-time boundary timer fired: the township leader sees it (督办).
    escalated_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    claimed_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"), nullable=True)
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
