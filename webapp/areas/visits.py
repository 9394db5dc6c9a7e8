"""探访: the township's key people to visit in a month — the open 探访 tasks of their visit cases (process
``dibao_visit``), each with its form — the visits made, bringing the targets in line with the benefit
register (and scheduling the month's visits), and the monthly visit rate; the county sees every township's
rate. A visit is recorded by completing the person's task through the engine (``visit_cases.record_visit``):
the township's investigators do it, here or from their task queue. The township's staff also register
and end targets by hand (``/visits/targets``); its leaders and reviewers, and the county roles, download
the monthly visit-rate report as Excel or PDF."""

from datetime import date, timedelta

from flask import Blueprint, Response, flash, redirect, render_template, request, url_for
from flask_babel import get_locale, gettext

from workflows import clock, queries, rules, visit_cases, visit_report, visits
from workflows.errors import Conflict, Invalid

from .. import accesslog, db, services
from ..auth import account, roles_required
from ..downloads import XLSX, disposition

bp = Blueprint("visits", __name__, url_prefix="/visits")

STAFF = queries.VISIT_STAFF_ROLES
COUNTY = queries.VISIT_COUNTY_ROLES
REPORTERS = (*visit_report.TOWNSHIP_ROLES, *visit_report.COUNTY_ROLES)
ENDED_SHOWN_DAYS = 90  # targets ended this recently are still listed on the targets page
VISIT_FIELDS = ("visited_on", "method", "notes", "change_detail")


def _month() -> str:
    return request.values.get("month", "").strip() or rules.month_of(clock.today())


def _blank() -> dict:
    return {"visited_on": clock.today().isoformat(), "method": "home", "notes": "", "change_found": False,
            "change_detail": ""}


def _render(month: str, posted: dict | None = None, status: int = 200):
    """The page of a month; after a refused visit, ``posted`` (``key``: the task id or ``extra-<target id>``,
    ``values``, ``errors``) comes back beside its fields."""
    sess, user, errors = db.session(), account(), {}
    page, rates = None, []
    try:
        if user.role in COUNTY:
            rates = queries.visit_rates(sess, user, month)
        else:
            page = queries.visit_month(sess, user, user.township_code, month)
    except Invalid as err:
        errors["month"], status = err.message(str(get_locale())), 422
    forms = {due.task.id: {"typed": _blank(), "errors": {}} for due in (page["due"] if page else [])}
    forms.update({f"extra-{target.id}": {"typed": _blank(), "errors": {}}
                  for _visit, target, _staff, _case in (page["visited"] if page else [])})
    if posted:
        keys = [posted["key"]]
        if posted["key"].startswith("extra-"):  # posted without a task: shown at the person's open visit too
            keys += [due.task.id for due in (page["due"] if page else []) if f"extra-{due.target.id}" == keys[0]]
        forms.update(dict.fromkeys(keys, {"typed": posted["values"], "errors": posted["errors"]}))
    return render_template("visits/index.html", month=month, page=page, rates=rates, forms=forms, errors=errors,
                           county=user.role in COUNTY, can_report=user.role in REPORTERS,
                           can_visit=user.role == "investigator", today=clock.today()), status


@bp.route("/")
@roles_required(*STAFF, *COUNTY)
def index():
    """The month's open visits with their forms, the visits made and the rate (township staff); every
    township's rate (county roles)."""
    return _render(_month())


@bp.route("/<int:target_id>", methods=["POST"])
@roles_required(*STAFF)
def record(target_id: int):
    """Record a visit: complete the person's open 探访 task named by the form (``task_id``), or, without one,
    a further visit this month; errors beside the fields, nothing typed is lost."""
    sess, user, locale = db.session(), account(), str(get_locale())
    month = _month()
    values = {k: request.form.get(k, "").strip() for k in VISIT_FIELDS}
    values["change_found"] = request.form.get("change_found", "") in ("on", "true", "1")
    task_id = request.form.get("task_id", "").strip() or None
    queries.visit_target_for(sess, user, target_id)  # 404 / 403 before the form is read
    try:
        result = visit_cases.record_visit(sess, user, target_id, values, services.get(), task_id, locale)
    except Invalid as err:
        sess.rollback()
        flash(err.message(locale), "error")
        key = task_id or f"extra-{target_id}"
        return _render(month, {"key": key, "values": values, "errors": err.details}, 422)
    except Conflict as err:  # posted twice, or a colleague was quicker
        sess.rollback()
        flash(err.message(locale), "error")
        return redirect(url_for("visits.index", month=month))
    db.commit()
    flash(gettext("探访已登记（案件 %(no)s）", no=result.case.case_no), "success")
    return redirect(url_for("visits.index", month=month))


