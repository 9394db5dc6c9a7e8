"""ID number → cases that hold the person, so nobody is enrolled in two households."""

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base


class PersonIndex(Base):
    """A member of a case that is active or approved."""

    __tablename__ = "person_index"

    id_no: Mapped[str] = mapped_column(String(18), primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("case_record.id"), primary_key=True)
    name: Mapped[str] = mapped_column(String(64))
