"""A case: its identity, its pinned process version and its summary (a read model)."""

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import Boolean, Date, ForeignKey, Index, Integer, Numeric, String, false, text
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, Timestamped, UTCDateTime, utcnow

ACTIVE_STATUSES = (
    "SUBMITTED", "ACCEPTING", "WAITING_MATERIALS", "VERIFYING", "INVESTIGATING", "DELIBERATING", "REVIEWING",
    "COUNTY_CHECK", "AWAITING_NOTICE", "PUBLICIZING", "PENDING_DECISION",
    "REVIEW_STARTED", "PHASING_OUT",  # a review of a household on the benefit (dibao_review)
    "SPOT_CHECK",  # a county spot check of a decided case (dibao_spot_check)
    "EMERGENCY_DECISION", "PAPERWORK", "COUNTY_APPROVAL",  # temporary assistance (temp_assistance)
    "ROSTER_REVIEWING", "ROSTER_PREPARING",  # a month's payment roster (payment_roster)
    "VISIT_DUE", "VISIT_FOLLOW_UP",  # a month's visit to a key person (dibao_visit)
)


class Case(Timestamped, Base):
    """One application. Summary columns are refreshed by every step, in the same transaction."""

    __tablename__ = "case_record"
    # ix_case_township_status_benefit: the open reviews of a township's benefits, from the index alone
    # (reviews.count_due; 0012); ix_case_township_status (SQLite: + rowid) orders the case lists.
    # + the 统计看板 and 督导通报 aggregates (workflows.dashboard_queries; 0015): received and decided in a
    # period, and the open cases with their deadlines, by township, read from the index alone.
    __table_args__ = (
        Index("ix_case_township_status", "township_code", "status"),
        Index("ix_case_township_status_benefit", "township_code", "status", "benefit_id"),
        Index("ix_case_applied", "process_id", "applied_on", "township_code"),
        Index("ix_case_decided", "process_id", "decided_on", "township_code", "status", "applied_on", "case_deadline"),
        Index("ix_case_open_deadline", "process_id", "status", "township_code", "case_deadline"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_no: Mapped[str] = mapped_column(String(32), unique=True)
    process_id: Mapped[str] = mapped_column(String(64))
    spec_hash: Mapped[str] = mapped_column(ForeignKey("process_spec.hash"))
    township_code: Mapped[str] = mapped_column(String(12))
    status: Mapped[str] = mapped_column(String(24))
    applicant_name: Mapped[str] = mapped_column(String(64))
    applicant_id_no: Mapped[str] = mapped_column(String(18), index=True)
    household_size: Mapped[int] = mapped_column(Integer)
    amount_total: Mapped[Decimal | None] = mapped_column(Numeric(12, 2), nullable=True)
    applied_on: Mapped[date] = mapped_column(Date)
    case_deadline: Mapped[date | None] = mapped_column(Date, nullable=True)
    decided_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    # The benefit a review case is about (dibao_review); None for applications.
    # (added after both tables exist: benefit.case_id points back at the granting application)
    benefit_id: Mapped[int | None] = mapped_column(
        ForeignKey("benefit.id", use_alter=True, name="fk_case_record_benefit_id_benefit"), nullable=True, index=True)
    # The case a spot check (dibao_spot_check) is about; None for other processes.
    subject_case_id: Mapped[int | None] = mapped_column(
        ForeignKey("case_record.id", use_alter=True, name="fk_case_record_subject_case_id_case_record"),
        nullable=True, index=True)
    # The window that registered the case, when another township is responsible (异地受理).
    received_by: Mapped[str | None] = mapped_column(String(12), nullable=True)
    # 近亲属 of staff declared: registered separately (单独登记备案) and checked by the district.
    near_relative: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    deadline_extended: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    objection_count: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))
    next_timer_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True, index=True)
    created_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    last_event_seq: Mapped[int] = mapped_column(Integer, default=0)
    last_event_hash: Mapped[str] = mapped_column(String(64), default="")
    # Optimistic concurrency: two steps on one case cannot both commit.
    version: Mapped[int] = mapped_column(Integer, nullable=False)

    __mapper_args__ = {"version_id_col": version}

    @property
    def is_active(self) -> bool:
        """True while the case is still being processed."""
        return self.status in ACTIVE_STATUSES
