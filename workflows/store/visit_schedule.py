"""The day a township's 探访 were last scheduled (its targets brought in line with the benefit register
and the month's visit cases started): the worker does it once a day per township."""

from datetime import date

from sqlalchemy import Date, String
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base


class VisitScheduleRun(Base):
    """One row per township: the last day its visits were scheduled."""

    __tablename__ = "visit_schedule_run"

    township_code: Mapped[str] = mapped_column(String(12), primary_key=True)
    scheduled_on: Mapped[date] = mapped_column(Date)
