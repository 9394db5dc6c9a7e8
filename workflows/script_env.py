"""What BPMN scripts and DMN expressions may call: a small, named set of domain functions.

Scripts run with no importable modules and a short list of builtins. This keeps task data plain
JSON and diagrams readable; it is not a sandbox against a hostile modeller (SpiffWorkflow runs
scripts with exec), which is why only administrators may load process definitions.
Each step builds its environment around a :class:`StepContext` (area, domain date, settings).
"""

import builtins
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from SpiffWorkflow.bpmn.script_engine import PythonScriptEngine, TaskDataEnvironment
from sqlalchemy.orm import Session

from . import reasons, rules
from .clock import CHINA_TZ
from .settings import SettingsView

_SAFE_BUILTINS = {
    name: getattr(builtins, name)
    for name in (
        "abs", "all", "any", "bool", "dict", "enumerate", "float", "int", "len", "list", "max", "min",
        "range", "round", "sorted", "str", "sum", "tuple", "zip", "isinstance", "ValueError",
    )
}


def _no_import(*_args, **_kwargs):
    raise ImportError("BPMN scripts cannot import modules")


_SAFE_BUILTINS["__import__"] = _no_import


class StepContext:
    """Where and when a step runs: the case's area and the domain date, with lazy settings."""

    def __init__(self, session: Session, area_code: str, today: date):
        self.session, self.area_code, self.today = session, area_code, today
        self._settings: SettingsView | None = None

    @property
    def settings(self) -> SettingsView:
        """The settings in force for this area today (one query, on first use)."""
        if self._settings is None:
            self._settings = SettingsView(self.session, self.area_code, self.today)
        return self._settings


def _money(value) -> str:
    return str(Decimal(str(value)).quantize(Decimal("0.01")))


def applicant_of(members: list[dict]) -> dict:
    """Name and ID number of the member registered as 本人."""
    me = next(m for m in members if m.get("relation") == "self")
    return {"name": me["name"], "id_no": me["id_no"]}


def end_of_day(day: str) -> str:
    """Midnight at the end of ``day`` in China, as an ISO datetime with its offset (timer input)."""
    return datetime.combine(date.fromisoformat(day) + timedelta(days=1), time(0), CHINA_TZ).isoformat()


def day_of_month(month: str, n) -> str:
    """The ``n``-th day of a month ('YYYY-MM') in ISO form, or its last day when the month is shorter
    (a monthly due day such as the 25th; the 31st is every month's last day)."""
    last = rules.last_day_of(month)
    return last.replace(day=min(max(int(n), 1), last.day)).isoformat()


def environment(ctx: StepContext) -> dict:
    """The globals a script or DMN expression sees for one step."""
    today = ctx.today

    def describe_members(members):
        return [rules.describe_member(m, today) for m in members]

    def uplift_rates_in_force():
        return {c: ctx.settings.get(f"dibao.uplift.{c}") for c in rules.UPLIFT_CATEGORIES}

    def setting(key):
        # Read on first use (one query), so a step whose scripts need no setting makes no query.
        return ctx.settings.get(key)

    def working_day_deadline(key):
        # The end (China time) of the day ``setting(key)`` working days from today: a task's due time.
        return end_of_day(rules.add_working_days(today, int(ctx.settings.get(key))).isoformat())

    return {
        "__builtins__": _SAFE_BUILTINS,
        "today": today.isoformat,
        "setting": setting,
        "describe_members": describe_members,
        "applicant_of": applicant_of,
        "assess_members": rules.assess_members,
        "property_figures": rules.property_figures,
        "rigid_expense_total": rules.rigid_expense_total,
        "severe_or_ill": rules.severe_or_ill,
        "applicant_row": rules.applicant_row,
        "missing_from": rules.missing_from,
        "merge_materials": rules.merge_materials,
        "working_day_deadline": working_day_deadline,
        # the case's time limit: acceptance + the limit in force (+ notice days when they do not count)
        "deadline_of": lambda c: rules.add_working_days(
            date.fromisoformat(c["accepted_on"]), int(c["limit_wd"]) + int(c.get("notice_wd", 0))).isoformat(),
        # working days from a to b, both counted (a notice period that the case limit may exclude)
        "working_days_in": lambda a, b: rules.working_days_between(
            date.fromisoformat(a) - timedelta(days=1), date.fromisoformat(b)),
        "household_figures": rules.household_figures,
        "benefit_amount": rules.benefit_amount,
        "uplift_rates_in_force": uplift_rates_in_force,
        "working_days_after": lambda day, n: rules.add_working_days(date.fromisoformat(day), int(n)).isoformat(),
        "add_days": lambda day, n: (date.fromisoformat(day) + timedelta(days=int(n))).isoformat(),
        "end_of_day": end_of_day,
        "month_after": lambda day: rules.month_after(date.fromisoformat(day)),
        "add_months": lambda day, n: rules.add_months(date.fromisoformat(day), int(n)).isoformat(),
        "shift_month": lambda month, n: rules.shift_month(month, int(n)),
        "end_of_month": lambda month: end_of_day(rules.last_day_of(month).isoformat()),
        "last_day_of_month": lambda month: rules.last_day_of(month).isoformat(),
        "day_of_month": day_of_month,
        "sum_money": lambda values: rules.money_text(sum((rules.to_decimal(v or 0) for v in values), Decimal(0))),
        "multiply": lambda a, b: _money(Decimal(str(a)) * Decimal(str(b))),
        "dec": lambda x: Decimal(str(x)),
        "refusal_reasons_for": reasons.refusal_reasons,
    }


def script_engine(ctx: StepContext) -> PythonScriptEngine:
    """A script engine bound to this step's context."""
    return PythonScriptEngine(environment=TaskDataEnvironment(environment(ctx)))
