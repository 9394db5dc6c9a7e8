"""探访 (visits to key people, 银兴党办发〔2020〕38号 item 10): monthly visits and the monthly visit rate.

Targets come from the benefit register (:func:`sync_targets`) — per household on 低保 (active or
phasing out), each counted member who is:
  - ``elderly``: at least ``visit.elderly_age`` in a household whose counted members all are
    (独居、空巢老人);
  - ``severe``: severely disabled or seriously ill (``rules.severe_or_ill``);
  - ``minor``: under ``visit.minor_age`` (困境儿童);
and from hand registration (:func:`register_target`, e.g. 孤寡老人 not on 低保). Every active target
is due one visit a month; :func:`monthly_rate` = targets visited that month / targets of the month
(the plan asks for 100%, setting ``visit.target_rate``).
"""

import re
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from . import clock, queries, rules
from .errors import Forbidden, Invalid, NotFound
from .settings import SettingsView
from .store import ACTIVE_STATUSES, Benefit, Case, User, Visit, VisitTarget
from .store.benefit import ACTIVE, PHASING_OUT
from .store.visit import CATEGORIES, MANUAL, METHODS, REGISTER

STAFF_ROLES = ("clerk", "investigator", "reviewer", "leader")
_MONTH = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")


def _check_staff(user: User, township_code: str) -> None:
    if user.role in STAFF_ROLES and user.township_code == township_code:
        return
    raise Forbidden("只有本乡镇（街道）工作人员可以登记探访", "Only the township's staff record visits")


def _bounds(month: str) -> tuple[date, date]:
    if not isinstance(month, str) or not _MONTH.match(month):
        raise Invalid("月份格式应为 YYYY-MM", "The month must be YYYY-MM", {"month": "YYYY-MM"})
    return date.fromisoformat(f"{month}-01"), rules.last_day_of(month)


def _household(session: Session, benefit: Benefit) -> list[dict]:
    """The counted members as last assessed (the latest finished review, else the approval)."""
    latest = session.scalars(select(Case).where(Case.benefit_id == benefit.id, Case.status.not_in(ACTIVE_STATUSES))
                             .order_by(Case.id.desc())).first()
    data = queries.case_data(session, latest or session.get(Case, benefit.case_id))
    return [m for m in data.get("members_assessed", data.get("members", [])) if m.get("counted", True)]


def categories_of(members: list[dict], on: date, elderly_age: int, minor_age: int) -> dict[str, tuple[str, str]]:
    """The key people of one household: id_no → (name, category); one category each (severe first)."""
    ages = {m["id_no"]: rules.age_on(rules.parse_id_number(m["id_no"]).birth_date, on) for m in members}
    all_elderly = bool(members) and all(age >= elderly_age for age in ages.values())
    found = {}
    for m in members:
        if rules.severe_or_ill(m):
            found[m["id_no"]] = (m["name"], "severe")
        elif ages[m["id_no"]] < minor_age:
            found[m["id_no"]] = (m["name"], "minor")
        elif all_elderly:
            found[m["id_no"]] = (m["name"], "elderly")
    return found


def _active(session: Session, township_code: str, on: date) -> list[VisitTarget]:
    return list(session.scalars(select(VisitTarget).where(
        VisitTarget.township_code == township_code, VisitTarget.since <= on,
        (VisitTarget.until.is_(None)) | (VisitTarget.until >= on))))


def sync_targets(session: Session, township_code: str, on: date | None = None) -> dict:
    """Bring the township's register-derived targets in line with the benefit register on ``on``.

    New key people become targets from ``on``; register-derived targets no longer on the register
    (or no longer key people) end the day before. Hand-registered targets are left alone.

    Returns:
        ``{"added": n, "ended": n}``.
    """
    on = on or clock.today()
    view = SettingsView(session, township_code, on)
    elderly_age, minor_age = int(view.get("visit.elderly_age")), int(view.get("visit.minor_age"))
    wanted: dict[str, tuple[str, str, int]] = {}
    for benefit in session.scalars(select(Benefit).where(Benefit.township_code == township_code,
                                                         Benefit.status.in_((ACTIVE, PHASING_OUT)))):
        for id_no, (name, category) in categories_of(_household(session, benefit), on, elderly_age, minor_age).items():
            wanted[id_no] = (name, category, benefit.id)
    current = {t.id_no: t for t in _active(session, township_code, on)}
    added = ended = 0
    for target in current.values():
        if target.source == REGISTER and wanted.get(target.id_no, ("", "", None))[1] != target.category:
            target.until, ended = _day_before(on), ended + 1
    for id_no, (name, category, benefit_id) in wanted.items():
        held = current.get(id_no)
        if held is None or (held.source == REGISTER and held.category != category):
            session.add(VisitTarget(township_code=township_code, id_no=id_no, name=name, category=category,
                                    source=REGISTER, benefit_id=benefit_id, since=on))
            added += 1
    session.flush()
    return {"added": added, "ended": ended}


