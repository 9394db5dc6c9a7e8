"""Dated, per-area settings: every amount, ratio and deadline (DOMAIN.md: never a constant)."""

from datetime import date

from sqlalchemy import BigInteger, Date, Index, Integer, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, Timestamped


class Setting(Timestamped, Base):
    """A value in force from `effective_from` in `area_code` and below ('' = national)."""

    __tablename__ = "setting"
    __table_args__ = (Index("ix_setting_lookup", "key", "area_code", "effective_from", unique=True),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key: Mapped[str] = mapped_column(String(64))
    area_code: Mapped[str] = mapped_column(String(12))
    effective_from: Mapped[date] = mapped_column(Date)
    value: Mapped[str] = mapped_column(Text)  # JSON
    source: Mapped[str] = mapped_column(Text, default="")
    # A random number the database draws again whenever the row is written (triggers of migration 0019,
    # whoever writes: the app, a restore, an SQL console), so the row count and the sum of revisions
    # change with any change to the table: the freshness check of the settings cache (workflows.settings).
    revision: Mapped[int] = mapped_column(BigInteger, server_default=text("0"))
