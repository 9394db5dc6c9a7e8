"""统计看板 and the figures of the 周督导、月通报 (银兴党办发〔2020〕38号 item 5 and 三(三); DOMAIN.md §0, §2).

Per township and for the district, over a period (a month ``2026-11`` or an ISO week ``2026-W48``):
- applications received (``applied_on`` in the period), approved and refused (``decided_on`` in the
  period), those decided after their case deadline (逾期办结), the approval rate, and the average
  processing time in Chinese working days from 申请登记 to 决定 (``rules.working_days_between``);
- as of today: the applications open at each stage, those past their case deadline (the 30/45-working-
  day clock, ``case_deadline``; listed with the working days overdue) and the tasks past their due day;
- the approvals and refusals of the 12 months up to the period;
- for the period's month: the households on 低保, their members and the monthly amount (the benefit
  register, counted as ``benefits.amount_in_month`` pays), and the visit rate (as
  ``visits.monthly_rate`` counts it, against the township's ``visit.target_rate``);
- for the district, the townships ranked: fewest overdue (open past the deadline + decided late),
  then the shortest average processing time.

The figures are SQL aggregates (``workflows.dashboard_queries``), never a walk over the cases in
Python. Township leaders and reviewers see their own township; county auditors and administrators
the district with one row per township, or one township they pick.
"""

import re
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from . import clock, rules
from . import dashboard_queries as q
from .errors import Forbidden, Invalid, NotFound
from .settings import SettingsView
from .store import Township, User

TOWNSHIP_ROLES = ("reviewer", "leader")  # their own township
COUNTY_ROLES = ("county_auditor", "admin")  # the district, or one township of it
OVERDUE_LISTED = 200  # the overdue cases listed by name (the longest overdue first); all are counted
COUNTS = ("received", "approved", "refused", "decided", "late", "open", "overdue_open", "overdue_tasks",
          "households", "persons", "visit_targets", "visited", "working_days")
_MONTH = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")
_WEEK = re.compile(r"^(\d{4})-W(\d{2})$")
_RATE = Decimal("0.0001")
_ONE_PLACE = Decimal("0.1")


@dataclass(frozen=True)
class Period:
    """A calendar month (``2026-11``) or an ISO week, Monday to Sunday (``2026-W48``)."""

    kind: str
    key: str
    first: date
    last: date

    @property
    def month(self) -> str:
        """The month whose register and visit figures the period shows (the month of its last day)."""
        return rules.month_of(self.last)

    @property
    def label(self) -> str:
        """2026年11月 / 2026年第48周（11月23日至11月29日）."""
        if self.kind == "month":
            return f"{self.first.year}年{self.first.month}月"
        year, week, _ = self.first.isocalendar()
        return (f"{year}年第{week}周（{self.first.month}月{self.first.day}日至"
                f"{self.last.month}月{self.last.day}日）")


def period_of(kind: str, value: str = "", today: date | None = None) -> Period:
    """The period asked for: ``kind`` month or week, ``value`` 'YYYY-MM' or 'YYYY-Www' (empty: the current one).

    Raises:
        Invalid: another kind, a malformed month or week, or a period that starts after today.
    """
    today = today or clock.today()
    value = (value or "").strip()
    if kind == "month":
        found = _MONTH.match(value or rules.month_of(today))
        if not found:
            raise Invalid("月份格式应为 YYYY-MM", "The month must be YYYY-MM", {"month": "YYYY-MM"})
        first = date(int(found[1]), int(found[2]), 1)
        period = Period("month", found[0], first, rules.last_day_of(found[0]))
    elif kind == "week":
        period = _week(value or "{}-W{:02d}".format(*today.isocalendar()[:2]))
    else:
        raise Invalid("统计周期应为月或周", "The period is a month or a week", {"period": "month | week"})
    if period.first > today:
        raise Invalid("统计期间不能晚于今天", "The period must not start after today", {period.kind: period.key})
    return period


def _week(value: str) -> Period:
    found = _WEEK.match(value)
    try:
        monday = date.fromisocalendar(int(found[1]), int(found[2]), 1) if found else None
    except ValueError:
        monday = None
    if monday is None:
        raise Invalid("周的格式应为 YYYY-Www（如 2026-W48）", "The week must be YYYY-Www", {"week": "YYYY-Www"})
    return Period("week", value, monday, monday + timedelta(days=6))


@dataclass(frozen=True)
class Scope:
    """What a user's figures cover: one township, or every township of the district."""

    townships: tuple[Township, ...]
    single: bool
    code: str
    name: str
    issuer: str

    @property
    def codes(self) -> list[str] | None:
        """The township codes to filter on; None for the whole district (no filter)."""
        return [t.code for t in self.townships] if self.single else None


