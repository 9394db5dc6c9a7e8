"""The township reserve fund for temporary assistance (乡镇临时救助备用金): a balance and its ledger.

One :class:`ReserveAccount` row per township holds the balance; every movement is a
:class:`ReserveEntry` with the balance after it. Neither can go below zero: the engine locks the
township's account row before it moves money (``workflows.reserve``) and the database refuses a
negative balance (CHECK constraints), so two payments racing can never overdraw the fund.
Entries are appended, never changed or deleted (the session refuses it).
"""

from datetime import datetime
from decimal import Decimal

from sqlalchemy import CheckConstraint, ForeignKey, Index, Integer, Numeric, String, Text, event
from sqlalchemy.orm import Mapped, ORMExecuteState, Session, mapped_column

from ..errors import Conflict
from .base import Base, Timestamped, UTCDateTime

DEPOSIT, PAYMENT, REFUND = "deposit", "payment", "refund"
KINDS = (DEPOSIT, PAYMENT, REFUND)
APPEND_ONLY_MESSAGE = ("备用金台账只能追加，不能修改或删除", "Reserve ledger entries cannot be changed or deleted")


class ReserveAccount(Timestamped, Base):
    """A township's reserve fund: the balance now (the row locked while money moves)."""

    __tablename__ = "reserve_account"
    __table_args__ = (CheckConstraint("balance >= 0", name="balance_not_negative"),)

    township_code: Mapped[str] = mapped_column(ForeignKey("township.code"), primary_key=True)
    balance: Mapped[Decimal] = mapped_column(Numeric(14, 2))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    version: Mapped[int] = mapped_column(Integer, nullable=False)

    __mapper_args__ = {"version_id_col": version}


class ReserveEntry(Base):
    """One movement of a township's reserve: a deposit, a payment (先行救助) or a refund into it."""

    __tablename__ = "reserve_entry"
    __table_args__ = (
        CheckConstraint("balance_after >= 0", name="balance_after_not_negative"),
        CheckConstraint("amount > 0", name="amount_positive"),
        CheckConstraint("kind IN ('deposit', 'payment', 'refund')", name="kind_known"),
        Index("ix_reserve_entry_township_at", "township_code", "at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    township_code: Mapped[str] = mapped_column(ForeignKey("reserve_account.township_code"))
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    kind: Mapped[str] = mapped_column(String(16))
    amount: Mapped[Decimal] = mapped_column(Numeric(14, 2))  # always positive; the kind gives the sign
    balance_after: Mapped[Decimal] = mapped_column(Numeric(14, 2))
    case_id: Mapped[int | None] = mapped_column(ForeignKey("case_record.id"), nullable=True, index=True)
    event_seq: Mapped[int | None] = mapped_column(Integer, nullable=True)  # the case step that paid
    by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    note: Mapped[str] = mapped_column(Text, default="")


@event.listens_for(Session, "before_flush")
def _refuse_entry_changes(session: Session, _flush_context, _instances) -> None:
    """Refuse to flush a change to, or the deletion of, a ledger entry already written."""
    if any(isinstance(obj, ReserveEntry) for obj in session.deleted) or any(
        isinstance(obj, ReserveEntry) and session.is_modified(obj) for obj in session.dirty
    ):
        raise Conflict(*APPEND_ONLY_MESSAGE)


@event.listens_for(Session, "do_orm_execute")
def _refuse_entry_statements(state: ORMExecuteState) -> None:
    """Refuse ORM-enabled UPDATE and DELETE statements on ledger entries."""
    if (state.is_update or state.is_delete) and any(m.class_ is ReserveEntry for m in state.all_mappers):
        raise Conflict(*APPEND_ONLY_MESSAGE)
