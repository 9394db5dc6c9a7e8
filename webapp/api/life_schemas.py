"""The OpenAPI paths and component schemas of 临时救助, the reserve fund and 探访 (beside ``assistance.py``
and ``visits.py``, which produce these shapes), and the request bodies of the temporary assistance forms."""

from workflows.forms import form_ids, load_form
from workflows.store.reserve import KINDS
from workflows.store.visit import CATEGORIES, METHODS
from workflows.temp_assistance import PROCESS as TEMP_PROCESS
from workflows.temp_assistance import STATUSES as TEMP_STATUSES
from workflows.visit_steps import PROCESS as VISIT_PROCESS

from .form_schemas import form_body_schema
from .register_schemas import MONTH
from .schemas import DATE, DATETIME, MONEY, nullable, obj, ref

TOWNSHIP = {"type": "string", "pattern": "^[0-9]{9}$"}
RATE = {"type": "string", "pattern": r"^[0-9]+\.[0-9]{4}$", "examples": ["0.6667"]}
COUNT = {"type": "integer", "minimum": 0}


def temp_task_form_ids() -> list[str]:
    """The forms of the temporary assistance process's user tasks."""
    return [f for f in form_ids(TEMP_PROCESS) if f != "start"]


def visit_task_form_ids() -> list[str]:
    """The forms of the visit process's user tasks (探访, and the window's follow-up of a change)."""
    return [f for f in form_ids(VISIT_PROCESS) if f != "start"]


def _rate_row() -> dict:
    return obj({
        "township_code": TOWNSHIP, "township_name": {"type": "string"},
        "targets": COUNT | {"description": "Key people to visit in the month (active on any day of it)"},
        "visited": COUNT | {"description": "Of them, visited at least once in the month"},
        "due": COUNT | {"description": "Of them, not visited yet"},
        "visits": COUNT | {"description": "Visits recorded in the month"},
        "home": COUNT | {"description": "Of them, home visits (入户)"}, "phone": COUNT | {"description": "By phone"},
        "rate": RATE | {"description": "visited / targets (1.0000 when there is nobody to visit)"},
        "target_rate": {"type": "string", "description": "visit.target_rate in force for the township"},
        "met": {"type": "boolean"},
    }, "One township's visits of a month")


def components() -> dict:
    """The component schemas of temporary assistance, the reserve and visits, by name."""
    entry = obj({
        "id": {"type": "integer"}, "at": DATETIME, "kind": {"enum": list(KINDS)},
        "amount": MONEY | {"description": "Always positive; the kind gives the direction"},
        "balance_after": MONEY, "case_no": {"type": ["string", "null"], "description": "The case a payment was for"},
        "by": {"type": ["string", "null"], "description": "Who moved the money"}, "note": {"type": "string"},
    }, "One movement of a township's reserve (appended, never changed)")
    target = obj({
        "id": {"type": "integer"}, "township_code": TOWNSHIP, "name": {"type": "string"},
        "id_no": {"type": "string"}, "category": {"enum": list(CATEGORIES)},
        "source": {"enum": ["register", "manual"]}, "since": DATE, "until": nullable(DATE),
        "ended_at": nullable(DATETIME) | {"description": "When the target was ended (by hand or by the register)"},
        "end_reason": {"type": ["string", "null"], "description": "Why it was ended"},
        "visits_url": {"type": "string", "description": "POST a visit here"},
    }, "A key person the township visits every month")
    target_props = target["properties"]
    due = obj({**target_props, "task_id": {"type": "string", "format": "uuid", "description": "The open 探访 task"},
               "case_no": {"type": "string", "description": "The visit case"}, "due_on": nullable(DATE),
               "escalated": {"type": "boolean", "description": "Past its due day: escalated to the leader"}},
              "An open visit of the month: the person and the task that records it")
    out = {
        "TempAssistanceApplication": form_body_schema(load_form(TEMP_PROCESS, "start")),
        "ReserveEntry": entry,
        "ReserveBalances": obj({"items": {"type": "array", "items": obj({
            "township_code": TOWNSHIP, "balance": MONEY, "url": {"type": "string"}})}}),
        "Reserve": obj({"township_code": TOWNSHIP, "balance": MONEY,
                        "entries": {"type": "array", "items": ref("ReserveEntry"), "description": "Newest first"}}),
        "ReserveEntryRequest": obj({
            "kind": {"enum": ["deposit", "refund"], "description": "拨入 (deposit) or money returned (refund)"},
            "amount": {"type": ["string", "number"], "pattern": r"^[0-9]+(\.[0-9]{1,2})?$",
                       "description": "Yuan, positive, at most 2 decimals"},
            "note": {"type": "string", "maxLength": 500}}, required=["kind", "amount"]),
        "VisitTarget": target,
        "VisitTargetCreated": obj({**target_props, "case_no": {"type": "string", "description": "Its visit of "
                                                                                                 "this month"}}),
        "VisitTargetRequest": obj({"id_no": {"type": "string"}, "name": {"type": "string", "maxLength": 64},
                                   "category": {"enum": list(CATEGORIES)},
                                   "note": {"type": "string", "maxLength": 500, "description": "Why (required)"}}),
        "VisitTargetEndRequest": obj({"last_day": DATE | {"description": "The last day visited for (default: "
                                                                         "today)"},
                                      "reason": {"type": "string", "maxLength": 500}}, required=["reason"]),
        "VisitDue": due,
        "VisitsDue": obj({"township_code": TOWNSHIP, "month": MONTH,
                          "items": {"type": "array", "items": ref("VisitDue")}}),
        "VisitRequest": obj({
            "visited_on": DATE | {"description": "Not in the future, within the target's period; its month's "
                                                 "open visit is completed"},
            "method": {"enum": list(METHODS)}, "notes": {"type": "string", "maxLength": 2000},
            "change_found": {"type": "boolean", "description": "The circumstances changed: a household on 低保 "
                                                               "gets a review, anyone else a follow-up"},
            "change_detail": {"type": "string", "maxLength": 2000, "description": "Required with change_found"},
            "task_id": {"type": "string", "format": "uuid", "description": "The open visit listed by /visits/due "
                                                                          "(a second post of it answers 409); "
                                                                          "without it, a visit of a month whose "
                                                                          "visit is done is a further visit"}},
            required=["visited_on", "method"]),
        "Visit": obj({"id": {"type": "integer"}, "target_id": {"type": "integer"}, "visited_on": DATE,
                      "method": {"enum": list(METHODS)}, "notes": {"type": "string"}, "staff": {"type": "string"},
                      "recorded_at": DATETIME, "case_no": {"type": "string", "description": "The visit case"},
                      "case_status": {"type": "string", "description": "VISITED, VISITED_REFERRED or "
                                                                       "VISIT_FOLLOW_UP"}}),
        "VisitRate": _rate_row(),
        "VisitRates": obj({"month": MONTH, "items": {"type": "array", "items": ref("VisitRate")}}),
    }
    for form_id in temp_task_form_ids():
        out[f"TempTaskForm_{form_id}"] = form_body_schema(load_form(TEMP_PROCESS, form_id))
    for form_id in visit_task_form_ids():
        out[f"VisitTaskForm_{form_id}"] = form_body_schema(load_form(VISIT_PROCESS, form_id))
    return out