def _day_before(day: date) -> date:
    return date.fromordinal(day.toordinal() - 1)


def register_target(session: Session, actor: User, township_code: str, id_no: str, name: str, category: str,
                    note: str = "") -> VisitTarget:
    """Register a key person by hand (e.g. 孤寡老人 not on 低保), from today.

    Raises:
        Forbidden: not staff of the township. Invalid: a bad ID number, name or category, or the
            person is already an active target of the township.
    """
    _check_staff(actor, township_code)
    try:
        id_no = rules.parse_id_number(id_no, clock.today()).id_no
    except ValueError:
        raise Invalid("身份证号码有误", "Invalid ID number", {"id_no": "身份证号码有误"}) from None
    if category not in CATEGORIES or not name.strip():
        raise Invalid("请填写姓名并选择探访对象类别", "Name and category are required", {"category": "类别有误"})
    if any(t.id_no == id_no for t in _active(session, township_code, clock.today())):
        raise Invalid("该人员已是本乡镇（街道）的探访对象", "Already a target", {"id_no": "已是探访对象"})
    target = VisitTarget(township_code=township_code, id_no=id_no, name=name.strip(), category=category,
                         source=MANUAL, registered_by_id=actor.id, since=clock.today(), note=note)
    session.add(target)
    session.flush()
    return target


def end_target(session: Session, actor: User, target_id: int, last_day: date | None = None) -> VisitTarget:
    """Stop visiting a target after ``last_day`` (default: today), e.g. moved away or died."""
    target = session.get(VisitTarget, target_id)
    if target is None:
        raise NotFound("没有该探访对象", "No such visit target")
    _check_staff(actor, target.township_code)
    target.until = last_day or clock.today()
    return target


def record_visit(session: Session, actor: User, target_id: int, visited_on: date, method: str,
                 notes: str = "") -> Visit:
    """Record one visit (入户 ``home`` or 电话 ``phone``) by a member of the target's township staff.

    Raises:
        NotFound: no such target. Forbidden: not staff of the target's township.
        Invalid: a date in the future or outside the target's period, an unknown method, notes too long.
    """
    target = session.get(VisitTarget, target_id)
    if target is None:
        raise NotFound("没有该探访对象", "No such visit target")
    _check_staff(actor, target.township_code)
    errors = {}
    if visited_on > clock.today():
        errors["visited_on"] = "探访日期不能晚于今天"
    elif visited_on < target.since or (target.until is not None and visited_on > target.until):
        errors["visited_on"] = "探访日期不在该对象的探访期间内"
    if method not in METHODS:
        errors["method"] = "探访方式应为入户或电话"
    if len(notes) > 2000:
        errors["notes"] = "情况记录不超过2000字"
    if errors:
        raise Invalid("探访记录有误，请按提示修改", "The visit record has errors", errors)
    visit = Visit(target_id=target.id, township_code=target.township_code, visited_on=visited_on, staff_id=actor.id,
                  method=method, notes=notes, recorded_at=clock.now())
    session.add(visit)
    session.flush()
    return visit


def targets_of_month(session: Session, township_code: str, month: str) -> list[VisitTarget]:
    """The township's targets to visit in ``month`` ('YYYY-MM'): active on any day of it, by name."""
    first, last = _bounds(month)
    rows = session.scalars(select(VisitTarget).where(
        VisitTarget.township_code == township_code, VisitTarget.since <= last,
        (VisitTarget.until.is_(None)) | (VisitTarget.until >= first)))
    return sorted(rows, key=lambda t: (t.name, t.id))


def _visited_ids(session: Session, township_code: str, month: str) -> set[int]:
    first, last = _bounds(month)
    return set(session.scalars(select(Visit.target_id).where(
        Visit.township_code == township_code, Visit.visited_on >= first, Visit.visited_on <= last)))


def due_list(session: Session, township_code: str, month: str) -> list[VisitTarget]:
    """The month's targets not visited yet that month."""
    visited = _visited_ids(session, township_code, month)
    return [t for t in targets_of_month(session, township_code, month) if t.id not in visited]


def monthly_rate(session: Session, township_code: str, month: str) -> dict:
    """The month's visit rate: visited targets / targets (月探访率), with the target rate in force.

    Returns:
        ``targets``, ``visited`` (ints), ``rate`` (Decimal, 4 places; 1 when there are no targets),
        ``target_rate`` (Decimal) and ``met`` (bool).
    """
    targets = {t.id for t in targets_of_month(session, township_code, month)}
    visited = len(targets & _visited_ids(session, township_code, month))
    rate = (Decimal(visited) / Decimal(len(targets))).quantize(Decimal("0.0001"), ROUND_HALF_UP) if targets \
        else Decimal("1.0000")
    target_rate = Decimal(str(SettingsView(session, township_code, _bounds(month)[1]).get("visit.target_rate")))
    return {"month": month, "targets": len(targets), "visited": visited, "rate": rate, "target_rate": target_rate,
            "met": rate >= target_rate}
