"""Component schemas of the OpenAPI document: what each endpoint answers (JSON Schema 2020-12).

Kept beside ``serialize.py``, which produces these shapes; the API tests validate real responses
against them, so a field added there must be added here.
"""

from workflows.engine import DEFAULT_PROCESS
from workflows.forms import form_ids, load_form
from workflows.readmodels import ENDED_WITHOUT_BENEFIT
from workflows.store import ACTIVE_STATUSES, ROLES

from .form_schemas import form_body_schema, object_schema

# Forms of BPMN messages staff send to a case (objection, extension), not of user tasks.
MESSAGE_FORMS = ("objection", "deadline_extension")
MONEY = {"type": ["string", "null"], "pattern": r"^-?[0-9]+\.[0-9]{2}$", "examples": ["1084.00"]}
DATE = {"type": "string", "format": "date"}
DATETIME = {"type": "string", "format": "date-time"}
SHA256 = {"type": "string", "pattern": "^[0-9a-f]{64}$"}
# A review case (dibao_review) ends REVIEWED, or EXITED after its 渐退 period; a spot check
# (dibao_spot_check) ends CHECKED, or CHECK_PROBLEM when its finding went back to the case checked;
# a payment roster (payment_roster) ends ROSTER_ISSUED or ROSTER_WITHDRAWN; a visit (dibao_visit) VISITED,
# VISITED_REFERRED (a change sent to a review), VISIT_MISSED or VISIT_CANCELLED (the person no longer visited).
STATUSES = [*ACTIVE_STATUSES, "APPROVED", *ENDED_WITHOUT_BENEFIT, "REVIEWED", "EXITED", "CHECKED", "CHECK_PROBLEM",
            "ROSTER_ISSUED", "ROSTER_WITHDRAWN", "VISITED", "VISITED_REFERRED", "VISIT_MISSED", "VISIT_CANCELLED"]


def ref(name: str) -> dict:
    """A reference to a component schema."""
    return {"$ref": f"#/components/schemas/{name}"}


def nullable(schema: dict) -> dict:
    """The schema, or null."""
    return {"anyOf": [schema, {"type": "null"}]}


def obj(properties: dict, description: str = "", required: list[str] | None = None) -> dict:
    """A closed object; every property is required unless ``required`` says otherwise."""
    schema = {"type": "object", "properties": properties, "additionalProperties": False,
              "required": list(properties) if required is None else required}
    if description:
        schema["description"] = description
    return schema


def _case_summary() -> dict:
    return {
        "case_no": {"type": "string", "examples": ["640104001-2026-00001"]},
        "process_id": {"type": "string"},
        "township_code": {"type": "string", "pattern": "^[0-9]{9}$"},
        "status": {"type": "string", "enum": STATUSES},
        "applicant_name": {"type": "string"},
        "applicant_id_no": {"type": "string"},
        "household_size": {"type": "integer", "minimum": 1},
        "amount_total": MONEY | {"description": "Monthly benefit in yuan once calculated and eligible, else null"},
        "applied_on": DATE,
        "case_deadline": nullable(DATE),
        "decided_on": nullable(DATE),
        "next_timer_at": nullable(DATETIME),
        "received_by": {"type": ["string", "null"], "pattern": "^[0-9]{9}$",
                        "description": "The township whose window registered the case, when another one is "
                                       "responsible (异地受理); else null"},
        "near_relative": {"type": "boolean", "description": "近亲属 of staff declared: registered separately (备案)"},
        "deadline_extended": {"type": "boolean", "description": "The time limit was extended (once only)"},
        "objection_count": {"type": "integer", "minimum": 0, "description": "Objections received during 公示"},
        "created_at": DATETIME,
        "updated_at": DATETIME,
        "url": {"type": "string", "description": "This case in the API"},
    }


def _task() -> dict:
    return {
        "id": {"type": "string", "format": "uuid"},
        "case_no": {"type": "string"},
        "task_spec": {"type": "string", "description": "The BPMN task id, e.g. accept, investigate"},
        "title": {"type": "string"},
        "role": {"type": "string", "enum": list(ROLES)},
        "township_code": {"type": "string"},
        "form": {"type": "string", "description": "<process_id>/<task_spec>"},
        "created_at": DATETIME,
        "due_on": nullable(DATE),
        "overdue": {"type": "boolean"},
        "escalated_at": nullable(DATETIME) | {"description": "When the overdue task was escalated to the leader"},
        "claimed_by": {"type": ["string", "null"], "description": "Display name of the claimer"},
        "claimed_at": nullable(DATETIME),
        "url": {"type": "string"},
    }


def _document() -> dict:
    return {
        "number": {"type": "string"},
        "kind": {"type": "string", "examples": ["approval_notice", "refusal_notice", "missing_materials_notice"]},
        "sha256": SHA256,
        "size": {"type": "integer", "minimum": 1},
        "verify_code": {"type": "string"},
        "issued_at": DATETIME,
        "event_seq": {"type": "integer", "minimum": 1},
        "url": {"type": "string", "description": "Download (application/pdf)"},
        "verify_url": {"type": "string", "description": "Public verification page"},
    }


