"""Bearer tokens of the JSON API (only their SHA-256 is stored)."""

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, Timestamped, UTCDateTime


class ApiToken(Timestamped, Base):
    """A token issued to a user by POST /api/v1/tokens."""

    __tablename__ = "api_token"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
