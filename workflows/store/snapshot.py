"""The serialized SpiffWorkflow state of a case: a cache of what the event log implies."""

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String, text
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, CompressedText, UTCDateTime


class CaseSnapshot(Base):
    """State-only workflow JSON (the spec lives once in process_spec)."""

    __tablename__ = "case_snapshot"

    case_id: Mapped[int] = mapped_column(ForeignKey("case_record.id"), primary_key=True)
    serializer_version: Mapped[str] = mapped_column(String(8))
    state: Mapped[str] = mapped_column(CompressedText)  # stored compressed (bytes per case, issue 7 P7)
    digest: Mapped[str] = mapped_column(String(64))
    # How digest was computed (workflows.runtime.state_digest; snapshots before revision 0018 are 1).
    digest_version: Mapped[int] = mapped_column(Integer, server_default=text("1"))
    # Set when a finished case's state was reduced to its final data and digest (workflows.retention):
    # the full state is what replaying its events gives, so nothing is lost.
    compacted_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