def _body(schema: dict) -> dict:
    return {"required": True, "content": {"application/json": {"schema": schema}}}


def paths() -> dict:
    """The paths of temporary assistance, the reserve and visits."""
    from .spec import PAGE, op  # noqa: PLC0415 - spec imports this module to build the document

    township = {"name": "township", "in": "path", "required": True, "schema": TOWNSHIP}
    county = {"name": "township", "in": "query", "schema": TOWNSHIP, "description": "County roles: one township"}
    month = {"name": "month", "in": "query", "schema": MONTH, "description": "Default: this month"}
    target_id = {"name": "target_id", "in": "path", "required": True, "schema": {"type": "integer"}}
    status = {"name": "status", "in": "query", "schema": {"enum": list(TEMP_STATUSES)}}
    return {
        "/temp-assistance": {
            "post": op("createTempAssistance", "Register an application for 临时救助 (window clerks). 409 if the "
                       "applicant has one under way", (201, "The new case", ref("CaseSummary")), (400, 403, 409, 422),
                       requestBody=_body(ref("TempAssistanceApplication"))),
            "get": op("listTempAssistance", "Temporary assistance cases you may see, newest first",
                      (200, "A page of cases", ref("CaseList")), (403, 422), parameters=[status, county, PAGE]),
        },
        "/reserve": {"get": op("listReserves", "Reserve balances you may read (township leaders and reviewers: "
                                               "their own; county auditors and admins: every township)",
                               (200, "Balances", ref("ReserveBalances")), (403,))},
        "/reserve/{township}": {"get": op("getReserve", "A township's reserve: balance and ledger",
                                          (200, "The reserve", ref("Reserve")), (403, 404), parameters=[township])},
        "/reserve/{township}/entries": {"post": op(
            "moveReserve", "Pay money into the township's reserve or record money returned (its leader). "
            "Payments to households are made only by approving a case", (201, "The entry", ref("ReserveEntry")),
            (400, 403, 404, 422), parameters=[township], requestBody=_body(ref("ReserveEntryRequest")))},
        "/visits/due": {"get": op("listVisitsDue", "Your township's open visits of the month: the 探访 tasks of "
                                                   "its visit cases (township staff)",
                                  (200, "The open visits", ref("VisitsDue")), (403, 422), parameters=[month])},
        "/visits/targets": {"post": op(
            "addVisitTarget", "Register a key person by hand in your township (its staff); their visit of this "
            "month is scheduled at once", (201, "The target", ref("VisitTargetCreated")), (400, 403, 409, 422),
            requestBody=_body(ref("VisitTargetRequest")))},
        "/visits/targets/{target_id}/end": {"post": op(
            "endVisitTarget", "End a key person registered by hand (the staff of their township); their open "
            "visits of later months are cancelled", (200, "The target", ref("VisitTarget")), (400, 403, 404, 409, 422),
            parameters=[target_id], requestBody=_body(ref("VisitTargetEndRequest")))},
        "/visits/targets/{target_id}/visits": {"post": op(
            "recordVisit", "Record a visit to a target (the investigators of its township): its open visit of the "
            "month is completed; with the month's visit done, a further visit is recorded; 409 when the task "
            "named was completed already", (201, "The visit", ref("Visit")),
            (400, 403, 404, 409, 422), parameters=[target_id], requestBody=_body(ref("VisitRequest")))},
        "/visits/rates": {"get": op("listVisitRates", "The month's visit rate of your township (county roles: "
                                                      "every township)", (200, "The rates", ref("VisitRates")),
                                    (403, 422), parameters=[month])},
    }
