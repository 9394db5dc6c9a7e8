"""探访 (visits to key people, 银兴党办发〔2020〕38号 item 10): monthly visits and the monthly visit rate.

Targets come from the benefit register (:func:`sync_targets`) — per household on 低保 (active or
phasing out), each counted member who is:
  - ``elderly``: at least ``visit.elderly_age`` in a household whose counted members all are
    (独居、空巢老人);
  - ``severe``: severely disabled or seriously ill (``rules.severe_or_ill``);
  - ``minor``: under ``visit.minor_age`` (困境儿童);
and from hand registration (:func:`register_target`, e.g. 孤寡老人 not on 低保, or 留守儿童 reported by
the village: category and reason required, who and when recorded), ended by hand with a reason
(:func:`end_target`: who, when and why in the target's columns). Every active target is due one visit a
month, made and recorded through its visit case (``workflows.visit_cases``, process ``dibao_visit``);
:func:`monthly_rate` = targets visited that month / targets of the month (the plan asks for 100%,
setting ``visit.target_rate``), counted from the ``Visit`` rows those cases write.
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
from .store.visit import CATEGORIES, MANUAL, REGISTER

STAFF_ROLES = ("clerk", "investigator", "reviewer", "leader")
_MONTH = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")
CATEGORY_LABELS = {"elderly": "独居、空巢老人", "severe": "重度残疾或重病", "minor": "困境儿童",
                   "left_behind": "留守儿童", "other": "其他"}
METHOD_LABELS = {"home": "入户", "phone": "电话"}
SOURCE_LABELS = {"register": "在保登记簿", "manual": "手工登记"}
REASON_MAX = 500
SYNC_END_REASON = "按在保登记簿更新：已不在保，或不再属于该类探访对象"


def _check_staff(user: User, township_code: str) -> None:
    if user.role in STAFF_ROLES and user.township_code == township_code:
        return
    raise Forbidden("只有本乡镇（街道）工作人员可以登记探访", "Only the township's staff record visits")


def _bounds(month: str) -> tuple[date, date]:
    invalid = Invalid("月份格式应为 YYYY-MM", "The month must be YYYY-MM", {"month": "YYYY-MM"})
    if not isinstance(month, str) or not _MONTH.match(month):
        raise invalid
    try:  # the pattern lets through what is no date: year 0000, non-ASCII digits
        return date.fromisoformat(f"{month}-01"), rules.last_day_of(month)
    except ValueError:
        raise invalid from None


def month_bounds(month: str) -> tuple[date, date]:
    """The first and last day of ``month`` ('YYYY-MM').

    Raises:
        Invalid: not a month.
    """
    return _bounds(month)


def check_month(month: str) -> None:
    """Raise Invalid unless ``month`` is 'YYYY-MM'."""
    _bounds(month)


def in_period(target: VisitTarget, day: date) -> bool:
    """Whether ``day`` is within the target's period (from ``since`` to ``until``, both counted)."""
    return target.since <= day and (target.until is None or day <= target.until)


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


def active_on(session: Session, township_code: str, on: date) -> list[VisitTarget]:
    """The township's targets active on ``on``."""
    return _active(session, township_code, on)


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
            target.until, target.ended_at, target.end_reason = _day_before(on), clock.now(), SYNC_END_REASON
            ended += 1
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
    """Register a key person by hand (e.g. 孤寡老人 not on 低保, 留守儿童 reported by the village), from today.

    ``note`` is the reason (required); who registered (``registered_by_id``) and when (``created_at``,
    ``since``) are recorded on the row.

    Raises:
        Forbidden: not staff of the township. Invalid: a bad ID number, a missing name, category or
            reason, or the person is already an active target of the township.
    """
    _check_staff(actor, township_code)
    errors = {}
    try:
        id_no = rules.parse_id_number(str(id_no).strip(), clock.today()).id_no
    except ValueError:
        errors["id_no"] = "身份证号码有误"
    name, note = str(name).strip(), str(note).strip()
    if not name or len(name) > 64:
        errors["name"] = "请填写姓名（不超过64字）"
    if category not in CATEGORIES:
        errors["category"] = "请选择探访对象类别"
    if not note or len(note) > REASON_MAX:
        errors["note"] = f"请填写登记原因（不超过{REASON_MAX}字）"
    if not errors and any(t.id_no == id_no for t in _active(session, township_code, clock.today())):
        errors["id_no"] = "该人员已是本乡镇（街道）的探访对象"
    if errors:
        raise Invalid("探访对象登记有误，请按提示修改", "The visit target has errors", errors)
    target = VisitTarget(township_code=township_code, id_no=id_no, name=name, category=category, source=MANUAL,
                         registered_by_id=actor.id, since=clock.today(), note=note, created_at=clock.now())
    session.add(target)
    session.flush()
    return target


