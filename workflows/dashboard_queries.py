"""The aggregate statements behind the 统计看板 and the 督导通报 (``workflows.dashboard``).

Each function is one or two SQL aggregates (``GROUP BY`` township, stage, day or month) over the read
models — ``case_record``, ``human_task``, ``benefit`` / ``benefit_change``, ``visit_target`` / ``visit`` —
never a walk over the cases in Python, and each runs unchanged on SQLite and PostgreSQL (``COUNT(*)
FILTER``, ``ROW_NUMBER() OVER``). ``codes`` narrows to some townships; None means the whole district.
The application figures read the indexes of migration 0015 (``ix_case_applied``, ``ix_case_decided``,
``ix_case_open_deadline``); the others read the indexes their pages already use.
"""

from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from . import rules
from .store import Benefit, BenefitChange, Case, HumanTask, Visit, VisitTarget
from .store.benefit import TERMINATED
from .store.user import TOWNSHIP_ROLES as LANE_ROLES

APPLICATION = "dibao_application"
# The stages of an application still being processed, in the order of the procedure.
STAGES = ("SUBMITTED", "ACCEPTING", "WAITING_MATERIALS", "VERIFYING", "INVESTIGATING", "DELIBERATING", "REVIEWING",
          "COUNTY_CHECK", "AWAITING_NOTICE", "PUBLICIZING", "PENDING_DECISION")
APPROVED, REFUSED = "APPROVED", "REFUSED"
DECIDED = (APPROVED, REFUSED)
TREND_MONTHS = 12  # how many months the trend charts show, up to the period's month


def _within(query, column, codes: list[str] | None):
    return query if codes is None else query.where(column.in_(codes))


def _applications():
    return select(Case.township_code).select_from(Case).where(Case.process_id == APPLICATION)


def period_counts(session: Session, codes, first: date, last: date) -> dict[str, dict]:
    """Applications received, approved, refused, and decided after their case deadline, from ``first`` to
    ``last``, by township."""
    received = Case.applied_on.between(first, last)
    decided = Case.decided_on.between(first, last) & Case.status.in_(DECIDED)
    query = _applications().add_columns(
        func.count().filter(received), func.count().filter(decided & (Case.status == APPROVED)),
        func.count().filter(decided & (Case.status == REFUSED)),
        func.count().filter(decided & (Case.decided_on > Case.case_deadline)),
    ).where(received | decided).group_by(Case.township_code)
    keys = ("received", "approved", "refused", "late")
    rows = session.execute(_within(query, Case.township_code, codes))
    return {code: dict(zip(keys, counts, strict=True)) for code, *counts in rows}


def working_day_sums(session: Session, codes, first: date, last: date) -> dict[str, int]:
    """Σ working days from 申请登记 (``applied_on``) to 决定 (``decided_on``) of the applications decided from
    ``first`` to ``last``, by township.

    The working days between two days are W(later) − W(earlier), W counting from one base day: so the sum
    is read from two ``GROUP BY`` day counts, not from the cases one by one.
    """
    decided = _applications().where(Case.status.in_(DECIDED), Case.decided_on.between(first, last))
    decided = _within(decided, Case.township_code, codes)
    ends = session.execute(decided.add_columns(Case.decided_on, func.count())
                           .group_by(Case.township_code, Case.decided_on)).all()
    starts = session.execute(decided.add_columns(Case.applied_on, func.count())
                             .group_by(Case.township_code, Case.applied_on)).all()
    if not starts:
        return {}
    index = _working_day_index({day for _, day, _ in (*starts, *ends)})
    sums: dict[str, int] = {}
    for rows, sign in ((ends, 1), (starts, -1)):
        for code, day, count in rows:
            sums[code] = sums.get(code, 0) + sign * count * index[day]
    return sums


def _working_day_index(days: set[date]) -> dict[date, int]:
    """Each day → the working days after the earliest of them up to that day."""
    index, reached, total = {}, None, 0
    for day in sorted(days):
        total += rules.working_days_between(reached, day) if reached else 0
        index[day], reached = total, day
    return index


def open_counts(session: Session, codes, today: date) -> dict[str, dict]:
    """Cases open at each stage and those past their case deadline, by township (as of today)."""
    query = _applications().add_columns(Case.status, func.count(), func.count().filter(Case.case_deadline < today))
    query = query.where(Case.status.in_(STAGES)).group_by(Case.township_code, Case.status)
    found: dict[str, dict] = {}
    for code, status, count, overdue in session.execute(_within(query, Case.township_code, codes)):
        row = found.setdefault(code, {"stages": {}, "open": 0, "overdue_open": 0})
        row["stages"][status] = count
        row["open"] += count
        row["overdue_open"] += overdue
    return found


def overdue_tasks(session: Session, codes, today: date) -> dict[str, int]:
    """Open tasks of the township's lanes past their due day, by township (the 逾期督办 the leader sees)."""
    query = select(HumanTask.township_code, func.count()).where(HumanTask.role.in_(LANE_ROLES),
                                                                 HumanTask.due_on < today)
    query = _within(query, HumanTask.township_code, codes).group_by(HumanTask.township_code)
    return dict(session.execute(query).all())


