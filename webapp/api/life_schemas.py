"""The OpenAPI paths and component schemas of 临时救助, the reserve fund and 探访 (beside ``assistance.py``
and ``visits.py``, which produce these shapes), and the request bodies of the temporary assistance forms."""

from workflows.forms import form_ids, load_form
from workflows.store.reserve import KINDS
from workflows.store.visit import CATEGORIES, METHODS
from workflows.temp_assistance import PROCESS as TEMP_PROCESS
from workflows.temp_assistance import STATUSES as TEMP_STATUSES

from .form_schemas import form_body_schema
from .register_schemas import MONTH
from .schemas import DATE, DATETIME, MONEY, nullable, obj, ref

TOWNSHIP = {"type": "string", "pattern": "^[0-9]{9}$"}
RATE = {"type": "string", "pattern": r"^[0-9]+\.[0-9]{4}$", "examples": ["0.6667"]}
COUNT = {"type": "integer", "minimum": 0}


def temp_task_form_ids() -> list[str]:
    """The forms of the temporary assistance process's user tasks."""
    return [f for f in form_ids(TEMP_PROCESS) if f != "start"]


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
        "visits_url": {"type": "string", "description": "POST a visit here"},
    }, "A key person the township visits every month")
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
        "VisitsDue": obj({"township_code": TOWNSHIP, "month": MONTH,
                          "items": {"type": "array", "items": ref("VisitTarget")}}),
        "VisitRequest": obj({"visited_on": DATE | {"description": "Not in the future, within the target's period"},
                             "method": {"enum": list(METHODS)}, "notes": {"type": "string", "maxLength": 2000}},
                            required=["visited_on", "method"]),
        "Visit": obj({"id": {"type": "integer"}, "target_id": {"type": "integer"}, "visited_on": DATE,
                      "method": {"enum": list(METHODS)}, "notes": {"type": "string"}, "staff": {"type": "string"},
                      "recorded_at": DATETIME}),
        "VisitRate": _rate_row(),
        "VisitRates": obj({"month": MONTH, "items": {"type": "array", "items": ref("VisitRate")}}),
    }
    for form_id in temp_task_form_ids():
        out[f"TempTaskForm_{form_id}"] = form_body_schema(load_form(TEMP_PROCESS, form_id))
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
        "/visits/due": {"get": op("listVisitsDue", "Your township's key people not visited yet in the month "
                                                   "(township staff)", (200, "The targets", ref("VisitsDue")),
                                  (403, 422), parameters=[month])},
        "/visits/targets/{target_id}/visits": {"post": op(
            "recordVisit", "Record a visit to a target (the staff of its township)", (201, "The visit", ref("Visit")),
            (400, 403, 404, 422), parameters=[target_id], requestBody=_body(ref("VisitRequest")))},
        "/visits/rates": {"get": op("listVisitRates", "The month's visit rate of your township (county roles: "
                                                      "every township)", (200, "The rates", ref("VisitRates")),
                                    (403, 422), parameters=[month])},
    }
