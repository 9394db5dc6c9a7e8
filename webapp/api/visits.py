"""探访: the township's targets still to visit in a month, recording a visit, and the monthly rate per
township (township staff: their own; county roles: every township). Who may do what is checked in
``workflows.queries`` / ``workflows.visits`` / ``workflows.visit_report``."""

from datetime import date

from flask import request, url_for

from workflows import clock, queries, rules, visit_report, visits
from workflows.errors import Invalid
from workflows.store import Visit, VisitTarget

from .. import db
from . import bp
from .body import json_object
from .serialize import iso
from .tokens import api_user

VISIT_FIELDS = ("visited_on", "method", "notes")


def _month() -> str:
    return request.args.get("month") or rules.month_of(clock.today())


def target_json(target: VisitTarget) -> dict:
    """A person the township visits monthly (the full ID number: township staff only see these)."""
    return {"id": target.id, "township_code": target.township_code, "name": target.name, "id_no": target.id_no,
            "category": target.category, "source": target.source, "since": iso(target.since),
            "until": iso(target.until), "visits_url": url_for("api.record_visit", target_id=target.id)}


def rate_json(row: dict) -> dict:
    """One township's figures of a month (rates as strings with 4 decimals)."""
    return {key: row[key] for key in ("township_code", "township_name", "targets", "visited", "due", "visits",
                                      "home", "phone", "met")} | {"rate": str(row["rate"]),
                                                                 "target_rate": str(row["target_rate"])}


@bp.route("/visits/due", methods=["GET"])
def visits_due():
    """The township's targets not visited yet in ``month`` (default: this month), by name (its staff)."""
    user, month = api_user(), _month()
    page = queries.visit_month(db.session(), user, user.township_code or "", month)
    return {"township_code": user.township_code, "month": month, "items": [target_json(t) for t in page["due"]]}


def _visit_request() -> tuple[date, str, str]:
    body = json_object()
    errors = {key: "不支持的字段" for key in body if key not in VISIT_FIELDS}
    try:
        visited_on = date.fromisoformat(body.get("visited_on"))
    except (TypeError, ValueError):
        errors["visited_on"] = "日期，格式为 YYYY-MM-DD"
    if not isinstance(body.get("method"), str):
        errors["method"] = "home（入户）或 phone（电话）"
    if not isinstance(body.get("notes", ""), str):
        errors["notes"] = "文字"
    if errors:
        raise Invalid("探访记录有误，请按提示修改", "The visit record has errors", errors)
    return visited_on, body["method"], body.get("notes", "").strip()


@bp.route("/visits/targets/<int:target_id>/visits", methods=["POST"])
def record_visit(target_id: int):
    """Record one visit to a target (the staff of its township): 201 with the visit."""
    sess, user = db.session(), api_user()
    target = queries.visit_target_for(sess, user, target_id)  # 404 / 403 before the body is judged
    visited_on, method, notes = _visit_request()
    visit: Visit = visits.record_visit(sess, user, target.id, visited_on, method, notes)
    db.commit()
    body = {"id": visit.id, "target_id": target.id, "visited_on": iso(visit.visited_on), "method": visit.method,
            "notes": visit.notes, "staff": user.display_name, "recorded_at": iso(visit.recorded_at)}
    return body, 201


@bp.route("/visits/rates", methods=["GET"])
def visit_rates():
    """The monthly visit rate of each township the user sees, with targets, visited, still due and visits made."""
    month = _month()
    rows = visit_report.rate_rows(db.session(), api_user(), month)
    return {"month": month, "items": [rate_json(r) for r in rows]}
