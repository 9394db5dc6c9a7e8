"""``GET /openapi.json``: the OpenAPI 3.1 document of this API, built from Python data.

Paths are listed here; the schemas are in :mod:`.schemas` (responses) and :mod:`.form_schemas`
(request bodies, generated from the forms). No authentication is needed to read it.
"""

from functools import cache

from workflows.queries import MAX_PAGE

from ..downloads import XLSX
from ..inputs import DB_INT_MAX
from . import bp, life_schemas
from .register_schemas import MONTH, review_task_form_ids, roster_task_form_ids
from .register_schemas import components as register_components
from .schemas import STATUSES, components, ref, task_form_ids
from .spot_check_schemas import components as spot_check_components
from .spot_check_schemas import spot_check_task_form_ids

ERRORS = {
    "BadRequest": (400, "The body is not JSON"),
    "Unauthorized": (401, "No bearer token, or an invalid or expired one"),
    "Forbidden": (403, "Your role may not do this (or separation of duties forbids it)"),
    "NotFound": (404, "No such object, or not visible to you (another township's case looks the same)"),
    "Conflict": (409, "The task moved on, or someone else claimed it, or the case was just updated"),
    "Invalid": (422, "Invalid data; error.details has a message per field path (members.1.id_no)"),
}
STATUS_TO_ERROR = {status: name for name, (status, _) in ERRORS.items()}
CASE_NO = {"name": "case_no", "in": "path", "required": True, "schema": {"type": "string"}}
TASK_ID = {"name": "task_id", "in": "path", "required": True, "schema": {"type": "string", "format": "uuid"}}
PAGE = {"name": "page", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": MAX_PAGE, "default": 1}}
# Ids in URLs are database INTEGERs; a larger number names nothing (404, webapp.inputs).
DB_ID = {"type": "integer", "minimum": 0, "maximum": DB_INT_MAX}


def _json(schema: dict, description: str, media: str = "application/json") -> dict:
    return {"description": description, "content": {media: {"schema": schema}}}


def op(op_id: str, summary: str, ok: tuple, errors: tuple[int, ...], **extra) -> dict:
    """One operation: its success answer ``(status, description, schema[, media type])`` and error statuses."""
    status, description, schema, *media = ok
    responses = {str(status): _json(schema, description, *media)}
    for code in (401, *errors) if extra.get("security") != [] else errors:
        responses[str(code)] = {"$ref": f"#/components/responses/{STATUS_TO_ERROR[code]}"}
    operation = {"operationId": op_id, "summary": summary, "responses": responses}
    operation.update(extra)
    return operation


def _body(schema: dict) -> dict:
    return {"required": True, "content": {"application/json": {"schema": schema}}}


def _task_forms() -> dict:
    forms = [ref(f"TaskForm_{f}") for f in task_form_ids()]
    forms += [ref(f"ReviewTaskForm_{f}") for f in review_task_form_ids()]
    forms += [ref(f"SpotCheckTaskForm_{f}") for f in spot_check_task_form_ids()]
    forms += [ref(f"TempTaskForm_{f}") for f in life_schemas.temp_task_form_ids()]
    forms += [ref(f"VisitTaskForm_{f}") for f in life_schemas.visit_task_form_ids()]
    forms += [ref(f"RosterTaskForm_{f}") for f in roster_task_form_ids()]
    return {"anyOf": forms, "description": "The fields of the task's form (GET /tasks/{task_id} gives it)"}


def _case_paths() -> dict:
    list_params = [
        {"name": "status", "in": "query", "schema": {"enum": STATUSES}},
        {"name": "q", "in": "query", "schema": {"type": "string"}, "description": "Name, case number or ID number"},
        PAGE,
    ]
    pdf = (200, "The PDF bytes", {"type": "string", "contentMediaType": "application/pdf"}, "application/pdf")
    number = {"name": "number", "in": "path", "required": True, "schema": {"type": "string"}}
    # 403: a payment roster's case is read only by those who may read rosters (township reviewer and leader,
    # county roles); other cases answer 404 outside the user's township.
    download = op("getDocument", "Download an issued document", pdf, (403, 404), parameters=[CASE_NO, number])
    return {
        "/cases": {
            "post": op("createCase", "Register an application (window clerks)",
                       (201, "The new case", ref("CaseSummary")), (400, 403, 422),
                       requestBody=_body(ref("Registration"))),
            "get": op("listCases", "Cases you may see, newest first", (200, "A page of cases", ref("CaseList")),
                      (422,), parameters=list_params),
        },
        "/cases/{case_no}": {"get": op("getCase", "One case with its data, open tasks and documents",
                                       (200, "The case", ref("CaseDetail")), (403, 404), parameters=[CASE_NO])},
        "/cases/{case_no}/history": {"get": op("getHistory", "The case's hash-chained event log",
                                               (200, "The events", ref("History")), (403, 404),
                                               parameters=[CASE_NO])},
        "/cases/{case_no}/replay": {"get": op("replayCase", "Replay and verify the case (county auditors, admins)",
                                              (200, "The verdict", ref("Replay")), (403, 404), parameters=[CASE_NO])},
        "/cases/{case_no}/documents/{number}": {"get": download},
        "/cases/{case_no}/objections": {"post": op(
            "recordObjection", "Record an objection received during the public notice (clerks, reviewers); "
            "the case goes back to investigation. 409 unless the case is in its public notice",
            (201, "What the step did", ref("StepResult")), (400, 403, 404, 409, 422), parameters=[CASE_NO],
            requestBody=_body(ref("MessageForm_objection")))},
        "/cases/{case_no}/extension": {"post": op(
            "extendDeadline", "Extend the case's time limit, once, with a reason (leaders). 409 if it was "
            "extended before or the case is not accepted yet", (200, "What the step did", ref("StepResult")),
            (400, 403, 404, 409, 422), parameters=[CASE_NO], requestBody=_body(ref("MessageForm_deadline_extension")))},
    }


def _task_paths() -> dict:
    views = {"name": "view", "in": "query", "schema": {"enum": ["all", "mine", "unclaimed", "overdue", "week"],
                                                       "default": "all"}}
    task_ok = (200, "The task", ref("Task"))
    return {
        "/tasks": {"get": op("listTasks", "Your queue, most urgent first", (200, "A page of tasks", ref("TaskList")),
                             (403, 422), parameters=[views, PAGE])},
        "/tasks/{task_id}": {"get": op("getTask", "A task with its form and the case data",
                                       (200, "The task", ref("TaskDetail")), (403, 404, 409), parameters=[TASK_ID])},
        "/tasks/{task_id}/claim": {"post": op("claimTask", "Claim the task", task_ok, (403, 404, 409),
                                              parameters=[TASK_ID])},
        "/tasks/{task_id}/unclaim": {"post": op("unclaimTask", "Give the task back to the queue", task_ok,
                                                (403, 404, 409), parameters=[TASK_ID])},
        "/tasks/{task_id}/complete": {"post": op(
            "completeTask", "Complete the task with its form's data", (200, "What the step did", ref("StepResult")),
            (400, 403, 404, 409, 422), parameters=[TASK_ID], requestBody=_body(_task_forms()))},
    }


def _benefit_paths() -> dict:
    benefit_id = {"name": "benefit_id", "in": "path", "required": True, "schema": DB_ID}
    params = [
        {"name": "status", "in": "query", "schema": {"enum": ["ACTIVE", "PHASING_OUT", "TERMINATED"]}},
        {"name": "township", "in": "query", "schema": {"type": "string"}, "description": "County roles: one township"},
        {"name": "q", "in": "query", "schema": {"type": "string"}, "description": "Holder, 低保证号 or ID number"},
        PAGE,
    ]
    return {
        "/benefits": {"get": op("listBenefits", "Households on 低保 you may see, by 低保证号",
                                (200, "A page of benefits", ref("BenefitList")), (422,), parameters=params)},
        "/benefits/{benefit_id}": {"get": op("getBenefit", "One household on 低保 with its changes and cases",
                                             (200, "The benefit", ref("BenefitDetail")), (404,),
                                             parameters=[benefit_id])},
        "/benefits/{benefit_id}/reviews": {"post": op(
            "startReview", "Start a review of the household (the township's clerks). 409 if one is under way "
            "or the household has left the benefit", (201, "What the step did", ref("StepResult")),
            (400, 403, 404, 409, 422), parameters=[benefit_id], requestBody=_body(ref("ReviewStart")))},
    }


def _roster_paths() -> dict:
    number = {"name": "number", "in": "path", "required": True, "schema": {"type": "string"}}
    params = [{"name": "month", "in": "query", "schema": MONTH},
              {"name": "township", "in": "query", "schema": {"type": "string"},
               "description": "County roles (required for them): the township"}]
    files = {"xlsx": ("getRosterWorkbook", "The Excel workbook for the bank", XLSX),
             "pdf": ("getRosterPdf", "The printed roster", "application/pdf")}
    paths = {
        "/rosters": {
            "get": op("listRosters", "The township's issued rosters; with month, that month's and its preview "
                      "(leaders, reviewers; county auditors and admins with township)",
                      (200, "Rosters", ref("RosterList")), (403, 422), parameters=params),
            "post": op("startRoster", "Draw up the township's roster for a month (its reviewer): the roster's "
                       "case starts, and the leader's task (approve) issues it. 409 if the month was issued "
                       "already or a roster for it is under way", (201, "What the step did", ref("StepResult")),
                       (400, 403, 409, 422), requestBody=_body(ref("RosterRequest"))),
        },
        "/rosters/{number}": {"get": op("getRoster", "An issued roster with its lines and reconciliation",
                                        (200, "The roster", ref("RosterDetail")), (403, 404), parameters=[number])},
    }
    for suffix, (op_id, summary, media) in files.items():
        ok = (200, "The file", {"type": "string", "contentMediaType": media}, media)
        paths[f"/rosters/{{number}}/{suffix}"] = {"get": op(op_id, summary, ok, (403, 404), parameters=[number])}
    return paths


def _spot_check_paths() -> dict:
    draw_id = {"name": "draw_id", "in": "path", "required": True, "schema": DB_ID}
    township = {"name": "township", "in": "query", "schema": {"type": "string"}, "description": "One township"}
    return {
        "/spot-checks": {
            "get": op("listSpotChecks", "County spot-check draws, newest first (county auditors, admins)",
                      (200, "The draws", ref("SpotCheckDrawList")), (403, 422), parameters=[township]),
            "post": op("drawSpotCheck", "Draw a sample of a township's decisions in a past period and start a "
                       "spot check of each (county auditors). 409 if the period overlaps an earlier draw of the "
                       "township or nothing was decided in it", (201, "The draw", ref("SpotCheckDrawDetail")),
                       (400, 403, 404, 409, 422), requestBody=_body(ref("SpotCheckRequest"))),
        },
        "/spot-checks/{draw_id}": {"get": op(
            "getSpotCheck", "A draw with its spot checks and whether it reproduces (county auditors, admins)",
            (200, "The draw", ref("SpotCheckDrawDetail")), (403, 404), parameters=[draw_id])},
    }


def _other_paths() -> dict:
    return {
        "/tokens": {"post": op("createToken", "Get a bearer token", (201, "The token", ref("Token")),
                               (400, 401, 422), security=[], requestBody=_body(ref("TokenRequest")))},
        "/openapi.json": {"get": op("getOpenApi", "This document", (200, "OpenAPI 3.1", {"type": "object"}), (),
                                    security=[])},
    }


@cache
def document() -> dict:
    """The OpenAPI document (built once per process)."""
    return {
        "openapi": "3.1.0",
        "info": {"title": "低保审批 API (dibao)", "version": "1.0.0",
                 "description": "Township approval of the minimum living guarantee. Money is a string with two "
                                "decimals, dates are ISO 8601. Errors: {error: {code, message, details}}."},
        "servers": [{"url": "/api/v1"}],
        "security": [{"bearerAuth": []}],
        "paths": {**_other_paths(), **_case_paths(), **_task_paths(), **_benefit_paths(), **_roster_paths(),
                  **_spot_check_paths(), **life_schemas.paths()},
        "components": {
            "securitySchemes": {"bearerAuth": {"type": "http", "scheme": "bearer",
                                               "description": "POST /tokens with username and password"}},
            "responses": {name: _json(ref("Error"), text) for name, (_, text) in ERRORS.items()},
            "schemas": {**components(), **register_components(), **spot_check_components(),
                        **life_schemas.components()},
        },
    }


@bp.route("/openapi.json", methods=["GET"])
def openapi():
    """The OpenAPI 3.1 document (no authentication)."""
    return document()
