"""Monthly payment rosters (发放花名册): what a township pays each household for one month.

A roster is written once, when it is issued, and never changed: a session refuses to flush a
change to, or the deletion of, a roster or a line already in the database, and refuses ORM
``update()``/``delete()`` statements on them. Corrections are made by a later month's roster
(补发/扣减), never by rewriting an issued one. Raw SQL bypasses this guard; ``workflows.roster.reconcile``
finds what it changed.
"""

from datetime import datetime
from decimal import Decimal

from sqlalchemy import ForeignKey, Integer, Numeric, String, UniqueConstraint, event, inspect
from sqlalchemy.orm import Mapped, ORMExecuteState, Session, mapped_column, relationship

from ..errors import Conflict
from .base import Base, UTCDateTime

IMMUTABLE_MESSAGE = ("每月花名册只能生成一次，已生成的不能修改", "A payment roster, once issued, cannot be changed")


class PaymentRoster(Base):
    """The roster of one township for one month, with its totals and the hashes of its files."""

    __tablename__ = "payment_roster"
    __table_args__ = (UniqueConstraint("township_code", "month"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    township_code: Mapped[str] = mapped_column(String(12))
    month: Mapped[str] = mapped_column(String(7))  # YYYY-MM, the month paid
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime)
    issued_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    households: Mapped[int] = mapped_column(Integer)
    persons: Mapped[int] = mapped_column(Integer)
    total: Mapped[Decimal] = mapped_column(Numeric(14, 2))
    xlsx_sha256: Mapped[str] = mapped_column(String(64))  # the workbook for the bank, in the document store
    pdf_number: Mapped[str] = mapped_column(ForeignKey("document.number"), unique=True)  # the printed roster

    lines: Mapped[list["PaymentRosterLine"]] = relationship(
        back_populates="roster", order_by="PaymentRosterLine.seq")


class PaymentRosterLine(Base):
    """One household on a roster: who is paid, for how many people, how much."""

    __tablename__ = "payment_roster_line"
    __table_args__ = (UniqueConstraint("roster_id", "benefit_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    roster_id: Mapped[int] = mapped_column(ForeignKey("payment_roster.id"))
    seq: Mapped[int] = mapped_column(Integer)  # 序号 on the roster, from 1 (in certificate-number order)
    benefit_id: Mapped[int] = mapped_column(ForeignKey("benefit.id"), index=True)
    certificate_no: Mapped[str] = mapped_column(String(40))
    holder_name: Mapped[str] = mapped_column(String(64))
    holder_id_masked: Mapped[str] = mapped_column(String(18))  # first 6 and last 4 characters kept
    persons: Mapped[int] = mapped_column(Integer)
    amount: Mapped[Decimal] = mapped_column(Numeric(12, 2))
    standard_class: Mapped[str] = mapped_column(String(8))  # urban | rural

    roster: Mapped[PaymentRoster] = relationship(back_populates="lines")


IMMUTABLE = (PaymentRoster, PaymentRosterLine)


def _stored(obj) -> bool:
    return obj is not None and inspect(obj).has_identity


def _changes_issued_roster(session: Session, obj) -> bool:
    if obj in session.new:  # a new roster is fine; a new line only with its new roster
        return isinstance(obj, PaymentRosterLine) and (
            _stored(obj.roster) or (obj.roster is None and obj.roster_id is not None))
    return session.is_modified(obj, include_collections=False)


@event.listens_for(Session, "before_flush")
def _refuse_roster_changes(session: Session, _flush_context, _instances) -> None:
    """Refuse to flush a change to an issued roster: edited or deleted rows, lines added later."""
    touched = [obj for obj in (*session.dirty, *session.new) if isinstance(obj, IMMUTABLE)]
    if any(isinstance(obj, IMMUTABLE) for obj in session.deleted) or any(
        _changes_issued_roster(session, obj) for obj in touched
    ):
        raise Conflict(*IMMUTABLE_MESSAGE)


@event.listens_for(Session, "do_orm_execute")
def _refuse_roster_statements(state: ORMExecuteState) -> None:
    """Refuse ORM-enabled UPDATE and DELETE statements on rosters and their lines."""
    if (state.is_update or state.is_delete) and any(m.class_ in IMMUTABLE for m in state.all_mappers):
        raise Conflict(*IMMUTABLE_MESSAGE)