def register_by_month(session: Session, codes, months: list[str]) -> dict[str, dict[str, dict]]:
    """Households paid for each of ``months``, their members and the monthly amount: month → township → figures.

    Each change of a benefit holds from its month until the benefit's next change (``LEAD`` over the
    benefit's changes, one pass over ``benefit_change``), and not after the last month paid of a benefit
    that ended. The changes are counted in groups that hold over the same months (``GROUP BY`` township,
    first month, next change, last month paid), and the groups put into the months asked for here: a
    month counts the changes holding then that are not a stop — as ``benefits.amount_in_month`` pays.
    """
    first, last = min(months), max(months)
    following = func.lead(BenefitChange.effective_month).over(
        partition_by=BenefitChange.benefit_id, order_by=(BenefitChange.effective_month, BenefitChange.id))
    held = select(BenefitChange.benefit_id, BenefitChange.kind, BenefitChange.persons, BenefitChange.amount,
                  BenefitChange.effective_month.label("since"), following.label("until"))
    if codes is not None:
        held = held.join(Benefit, Benefit.id == BenefitChange.benefit_id).where(Benefit.township_code.in_(codes))
    held = held.where(BenefitChange.effective_month <= last).subquery()
    paid_until = case((Benefit.status == TERMINATED, Benefit.end_month), else_=None).label("paid_until")
    query = (select(Benefit.township_code, held.c.since, held.c.until, paid_until, func.count(),
                    func.sum(held.c.persons), func.sum(held.c.amount))
             .select_from(held).join(Benefit, Benefit.id == held.c.benefit_id)
             .where(held.c.kind != "stop", held.c.until.is_(None) | (held.c.until > first),
                    (Benefit.status != TERMINATED) | Benefit.end_month.is_(None) | (Benefit.end_month >= first))
             .group_by(Benefit.township_code, held.c.since, held.c.until, paid_until))
    found: dict[str, dict[str, dict]] = {month: {} for month in months}
    for code, since, until, paid, n, persons, amount in session.execute(query):
        for month in months:
            if since <= month and (until is None or month < until) and (paid is None or month <= paid):
                row = found[month].setdefault(code, {"households": 0, "persons": 0, "amount": Decimal("0.00")})
                row["households"] += n
                row["persons"] += int(persons or 0)
                row["amount"] += _money(amount)
    return found


def _money(value) -> Decimal:
    return Decimal(str(value or 0)).quantize(Decimal("0.01"), ROUND_HALF_UP)


def visit_counts(session: Session, codes, month: str) -> dict[str, dict]:
    """The month's visit targets and those visited, by township (as ``visits.monthly_rate`` counts them)."""
    first, last = date.fromisoformat(f"{month}-01"), rules.last_day_of(month)
    active = (VisitTarget.since <= last) & (VisitTarget.until.is_(None) | (VisitTarget.until >= first))
    targets = _within(select(VisitTarget.township_code, func.count()).where(active), VisitTarget.township_code, codes)
    visited = _within(select(VisitTarget.township_code, func.count(func.distinct(Visit.target_id)))
                      .join(Visit, Visit.target_id == VisitTarget.id)
                      .where(active, Visit.visited_on.between(first, last)), VisitTarget.township_code, codes)
    seen = dict(session.execute(visited.group_by(VisitTarget.township_code)).all())
    return {code: {"visit_targets": n, "visited": seen.get(code, 0)}
            for code, n in session.execute(targets.group_by(VisitTarget.township_code))}


def monthly_decisions(session: Session, codes, last_month: str, months: int = TREND_MONTHS) -> list[dict]:
    """Approvals and refusals per month, for the ``months`` months up to ``last_month`` (oldest first).

    One ``GROUP BY decided_on, status`` (a row per day and outcome, never per case), put into months here.
    """
    labels = trend_months(last_month, months)
    query = _within(select(Case.decided_on, Case.status, func.count()).where(
        Case.process_id == APPLICATION, Case.status.in_(DECIDED),
        Case.decided_on.between(date.fromisoformat(f"{labels[0]}-01"), rules.last_day_of(last_month))),
        Case.township_code, codes).group_by(Case.decided_on, Case.status)
    counts = {month: {"month": month, "approved": 0, "refused": 0} for month in labels}
    for day, status, count in session.execute(query):
        counts[rules.month_of(day)]["approved" if status == APPROVED else "refused"] += count
    return list(counts.values())


def trend_months(last_month: str, months: int = TREND_MONTHS) -> list[str]:
    """The ``months`` months up to ``last_month``, oldest first."""
    return [rules.shift_month(last_month, n - months + 1) for n in range(months)]


def register_totals(by_month: dict[str, dict[str, dict]]) -> list[dict]:
    """Households, members and the monthly amount of each month of :func:`register_by_month`, all townships together."""
    return [{"month": month, "households": sum(r["households"] for r in rows.values()),
             "persons": sum(r["persons"] for r in rows.values()),
             "amount": sum((r["amount"] for r in rows.values()), Decimal("0.00"))} for month, rows in by_month.items()]


def overdue_cases(session: Session, codes, today: date, limit: int) -> list[dict]:
    """Open applications past their case deadline, the longest overdue first (at most ``limit``).

    Each line: ``case_no``, ``township_code``, ``status``, ``applied_on``, ``case_deadline``,
    ``deadline_extended`` and ``days_overdue`` (working days after the deadline, up to today).
    How many there are in all is in :func:`open_counts` (``overdue_open``).
    """
    columns = (Case.case_no, Case.township_code, Case.status, Case.applied_on, Case.case_deadline,
               Case.deadline_extended)
    query = _within(select(*columns).where(Case.process_id == APPLICATION, Case.status.in_(STAGES),
                                           Case.case_deadline < today), Case.township_code, codes)
    rows = session.execute(query.order_by(Case.case_deadline, Case.township_code, Case.case_no).limit(limit))
    keys = ("case_no", "township_code", "status", "applied_on", "case_deadline", "deadline_extended")
    return [dict(zip(keys, row, strict=True), days_overdue=rules.working_days_between(row.case_deadline, today))
            for row in rows]
