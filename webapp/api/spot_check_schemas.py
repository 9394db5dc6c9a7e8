"""Component schemas of the county spot checks (beside ``spot_checks.py``, which produces these
shapes), and the request body of the spot check's task form."""

from workflows.forms import form_ids, load_form
from workflows.spot_checks import PROCESS as SPOT_CHECK_PROCESS

from .form_schemas import form_body_schema
from .schemas import DATE, DATETIME, obj, ref

CASE_NOS = {"type": "array", "items": {"type": "string"}}


def _draw() -> dict:
    return {
        "id": {"type": "integer"},
        "township_code": {"type": "string", "pattern": "^[0-9]{9}$"},
        "drawn_by": {"type": ["string", "null"], "description": "Display name of the county auditor who drew"},
        "drawn_at": DATETIME,
        "decided_from": DATE | {"description": "First day of the period of the decisions drawn from"},
        "decided_to": DATE | {"description": "Last day of the period (before the day of the draw)"},
        "ratio": {"type": "string", "pattern": r"^[0-9]+(\.[0-9]+)?$", "examples": ["0.30"],
                  "description": "dibao.spot_check.ratio as in force on the day of the draw"},
        "seed": {"type": "string", "pattern": "^[0-9]+$", "description": "The recorded 64-bit random seed"},
        "population": CASE_NOS | {"description": "The township's applications decided in the period, in order"},
        "near_relative": CASE_NOS | {"description": "近亲属 cases of the population (all checked)"},
        "sample": CASE_NOS | {"description": "The cases checked (near-relative ones included), in order"},
        "url": {"type": "string"},
    }


def spot_check_task_form_ids() -> list[str]:
    """The forms of the spot-check process's user tasks."""
    return [f for f in form_ids(SPOT_CHECK_PROCESS) if f != "start"]


def components() -> dict:
    """The spot checks' component schemas, by name."""
    draw = _draw()
    out = {
        "SpotCheckDraw": obj(draw, "A county spot-check draw: recorded in full, so it can be drawn again"),
        "SpotCheckDrawList": obj({"items": {"type": "array", "items": ref("SpotCheckDraw")}}),
        "SpotCheckDrawDetail": obj(draw | {
            "reproduces": {"type": "boolean", "description": "Drawing again from the record gives the same sample"},
            "problems": {"type": "array", "items": {"type": "string"},
                         "description": "What checking the record found (empty when everything holds)"},
            "checks": {"type": "array", "items": ref("CaseSummary"),
                       "description": "The spot-check cases the draw started, in the order of the cases checked"},
        }),
        "SpotCheckRequest": obj({"township": {"type": "string", "pattern": "^[0-9]{9}$"},
                                 "decided_from": DATE, "decided_to": DATE}),
    }
    for form_id in spot_check_task_form_ids():
        out[f"SpotCheckTaskForm_{form_id}"] = form_body_schema(load_form(SPOT_CHECK_PROCESS, form_id))
    return out