def scope_for(session: Session, user: User, township_code: str | None = None) -> Scope:
    """The townships ``user`` sees: their own (township leaders and reviewers), every one of the district
    or the one picked (county auditors and administrators).

    Raises:
        Forbidden: any other role. NotFound: an unknown township, or another one for township staff.
    """
    if user.role in TOWNSHIP_ROLES and user.is_township_staff:
        if township_code not in (None, "", user.township_code):
            raise NotFound("没有该乡镇（街道），或您无权查看", "No such township, or not yours")
        town = session.get(Township, user.township_code)
        return Scope((town,), True, town.code, town.name, town.authority)
    if user.role not in COUNTY_ROLES:
        raise Forbidden("只有乡镇（街道）分管领导、审核人员和区民政局人员可以查看统计看板",
                        "Only township leaders and reviewers and county staff see the dashboard")
    towns = tuple(session.scalars(select(Township).order_by(Township.code)))
    if township_code:
        town = next((t for t in towns if t.code == township_code), None)
        if town is None:
            raise NotFound("没有该乡镇（街道）", "No such township")
        return Scope((town,), True, town.code, town.name, town.authority)
    first = towns[0]
    return Scope(towns, False, first.county_code, first.county_name, f"{first.county_name}民政局")


def rate(part: int, whole: int, empty: Decimal | None = None) -> Decimal | None:
    """``part / whole`` to 4 places; ``empty`` when there is nothing to divide."""
    return (Decimal(part) / Decimal(whole)).quantize(_RATE, ROUND_HALF_UP) if whole else empty


def _derived(row: dict) -> dict:
    """Add the rates and the average that follow from a row's counts."""
    row["approval_rate"] = rate(row["approved"], row["decided"])
    row["average_days"] = (Decimal(row["working_days"]) / row["decided"]).quantize(_ONE_PLACE, ROUND_HALF_UP) \
        if row["decided"] else None
    row["visit_rate"] = rate(row["visited"], row["visit_targets"], Decimal("1.0000"))
    return row


def _row(session: Session, town: Township, period: Period, found: dict) -> dict:
    """One township's figures from the aggregates ``found`` (each keyed by township code)."""
    code = town.code
    row = {"township_code": code, "township_name": town.name, "stages": {}, "amount": Decimal("0.00")}
    row.update(dict.fromkeys(COUNTS, 0))
    for key in ("counts", "open", "register", "visits"):
        row.update(found[key].get(code, {}))
    row["decided"] = row["approved"] + row["refused"]
    row["overdue_tasks"] = found["tasks"].get(code, 0)
    row["working_days"] = found["days"].get(code, 0)
    row["visit_target_rate"] = Decimal(str(SettingsView(session, code, rules.last_day_of(period.month))
                                           .get("visit.target_rate")))
    row = _derived(row)
    row["visit_met"] = row["visit_rate"] >= row["visit_target_rate"]
    return row


def _totals(rows: list[dict]) -> dict:
    totals = {key: sum(r[key] for r in rows) for key in COUNTS}
    totals["amount"] = sum((r["amount"] for r in rows), Decimal("0.00"))
    totals["stages"] = {stage: sum(r["stages"].get(stage, 0) for r in rows) for stage in q.STAGES}
    totals.update(townships=len(rows), visit_met_townships=sum(r["visit_met"] for r in rows))
    return _derived(totals)


def ranking(rows: list[dict]) -> list[dict]:
    """The townships from best to worst: fewest overdue (open past the deadline + decided late), then the
    shortest average processing time (none decided: last), then by code. Each with its ``rank`` and ``overdue``."""
    ranked = sorted(rows, key=lambda r: (r["overdue_open"] + r["late"], r["average_days"] is None,
                                         r["average_days"] or 0, r["township_code"]))
    return [dict(r, rank=n, overdue=r["overdue_open"] + r["late"]) for n, r in enumerate(ranked, 1)]


def report(session: Session, user: User, period: Period, township_code: str | None = None) -> dict:
    """Every figure of the dashboard and the supervision report, for the townships ``user`` sees.

    Returns:
        ``period``, ``as_of`` (today: the open, overdue and task figures are as of today), ``scope``
        (a :class:`Scope`), ``rows`` (one per township, by code; each with ``stages``: status → open
        cases), ``totals``, ``ranking`` (the district only; empty for one township), ``monthly``
        (approvals and refusals per month), ``register_trend`` (households, members and amount per
        month) and ``overdue`` (the overdue cases, longest overdue first; at most ``OVERDUE_LISTED``).

    Raises:
        Forbidden, NotFound: see :func:`scope_for`.
    """
    scope, today = scope_for(session, user, township_code), clock.today()
    codes = scope.codes
    register = q.register_by_month(session, codes, q.trend_months(period.month))
    found = {"counts": q.period_counts(session, codes, period.first, period.last),
             "days": q.working_day_sums(session, codes, period.first, period.last),
             "open": q.open_counts(session, codes, today), "tasks": q.overdue_tasks(session, codes, today),
             "register": register[period.month], "visits": q.visit_counts(session, codes, period.month)}
    rows = [_row(session, town, period, found) for town in scope.townships]
    names = {t.code: t.name for t in scope.townships}
    overdue = [dict(line, township_name=names.get(line["township_code"], line["township_code"]))
               for line in q.overdue_cases(session, codes, today, OVERDUE_LISTED)]
    return {"period": period, "as_of": today, "scope": scope, "rows": rows, "totals": _totals(rows),
            "ranking": [] if scope.single else ranking(rows),
            "monthly": q.monthly_decisions(session, codes, period.month),
            "register_trend": q.register_totals(register), "overdue": overdue}
