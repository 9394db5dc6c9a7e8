"""The people a case concerns (its household at the start), for the conflict-of-interest check.

Written once when a case opens (``engine.open_case``) from the ``members`` of its start data — an
application, a review, temporary assistance; a spot check concerns its subject case's people. Unlike
``person_index`` (active and approved applications only, cleared when a case ends, for the duplicate
check) the rows stay for the life of the case, so a refused case's spot check still knows its people.
"""

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base


class CaseMember(Base):
    """A member of a case's household (ID number), looked up by case (its primary key)."""

    __tablename__ = "case_member"

    case_id: Mapped[int] = mapped_column(ForeignKey("case_record.id"), primary_key=True)
    id_no: Mapped[str] = mapped_column(String(18), primary_key=True)
