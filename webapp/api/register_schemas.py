"""Component schemas of the benefit register and the payment rosters (beside ``benefits.py`` and
``rosters.py``, which produce these shapes), and the request bodies of the review and roster
processes' forms."""

from workflows.forms import form_ids, load_form
from workflows.queries import BENEFIT_STATUSES
from workflows.reviews import PROCESS as REVIEW_PROCESS
from workflows.roster_process import PROCESS as ROSTER_PROCESS

from .form_schemas import form_body_schema
from .schemas import DATE, DATETIME, MONEY, SHA256, nullable, obj, ref

MONTH = {"type": "string", "pattern": r"^[0-9]{4}-(0[1-9]|1[0-2])$", "examples": ["2027-01"]}
CHANGE_KINDS = ["granted", "unchanged", "increase", "reduce", "phase_out", "stop"]


def _benefit() -> dict:
    return {
        "id": {"type": "integer"},
        "certificate_no": {"type": "string", "examples": ["ZS-640104001-2026-000001"], "description": "低保证号"},
        "township_code": {"type": "string", "pattern": "^[0-9]{9}$"},
        "holder_name": {"type": "string"},
        "holder_id_no": {"type": "string"},
        "persons": {"type": "integer", "minimum": 0},
        "amount": MONEY | {"description": "The monthly amount in force now"},
        "standard_class": {"enum": ["urban", "rural"]},
        "review_cycle": {"enum": ["yearly", "half_yearly"]},
        "next_review_on": DATE,
        "review_overdue": {"type": "boolean", "description": "The review date has passed (benefits still paid)"},
        "status": {"enum": list(BENEFIT_STATUSES)},
        "start_month": MONTH | {"description": "First month paid"},
        "end_month": nullable(MONTH) | {"description": "Last month paid, once known (stopped, phasing out)"},
        "url": {"type": "string"},
    }


def _change() -> dict:
    return obj({
        "kind": {"enum": CHANGE_KINDS}, "effective_month": MONTH,
        "amount": MONEY | {"description": "Monthly amount from that month (0.00 when stopped)"},
        "persons": {"type": "integer", "minimum": 0}, "reason": {"type": "string"},
        "case_no": {"type": "string", "description": "The case whose step made the change"}, "at": DATETIME,
    }, "One change of a benefit (appended, never edited)")


def _line() -> dict:
    return obj({
        "seq": {"type": "integer", "minimum": 1}, "benefit_id": {"type": "integer"},
        "certificate_no": {"type": "string"}, "holder_name": {"type": "string"},
        "holder_id_masked": {"type": "string", "description": "First 6 and last 4 characters kept"},
        "persons": {"type": "integer", "minimum": 0}, "standard_class": {"enum": ["urban", "rural"]},
        "amount": MONEY,
    }, "One household on a roster")


def _roster() -> dict:
    return {
        "number": {"type": "string", "examples": ["FF-640104001-2027-000001"]},
        "township_code": {"type": "string", "pattern": "^[0-9]{9}$"},
        "month": MONTH, "issued_at": DATETIME,
        "households": {"type": "integer", "minimum": 1}, "persons": {"type": "integer", "minimum": 0},
        "total": MONEY, "xlsx_sha256": SHA256,
        "url": {"type": "string"},
        "xlsx_url": {"type": "string", "description": "The Excel workbook for the bank"},
        "pdf_url": {"type": "string", "description": "The printed roster"},
        "case_no": {"type": ["string", "null"],
                    "description": "The roster's case (drawn up, approved); null for a roster issued before"},
    }


def _draft() -> dict:
    return obj({"lines": {"type": "array", "items": ref("RosterLine")}, "households": {"type": "integer", "minimum": 0},
                "persons": {"type": "integer", "minimum": 0}, "total": MONEY},
               "The month as it would be issued now (not written)")


def roster_task_form_ids() -> list[str]:
    """The forms of the roster process's user tasks."""
    return [f for f in form_ids(ROSTER_PROCESS) if f != "start"]


def review_task_form_ids() -> list[str]:
    """The forms of the review process's user tasks."""
    return [f for f in form_ids(REVIEW_PROCESS) if f != "start"]


def components() -> dict:
    """The register's and the rosters' component schemas, by name."""
    benefit, issued = _benefit(), _roster()
    out = {
        "Benefit": obj(benefit, "A household on 低保 (the benefit register)"),
        "BenefitList": obj({"items": {"type": "array", "items": ref("Benefit")},
                            "page": {"type": "integer", "minimum": 1}, "per_page": {"type": "integer", "minimum": 1}}),
        "BenefitChange": _change(),
        "BenefitDetail": obj(benefit | {
            "changes": {"type": "array", "items": ref("BenefitChange")},
            "cases": {"type": "array", "items": ref("CaseSummary"), "description": "The application, then reviews"},
            "review_running": {"type": ["string", "null"], "description": "The review under way, if any"},
        }),
        "ReviewStart": form_body_schema(load_form(REVIEW_PROCESS, "start")),
        "RosterLine": _line(),
        "Roster": obj(issued, "An issued monthly payment roster (never changed)"),
        "RosterDetail": obj(issued | {
            "lines": {"type": "array", "items": ref("RosterLine")},
            "problems": {"type": "array", "items": {"type": "string"},
                         "description": "What reconciling with the register found (empty when it agrees)"},
        }),
        "RosterDraft": _draft(),
        "RosterList": obj({"township_code": {"type": "string"}, "month": nullable(MONTH),
                           "items": {"type": "array", "items": ref("Roster")},
                           "draft": nullable(ref("RosterDraft")),
                           "running_case_no": {"type": ["string", "null"],
                                               "description": "With month: the roster case under way for it"}}),
        "RosterRequest": form_body_schema(load_form(ROSTER_PROCESS, "start")),
    }
    for form_id in review_task_form_ids():
        out[f"ReviewTaskForm_{form_id}"] = form_body_schema(load_form(REVIEW_PROCESS, form_id))
    for form_id in roster_task_form_ids():
        out[f"RosterTaskForm_{form_id}"] = form_body_schema(load_form(ROSTER_PROCESS, form_id))
    return out
