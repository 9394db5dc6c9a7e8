"""近亲属备案: the near relatives staff register, so nobody works on a case of their own family.

Township staff (and county staff) register their near relatives (宁民办〔2014〕51号: spouse; both
spouses' parents and siblings; children and their spouses; grandparents; grandchildren; both
spouses' parents' siblings; step- and adoptive relations). A registration is never deleted or
edited: it is ended (``ended_at``, ``ended_by_id``, ``end_reason``), so the rows are their own log
of who registered what and when.
"""

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, UTCDateTime

RELATIONS = (
    "spouse", "parent", "spouse_parent", "sibling", "spouse_sibling", "child", "child_spouse", "grandparent",
    "grandchild", "parent_sibling", "spouse_parent_sibling", "step_or_adoptive",
)


class StaffRelative(Base):
    """One near relative registered for one staff account (active while ``ended_at`` is None)."""

    __tablename__ = "staff_relative"
    # ix_staff_relative_user: one account's register (the check when it acts on a case);
    # ix_staff_relative_id_no: is a household member anybody's registered relative (at registration).
    __table_args__ = (
        Index("ix_staff_relative_user", "user_id", "ended_at"),
        Index("ix_staff_relative_id_no", "id_no", "ended_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    id_no: Mapped[str] = mapped_column(String(18))
    name: Mapped[str] = mapped_column(String(64))
    relation: Mapped[str] = mapped_column(String(24))
    registered_at: Mapped[datetime] = mapped_column(UTCDateTime)
    registered_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    ended_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"), nullable=True)
    end_reason: Mapped[str] = mapped_column(String(200), default="")
