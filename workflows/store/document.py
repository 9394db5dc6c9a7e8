"""Issued documents: number, public verification code and the SHA-256 of the PDF bytes."""

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, UTCDateTime


class Document(Base):
    """One issued PDF; the bytes live in the document store under their SHA-256."""

    __tablename__ = "document"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # None for a document about several cases (a township's 公示 list); each case's history records it.
    case_id: Mapped[int | None] = mapped_column(ForeignKey("case_record.id"), index=True, nullable=True)
    kind: Mapped[str] = mapped_column(String(40))
    number: Mapped[str] = mapped_column(String(40), unique=True)
    verify_code: Mapped[str] = mapped_column(String(16), unique=True)
    sha256: Mapped[str] = mapped_column(String(64))
    size: Mapped[int] = mapped_column(Integer)
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime)
    event_seq: Mapped[int] = mapped_column(Integer)
    township_code: Mapped[str] = mapped_column(String(12))
