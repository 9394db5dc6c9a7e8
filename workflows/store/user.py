"""Staff accounts: one role and, for township roles, one township."""

from datetime import datetime

from sqlalchemy import Boolean, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, Timestamped, UTCDateTime

ROLES = ("clerk", "investigator", "reviewer", "leader", "county_auditor", "admin")
TOWNSHIP_ROLES = ("clerk", "investigator", "reviewer", "leader")


class User(Timestamped, Base):
    """A member of staff who logs in."""

    __tablename__ = "user_account"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(64))
    role: Mapped[str] = mapped_column(String(20))
    township_code: Mapped[str | None] = mapped_column(String(12), nullable=True, index=True)
    password_hash: Mapped[str] = mapped_column(String(200))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    failed_logins: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    # The staff member's 身份证号 (optional): with their registered near relatives (staff_relative), what
    # keeps them off cases of their own household (access.check_not_involved).
    id_no: Mapped[str | None] = mapped_column(String(18), nullable=True, index=True)

    @property
    def is_township_staff(self) -> bool:
        """True for roles that work inside one township."""
        return self.role in TOWNSHIP_ROLES
