"""探访: the township's open visits of a month (the 探访 tasks of its visit cases), recording a visit (which
completes the person's task through the engine), registering and ending a key person by hand, and the
monthly rate per township (township staff: their own; county roles: every township). Who may do what is
checked in ``workflows.queries`` / ``workflows.visits`` / ``workflows.visit_cases`` / ``workflows.visit_report``."""

from datetime import date

from flask import request, url_for
from sqlalchemy import select

from workflows import clock, queries, rules, visit_cases, visit_report
from workflows.errors import Invalid
from workflows.store import Visit, VisitTarget

from .. import db, services
from . import bp
from .body import json_object, locale
from .serialize import iso
from .tokens import api_user

VISIT_FIELDS = {"visited_on": str, "method": str, "notes": str, "change_found": bool, "change_detail": str,
                "task_id": str}
TARGET_FIELDS = ("id_no", "name", "category", "note")
END_FIELDS = ("last_day", "reason")


def _month() -> str:
    return request.args.get("month") or rules.month_of(clock.today())


def target_json(target: VisitTarget) -> dict:
    """A person the township visits monthly (the full ID number: township staff only see these)."""
    return {"id": target.id, "township_code": target.township_code, "name": target.name, "id_no": target.id_no,
            "category": target.category, "source": target.source, "since": iso(target.since),
            "until": iso(target.until), "ended_at": iso(target.ended_at), "end_reason": target.end_reason,
            "visits_url": url_for("api.record_visit", target_id=target.id)}


def due_json(due: visit_cases.DueVisit) -> dict:
    """An open visit of the month: the person, and the task that records it."""
    return {**target_json(due.target), "task_id": due.task.id, "case_no": due.case.case_no,
            "due_on": iso(due.task.due_on), "escalated": due.task.escalated_at is not None}


def rate_json(row: dict) -> dict:
    """One township's figures of a month (rates as strings with 4 decimals)."""
    return {key: row[key] for key in ("township_code", "township_name", "targets", "visited", "due", "visits",
                                      "home", "phone", "met")} | {"rate": str(row["rate"]),
                                                                 "target_rate": str(row["target_rate"])}


@bp.route("/visits/due", methods=["GET"])
def visits_due():
    """The township's open visits of ``month`` (default: this month), by name (its staff)."""
    user, month = api_user(), _month()
    page = queries.visit_month(db.session(), user, user.township_code or "", month)
    return {"township_code": user.township_code, "month": month, "items": [due_json(d) for d in page["due"]]}


def _fields(body: dict, types: dict) -> dict:
    """The body's fields of the types given; 422 for unknown fields and wrong types."""
    errors = {key: "不支持的字段" for key in body if key not in types}
    errors |= {key: "文字" if kind is str else "true 或 false" for key, kind in types.items()
               if key in body and not isinstance(body[key], kind)}
    if errors:
        raise Invalid("请求有误，请按提示修改", "The request has errors", errors)
    return body


@bp.route("/visits/targets/<int:target_id>/visits", methods=["POST"])
def record_visit(target_id: int):
    """Record a visit to a target (the investigators of its township): its open 探访 task of the visit's month
    (or the one ``task_id`` names) is completed; 201 with the visit."""
    sess, user = db.session(), api_user()
    target = queries.visit_target_for(sess, user, target_id)  # 404 / 403 before the body is judged
    visit_cases.check_can_visit(sess, user, target)
    body = _fields(json_object(), VISIT_FIELDS)
    task_id = body.pop("task_id", None)
    result = visit_cases.record_visit(sess, user, target.id, body, services.get(), task_id, locale())
    db.commit()
    visit = sess.scalars(select(Visit).where(Visit.case_id == result.case.id).order_by(Visit.id.desc())).first()
    return {"id": visit.id, "target_id": target.id, "visited_on": iso(visit.visited_on), "method": visit.method,
            "notes": visit.notes, "staff": user.display_name, "recorded_at": iso(visit.recorded_at),
            "case_no": result.case.case_no, "case_status": result.case.status}, 201


@bp.route("/visits/targets", methods=["POST"])
def add_visit_target():
    """Register a key person by hand in the user's township (its staff; category and reason required);
    201 with the target, whose visit of this month is scheduled at once."""
    sess, user = db.session(), api_user()
    queries.check_visit_staff(user, user.township_code or "")
    body = _fields(json_object(), dict.fromkeys(TARGET_FIELDS, str))
    target, started = visit_cases.register_target(sess, user, user.township_code, body, services.get())
    db.commit()
    return {**target_json(target), "case_no": started.case.case_no}, 201


@bp.route("/visits/targets/<int:target_id>/end", methods=["POST"])
def end_visit_target(target_id: int):
    """End a hand-registered key person after their last day (default today), with a reason (the staff of
    its township); their open visits of later months are cancelled. 200 with the target."""
    sess, user = db.session(), api_user()
    queries.visit_target_for(sess, user, target_id)  # 404 / 403 before the body is judged
    body = _fields(json_object(), dict.fromkeys(END_FIELDS, str))
    last_day = None
    if body.get("last_day"):
        try:
            last_day = date.fromisoformat(body["last_day"])
        except ValueError:
            raise Invalid("结束探访对象有误，请按提示修改", "Ending the visit target has errors",
                          {"last_day": "日期，格式为 YYYY-MM-DD"}) from None
    target = visit_cases.end_target(sess, user, target_id, last_day, body.get("reason", ""), services.get())
    db.commit()
    return target_json(target)


@bp.route("/visits/rates", methods=["GET"])
def visit_rates():
    """The monthly visit rate of each township the user sees, with targets, visited, still due and visits made."""
    month = _month()
    rows = visit_report.rate_rows(db.session(), api_user(), month)
    return {"month": month, "items": [rate_json(r) for r in rows]}
