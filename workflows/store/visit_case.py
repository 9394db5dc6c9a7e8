"""探访 cases: which visit case (process ``dibao_visit``) is about which target and month.

The month's scheduled case of a target is ``seq`` 1; a further visit in a month whose case is done
gets a case of its own (``seq`` 2, 3 …). The unique constraint is the database's guard against a
target getting two scheduled cases for one month (the worker and a person starting it at once).
"""

from sqlalchemy import ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, Timestamped


class VisitCase(Timestamped, Base):
    """One visit case: its target, the month it is for (YYYY-MM) and its number in that month."""

    __tablename__ = "visit_case"
    __table_args__ = (UniqueConstraint("target_id", "month", "seq"),
                      Index("ix_visit_case_township_month", "township_code", "month"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("case_record.id"), unique=True)
    target_id: Mapped[int] = mapped_column(ForeignKey("visit_target.id"))
    township_code: Mapped[str] = mapped_column(String(12))
    month: Mapped[str] = mapped_column(String(7))
    seq: Mapped[int] = mapped_column(Integer)  # 1: the month's scheduled visit; 2 …: further visits
