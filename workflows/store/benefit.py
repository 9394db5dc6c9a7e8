"""Households on 低保: the benefit an approved application grants, and every change to it.

A read model written by the steps that grant or change a benefit (the approval, later reviews);
the payment roster is computed from it. Changes are appended, never edited, so the amount of any
month can be told years later.
"""

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import Date, ForeignKey, Index, Integer, Numeric, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, Timestamped, UTCDateTime

ACTIVE, PHASING_OUT, TERMINATED = "ACTIVE", "PHASING_OUT", "TERMINATED"


class Benefit(Timestamped, Base):
    """One household's 低保 (its 低保证), from the approval that granted it."""

    __tablename__ = "benefit"
    # township + status lists; + next_review_on, id: the reviews-due count from the index alone (migration 0012)
    __table_args__ = (Index("ix_benefit_review_due", "township_code", "status", "next_review_on", "id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("case_record.id"), unique=True)  # the granting application
    township_code: Mapped[str] = mapped_column(String(12))
    certificate_no: Mapped[str] = mapped_column(String(40), unique=True)
    holder_name: Mapped[str] = mapped_column(String(64))
    holder_id_no: Mapped[str] = mapped_column(String(18), index=True)
    persons: Mapped[int] = mapped_column(Integer)
    amount: Mapped[Decimal] = mapped_column(Numeric(12, 2))  # the monthly amount in force now
    standard_class: Mapped[str] = mapped_column(String(8))
    review_cycle: Mapped[str] = mapped_column(String(16))  # yearly | half_yearly
    next_review_on: Mapped[date] = mapped_column(Date, index=True)
    status: Mapped[str] = mapped_column(String(16), default=ACTIVE)
    start_month: Mapped[str] = mapped_column(String(7))  # YYYY-MM, first month paid
    end_month: Mapped[str | None] = mapped_column(String(7), nullable=True)  # last month paid, once known
    version: Mapped[int] = mapped_column(Integer, nullable=False)

    __mapper_args__ = {"version_id_col": version}


class BenefitChange(Base):
    """One change of a benefit from a month on: granted, increased, reduced, phasing out, stopped."""

    __tablename__ = "benefit_change"
    # A benefit's changes in month order: what a month pays (benefits.amount_in_month) and, read in index
    # order, the months each change holds for the 统计看板 (dashboard_queries.register_by_month; 0015).
    __table_args__ = (Index("ix_benefit_change_benefit_month", "benefit_id", "effective_month", "id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    benefit_id: Mapped[int] = mapped_column(ForeignKey("benefit.id"))
    case_id: Mapped[int] = mapped_column(ForeignKey("case_record.id"))  # the case whose step made it
    event_seq: Mapped[int] = mapped_column(Integer)  # that step's event in the case history
    kind: Mapped[str] = mapped_column(String(16))  # granted | increase | reduce | phase_out | stop | unchanged
    effective_month: Mapped[str] = mapped_column(String(7))
    amount: Mapped[Decimal] = mapped_column(Numeric(12, 2))  # monthly amount from that month (0 when stopped)
    persons: Mapped[int] = mapped_column(Integer)
    reason: Mapped[str] = mapped_column(Text, default="")
    at: Mapped[datetime] = mapped_column(UTCDateTime)
