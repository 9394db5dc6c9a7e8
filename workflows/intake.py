"""What the window's registration page shows while the clerk types (DOMAIN.md §3, §8).

The page works out birth date, sex and age from an ID number in the browser and suggests the
age-based 增发 categories; it gets the ages in force here (``age_settings``). When a number is
complete it asks whether the person is already in an active or approved case (``person_held``), the
same question ``engine.start_case`` asks on submit (``case_holding``), which stays the guard.
"""

from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from . import clock
from .access import can_see_township
from .errors import Forbidden, NotFound
from .rules.id_number import InvalidIdNumber, parse_id_number
from .settings import SettingsView
from .store import Case, PersonIndex, User

AGE_SETTINGS = ("dibao.uplift.elderly_age", "dibao.uplift.minor_age")


@dataclass(frozen=True)
class Holding:
    """The case a person is in (through ``person_index``: active and approved cases)."""

    case: Case
    applicant_name: str


@dataclass(frozen=True)
class HeldAnswer:
    """What a clerk is told about a person already in a case.

    Attributes:
        case: The case, only when it is the clerk's own township's (another's stays unnamed).
        elsewhere: True when the case belongs to another township.
    """

    case: Case | None
    elsewhere: bool


def case_holding(session: Session, id_no: str) -> Holding | None:
    """The active or approved case that holds this (normalised) ID number, if any."""
    row = session.execute(
        select(Case, Case.applicant_name).join(PersonIndex, PersonIndex.case_id == Case.id)
        .where(PersonIndex.id_no == id_no).order_by(Case.id)
    ).first()
    return Holding(case=row[0], applicant_name=row[1]) if row else None


def _check_clerk(user: User) -> None:
    if not user.is_township_staff or user.role != "clerk":
        raise Forbidden("只有乡镇（街道）窗口受理人员可以查询", "Only township window clerks may look this up")


def person_held(session: Session, user: User, text: str) -> tuple[str, HeldAnswer | None]:
    """Whether the person with this ID number is already in an active or approved case.

    Args:
        user: The asking clerk; only their own township's case is named.
        text: The ID number as typed.

    Returns:
        The normalised number and the answer (None when the person is in no such case).

    Raises:
        Forbidden: if the user is not a township window clerk.
        NotFound: if the number is not a valid ID number.
    """
    _check_clerk(user)
    try:
        id_no = parse_id_number(text, today=clock.today()).id_no
    except InvalidIdNumber as err:
        raise NotFound(err.message_zh, err.message_en) from None
    held = case_holding(session, id_no)
    if held is None:
        return id_no, None
    own = can_see_township(user, held.case.township_code)
    return id_no, HeldAnswer(case=held.case if own else None, elsewhere=not own)


def age_settings(session: Session, township_code: str, on: date | None = None) -> dict[str, int]:
    """The ages the 增发 categories follow in force for a township on a day (today by default).

    Returns:
        ``{"elderly_age": …, "minor_age": …}``: elderly from that age, minor below it.
    """
    view = SettingsView(session, township_code, on or clock.today())
    return {key.rsplit(".", 1)[1]: int(view.get(key)) for key in AGE_SETTINGS}
