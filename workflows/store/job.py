"""Background jobs (后台任务): long work a person asked for — replay-verifying many cases, an archive of issued
PDFs, a year's payment rosters — run by the worker in slices, with progress anyone can reload.

A worker holds a job while ``claimed_by`` names it and its ``heartbeat_at`` is fresh; every progress
write refreshes the heartbeat, on the condition that the job is still the worker's. A worker that
dies leaves a stale heartbeat and another one picks the job up again from its last checkpoint
(``state``). Between slices ``claimed_by`` is empty and the job stays ``running``.
"""

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, Timestamped, UTCDateTime

QUEUED, RUNNING, DONE, FAILED = "queued", "running", "done", "failed"
STATUSES = (QUEUED, RUNNING, DONE, FAILED)
OPEN_STATUSES = (QUEUED, RUNNING)


class BackgroundJob(Timestamped, Base):
    """One requested job: what, for whom and where, how far it got, and what it produced."""

    __tablename__ = "background_job"
    __table_args__ = (
        Index("ix_background_job_claim", "status", "claimed_by", "heartbeat_at"),
        Index("ix_background_job_requester", "requested_by_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(30))  # audit_verify | documents_zip | roster_export
    params: Mapped[dict] = mapped_column(JSON)
    requested_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    township_code: Mapped[str | None] = mapped_column(String(12), nullable=True)  # None: the whole district
    status: Mapped[str] = mapped_column(String(12), default=QUEUED)
    done: Mapped[int] = mapped_column(Integer, default=0)  # items finished (cases, files)
    total: Mapped[int] = mapped_column(Integer, default=0)  # items to do, counted when the job first starts
    message: Mapped[str | None] = mapped_column(Text, nullable=True)  # why it failed, or a note on the run
    state: Mapped[dict | None] = mapped_column(JSON, nullable=True)  # the checkpoint a resumed run continues from
    result: Mapped[dict | None] = mapped_column(JSON, nullable=True)  # the summary (counts, failing cases)
    result_sha256: Mapped[str | None] = mapped_column(String(64), nullable=True)  # a file in the document store
    result_name: Mapped[str | None] = mapped_column(String(120), nullable=True)  # its download name
    attempts: Mapped[int] = mapped_column(Integer, default=0)  # times a worker claimed it
    claimed_by: Mapped[str | None] = mapped_column(String(64), nullable=True)  # the worker running it now
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    heartbeat_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