def _end_errors(session: Session, target: VisitTarget, last_day: date, reason: str) -> dict:
    errors = {}
    if last_day < target.since:
        errors["last_day"] = f"结束日期不能早于开始探访日期（{target.since}）"
    elif session.scalars(select(Visit.id).where(Visit.target_id == target.id, Visit.visited_on > last_day)).first():
        errors["last_day"] = "该日期之后已有探访记录，不能早于最后一次探访"
    if not reason or len(reason) > REASON_MAX:
        errors["reason"] = f"请填写结束原因（不超过{REASON_MAX}字）"
    return errors


def end_target(session: Session, actor: User, target_id: int, last_day: date | None = None,
               reason: str = "") -> VisitTarget:
    """Stop visiting a hand-registered target after ``last_day`` (default: today), e.g. moved away or died.

    Who ended it, when and why are kept in ``ended_by_id``, ``ended_at`` and ``end_reason``. Targets from
    the benefit register end with the register (:func:`sync_targets`). A visit case of a month after
    ``last_day`` still open is cancelled by ``visit_cases.end_target``, which calls this.

    Raises:
        NotFound: no such target. Forbidden: not staff of its township.
        Invalid: a target from the register, one already ended, a last day before it began or before
            a visit recorded, or no reason.
    """
    target = session.get(VisitTarget, target_id)
    if target is None:
        raise NotFound("没有该探访对象", "No such visit target")
    _check_staff(actor, target.township_code)
    if target.source != MANUAL:
        raise Invalid("由在保登记簿产生的探访对象随在保情况自动更新，不能手工结束",
                      "Targets from the benefit register end with the register", {"target": "在保登记簿"})
    if target.until is not None and target.until < clock.today():
        raise Invalid("该探访对象已结束探访", "The target has ended already", {"target": str(target.until)})
    last_day, reason = last_day or clock.today(), str(reason).strip()
    errors = _end_errors(session, target, last_day, reason)
    if errors:
        raise Invalid("结束探访对象有误，请按提示修改", "Ending the visit target has errors", errors)
    target.until, target.ended_by_id, target.ended_at, target.end_reason = last_day, actor.id, clock.now(), reason
    session.flush()
    return target


def targets_of_township(session: Session, actor: User, township_code: str, ended_since: date) -> dict:
    """The township's targets for its staff's page: ``active`` ones and those ``ended`` since a day,
    by name, with ``staff`` (who registered or ended them) by id.

    Raises:
        Forbidden: not staff of the township.
    """
    _check_staff(actor, township_code)
    today = clock.today()
    rows = session.scalars(select(VisitTarget).where(
        VisitTarget.township_code == township_code,
        (VisitTarget.until.is_(None)) | (VisitTarget.until >= ended_since)).order_by(VisitTarget.name, VisitTarget.id))
    rows = list(rows)
    ids = sorted({i for t in rows for i in (t.registered_by_id, t.ended_by_id) if i})
    staff = {u.id: u for u in session.scalars(select(User).where(User.id.in_(ids)))} if ids else {}
    return {"active": [t for t in rows if t.until is None or t.until >= today],
            "ended": [t for t in rows if t.until is not None and t.until < today], "staff": staff}


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


def target_rate_of(session: Session, township_code: str, month: str) -> Decimal:
    """The visit-rate target (``visit.target_rate``) in force on the month's last day.

    Raises:
        Invalid: the month is not YYYY-MM, or no target was in force then (e.g. 1801-11).
    """
    try:
        return Decimal(str(SettingsView(session, township_code, _bounds(month)[1]).get("visit.target_rate")))
    except NotFound:
        raise Invalid(f"{month} 没有生效的探访率目标（visit.target_rate），无法计算探访率",
                      f"No visit-rate target (visit.target_rate) is in force for {month}",
                      {"month": "该月没有生效的探访率目标"}) from None


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
    target_rate = target_rate_of(session, township_code, month)
    return {"month": month, "targets": len(targets), "visited": visited, "rate": rate, "target_rate": target_rate,
            "met": rate >= target_rate}
