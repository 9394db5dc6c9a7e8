"""Process definitions stored once by content hash; a case keeps the version it started on."""

from sqlalchemy import String, Text
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, Timestamped


class ProcessSpec(Timestamped, Base):
    """The BPMN and DMN sources of one process version (kept forever: replay needs them)."""

    __tablename__ = "process_spec"

    hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    process_id: Mapped[str] = mapped_column(String(64), index=True)
    sources: Mapped[str] = mapped_column(Text)  # JSON: {file name: XML text}
    # A version an administrator loaded (workflows.upgrades) replaces the one it was loaded on top of
    # for new cases; None for the versions of the deployed files in bpmn/.
    based_on: Mapped[str | None] = mapped_column(String(64), nullable=True, index=True)
    loaded_by: Mapped[str | None] = mapped_column(String(64), nullable=True)  # the administrator, as written