def _event() -> dict:
    return {
        "seq": {"type": "integer", "minimum": 1},
        "kind": {"type": "string", "examples": ["application_submitted", "task_completed", "timer_fired",
                                                "message_received", "outside_data_received"]},
        "task_spec": {"type": ["string", "null"]},
        "actor_name": {"type": "string"},
        "at": DATETIME,
        "data": {"type": "object", "description": "The event's data as recorded"},
        "state_digest": SHA256,
        "digest_version": {"type": "integer", "minimum": 1, "description": "The rule state_digest was computed by "
                                                                          "(docs/audit.md)"},
        "prev_hash": {"type": "string", "pattern": "^([0-9a-f]{64})?$", "description": "Empty for the first"},
        "hash": SHA256,
    }


def _error() -> dict:
    detail = obj({
        "code": {"type": "string", "examples": ["invalid", "not_found", "conflict", "unauthorized"]},
        "message": {"type": "string"},
        "details": {"type": "object", "additionalProperties": {"type": "string"},
                    "description": "Messages by field path, e.g. members.1.id_no"},
    })
    return obj({"error": detail}, "Every error answer")


def _paged(item: str, extra: dict | None = None) -> dict:
    return obj({"items": {"type": "array", "items": ref(item)}, "page": {"type": "integer", "minimum": 1},
                "per_page": {"type": "integer", "minimum": 1}, **(extra or {})})


def _views() -> dict:
    counts = {name: {"type": "integer", "minimum": 0} for name in ("all", "mine", "unclaimed", "overdue", "week")}
    return {"view": {"type": "string", "enum": list(counts)}, "counts": obj(counts)}


def _form_bodies() -> dict:
    """Registration (with its member rows) and one body per task form of the default process."""
    start = load_form(DEFAULT_PROCESS, "start")
    members = start.field("members")
    out = {
        "Registration": form_body_schema(start, {"members": ref("HouseholdMember")}),
        "HouseholdMember": {"title": members["label"]["en"], **object_schema(members["columns"])},
    }
    for form_id in task_form_ids():
        out[f"TaskForm_{form_id}"] = form_body_schema(load_form(DEFAULT_PROCESS, form_id))
    for form_id in MESSAGE_FORMS:
        out[f"MessageForm_{form_id}"] = form_body_schema(load_form(DEFAULT_PROCESS, form_id))
    return out


def task_form_ids() -> list[str]:
    """The forms of the default process's user tasks (not registration, not the message forms)."""
    return [f for f in form_ids(DEFAULT_PROCESS) if f != "start" and f not in MESSAGE_FORMS]


def components() -> dict:
    """Every component schema, by name."""
    summary, task = _case_summary(), _task()
    return {
        "Error": _error(),
        "TokenRequest": obj({"username": {"type": "string"}, "password": {"type": "string"}}),
        "Token": obj({"token": {"type": "string"}, "token_type": {"const": "Bearer"}, "expires_at": DATETIME}),
        "CaseSummary": obj(summary, "A case as lists show it"),
        "CaseList": _paged("CaseSummary"),
        "CaseDetail": obj(summary | {"data": {"type": "object", "description": "The case's current data"},
                                     "open_tasks": {"type": "array", "items": ref("Task")},
                                     "documents": {"type": "array", "items": ref("Document")}}),
        "Task": obj(task, "An open human task"),
        "TaskList": _paged("Task", _views()),
        "TaskDetail": obj(task | {
            "case": ref("CaseSummary"),
            "form": {"type": "object", "required": ["id", "process", "title", "fields"],
                     "description": "The form definition (forms/_meta.schema.json)"},
            "data": {"type": "object", "description": "The case's current data"},
            "values": {"type": "object", "description": "The form's starting values, from the case data"},
        }),
        "StepResult": obj({"case": ref("CaseSummary"), "open_tasks": {"type": "array", "items": ref("Task")},
                           "documents": {"type": "array", "items": ref("Document"),
                                         "description": "Documents this step issued"}}),
        "Document": obj(_document()),
        "Event": obj(_event()),
        "History": obj({"case_no": {"type": "string"}, "url": {"type": "string"},
                        "events": {"type": "array", "items": ref("Event")}}),
        "Replay": obj({
            "case_no": {"type": "string"}, "verified": {"type": "boolean"},
            "steps_checked": {"type": "integer", "minimum": 0},
            "problems": {"type": "array", "items": {"type": "string"}},
            "divergence": nullable(obj({"seq": {"type": "integer"}, "kind": {"type": "string"},
                                        "reason": {"type": "string"}, "expected": {"type": "string"},
                                        "actual": {"type": "string"}})),
        }, "Replay verification: the case re-run from its recorded events on its pinned process version"),
        **_form_bodies(),
    }
