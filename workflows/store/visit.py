"""探访 (visits to key people, 银兴党办发〔2020〕38号 item 10): who is visited, and each visit made.

A :class:`VisitTarget` is a person the township visits every month: derived from the benefit
register (elderly living alone or with other elderly, severely disabled or seriously ill people,
minors) or registered by hand. A target is active from ``since`` until ``until`` (None: still
active); who ended it, when and why are ``ended_by_id`` (None: the register's update), ``ended_at``
and ``end_reason``. A :class:`Visit` records one visit: date, staff, method and notes, and the
visit case (process ``dibao_visit``) whose completed task wrote it (None: recorded before visits
were a process).
"""

from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, Timestamped, UTCDateTime

# 独居/空巢老人, 重度残疾/重病, 困境儿童, 留守儿童 (registered by hand, e.g. reported by the village), 其他
CATEGORIES = ("elderly", "severe", "minor", "left_behind", "other")
METHODS = ("home", "phone")  # 入户, 电话
REGISTER, MANUAL = "register", "manual"


class VisitTarget(Timestamped, Base):
    """A key person of a township to visit every month (探访对象)."""

    __tablename__ = "visit_target"
    __table_args__ = (UniqueConstraint("township_code", "id_no", "since"),
                      Index("ix_visit_target_township_until", "township_code", "until"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    township_code: Mapped[str] = mapped_column(String(12))
    id_no: Mapped[str] = mapped_column(String(18))
    name: Mapped[str] = mapped_column(String(64))
    category: Mapped[str] = mapped_column(String(16))
    source: Mapped[str] = mapped_column(String(16))  # register | manual
    benefit_id: Mapped[int | None] = mapped_column(ForeignKey("benefit.id"), nullable=True)
    registered_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"), nullable=True)
    since: Mapped[date] = mapped_column(Date)
    until: Mapped[date | None] = mapped_column(Date, nullable=True)  # last day visited for; None: active
    note: Mapped[str] = mapped_column(Text, default="")  # why the person was registered by hand
    ended_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"), nullable=True)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    end_reason: Mapped[str | None] = mapped_column(String(500), nullable=True)


class Visit(Timestamped, Base):
    """One visit to a target (入户 or 电话)."""

    __tablename__ = "visit"
    __table_args__ = (Index("ix_visit_township_visited_on", "township_code", "visited_on"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    target_id: Mapped[int] = mapped_column(ForeignKey("visit_target.id"), index=True)
    township_code: Mapped[str] = mapped_column(String(12))
    visited_on: Mapped[date] = mapped_column(Date)
    staff_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    method: Mapped[str] = mapped_column(String(8))
    notes: Mapped[str] = mapped_column(Text, default="")
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime)
    case_id: Mapped[int | None] = mapped_column(ForeignKey("case_record.id"), nullable=True, index=True)