@bp.route("/sync", methods=["POST"])
@roles_required(*STAFF)
def sync():
    """Bring the township's targets in line with the benefit register (new key people added, others ended)
    and start this month's visit of every target that has none yet (as the worker does each day)."""
    user = account()
    queries.check_visit_staff(user, user.township_code)
    result = visit_cases.schedule_township(db.factory(), user.township_code, services.get())
    flash(gettext("已按在保登记簿更新探访对象：新增 %(added)s 人，结束 %(ended)s 人；本月新排期探访 %(started)s 件",
                  **result), "success")
    return redirect(url_for("visits.index", month=_month()))


def _report():
    """The report of the month asked for (``month``, and for county roles optionally ``township``)."""
    return visit_report.report(db.session(), account(), _month(), request.args.get("township") or None)


@bp.route("/report.xlsx")
@roles_required(*REPORTERS)
def report_workbook():
    """The month's visit-rate report as an Excel workbook (logged as a download)."""
    data = _report()
    body = visit_report.workbook_bytes(data, account().display_name)
    ascii_name = f"TF-{data['scope_code']}-{data['month']}.xlsx"
    accesslog.log(account(), "document_downloaded", None, ascii_name)
    header = disposition("attachment", ascii_name, visit_report.filename(data, ".xlsx"))
    return Response(body, mimetype=XLSX, headers={"Content-Disposition": header})


@bp.route("/report.pdf")
@roles_required(*REPORTERS)
def report_document():
    """The month's visit-rate report as a PDF: issued as a numbered, verifiable document, logged as a download."""
    sess, user = db.session(), account()
    data = _report()
    doc = visit_report.issue_pdf(sess, user, data, services.get())
    db.commit()
    accesslog.log(user, "document_downloaded", None, doc.number)
    header = disposition("attachment", f"{doc.number}.pdf", visit_report.filename(data, ".pdf"))
    return Response(services.get().store.get(doc.sha256), mimetype="application/pdf",
                    headers={"Content-Disposition": header})


TARGET_FIELDS = ("name", "id_no", "category", "note")


def _render_targets(posted: dict | None = None, status: int = 200):
    """The township's targets with the forms; after a refused post, ``posted`` (``form``, ``values``,
    ``errors``; ``form`` is ``new`` or a target id) comes back beside its fields."""
    sess, user = db.session(), account()
    listing = visits.targets_of_township(sess, user, user.township_code,
                                         clock.today() - timedelta(days=ENDED_SHOWN_DAYS))
    forms = {"new": {"typed": dict.fromkeys(TARGET_FIELDS, ""), "errors": {}}}
    forms.update({t.id: {"typed": {"last_day": clock.today().isoformat(), "reason": ""}, "errors": {}}
                  for t in listing["active"] if t.source == "manual"})
    if posted:
        forms[posted["form"]] = {"typed": posted["values"], "errors": posted["errors"]}
    return render_template("visits/targets.html", listing=listing, forms=forms), status


@bp.route("/targets")
@roles_required(*STAFF)
def targets():
    """The township's visit targets: register one by hand, end a hand-registered one."""
    return _render_targets()


@bp.route("/targets", methods=["POST"])
@roles_required(*STAFF)
def add_target():
    """Register a key person by hand (category and reason required); errors beside the fields."""
    sess, user, locale = db.session(), account(), str(get_locale())
    values = {k: request.form.get(k, "").strip() for k in TARGET_FIELDS}
    try:
        target, _started = visit_cases.register_target(sess, user, user.township_code, values, services.get())
    except Invalid as err:
        sess.rollback()
        flash(err.message(locale), "error")
        return _render_targets({"form": "new", "values": values, "errors": err.details}, 422)
    db.commit()
    flash(gettext("已登记探访对象：%(name)s，本月探访已排期", name=target.name), "success")
    return redirect(url_for("visits.targets"))


@bp.route("/targets/<int:target_id>/end", methods=["POST"])
@roles_required(*STAFF)
def end_target(target_id: int):
    """End a hand-registered target after its last day, with a reason; errors beside the fields."""
    sess, user, locale = db.session(), account(), str(get_locale())
    values = {"last_day": request.form.get("last_day", "").strip(), "reason": request.form.get("reason", "").strip()}
    queries.visit_target_for(sess, user, target_id)  # 404 / 403 before the form is read
    try:
        try:
            last_day = date.fromisoformat(values["last_day"])
        except ValueError:
            raise Invalid("结束探访对象有误，请按提示修改", "Ending the visit target has errors",
                          {"last_day": "请填写最后探访日期"}) from None
        target = visit_cases.end_target(sess, user, target_id, last_day, values["reason"], services.get())
    except Invalid as err:
        sess.rollback()
        flash(err.message(locale), "error")
        return _render_targets({"form": target_id, "values": values, "errors": err.details}, 422)
    db.commit()
    flash(gettext("已结束探访对象：%(name)s（最后探访日 %(day)s）", name=target.name, day=target.until), "success")
    return redirect(url_for("visits.targets"))
