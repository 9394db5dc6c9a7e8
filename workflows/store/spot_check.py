"""County spot checks (抽查): one row per random draw of a township's recent decisions.

The draw is recorded in full — the population in its fixed order, the ratio as the setting said
and the seed — so anyone can draw again and must get the same sample (``spot_checks.reproduce``).
Each sampled case gets a spot-check case (process ``dibao_spot_check``) started in the same step.
"""

from datetime import date, datetime

from sqlalchemy import JSON, Date, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, Timestamped, UTCDateTime


class SpotCheckDraw(Timestamped, Base):
    """One draw: which decisions were in the population, which were sampled and how."""

    __tablename__ = "spot_check_draw"
    __table_args__ = (Index("ix_spot_check_draw_township_period", "township_code", "decided_from"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    township_code: Mapped[str] = mapped_column(String(12))
    drawn_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    drawn_at: Mapped[datetime] = mapped_column(UTCDateTime)
    decided_from: Mapped[date] = mapped_column(Date)  # the period of the decisions, both days included
    decided_to: Mapped[date] = mapped_column(Date)
    ratio: Mapped[str] = mapped_column(String(16))  # as the setting dibao.spot_check.ratio said, e.g. "0.30"
    seed: Mapped[str] = mapped_column(String(24))  # a 64-bit random number, in decimal
    population: Mapped[list] = mapped_column(JSON)  # case numbers, in case-number order
    sample: Mapped[list] = mapped_column(JSON)  # case numbers checked (near-relative ones included), in order
    near_relative: Mapped[list] = mapped_column(JSON)  # the 近亲属 cases of the population: all checked
