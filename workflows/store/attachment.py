"""Case attachments (材料扫描件): the scans of 身份证, 户口簿, 收入证明, 残疾证 … attached to a case.

The bytes live in the document store under their SHA-256 (``storage_key`` is the path below the
store's root), never under the name the user gave; ``filename`` is that name, cleaned, kept only to
show. ``material`` is a code of the required-materials DMN (``dibao_required_materials``) or
``other``. Each row is recorded in the case's history by the event ``event_seq``.
"""

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, UTCDateTime


class CaseAttachment(Base):
    """One scan attached to a case (append-only: a wrong scan stays, a corrected one is added)."""

    __tablename__ = "case_attachment"
    # The same file may be attached once per material (one PDF can hold 户口簿 and 身份证).
    __table_args__ = (UniqueConstraint("case_id", "sha256", "material"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("case_record.id"), index=True)
    material: Mapped[str] = mapped_column(String(32))
    filename: Mapped[str] = mapped_column(String(160))
    content_type: Mapped[str] = mapped_column(String(64))
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    storage_key: Mapped[str] = mapped_column(String(128))
    uploaded_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    uploaded_at: Mapped[datetime] = mapped_column(UTCDateTime)
    event_seq: Mapped[int] = mapped_column(Integer)
