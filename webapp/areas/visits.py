"""探访: the township's key people to visit this month (due list), recording a visit, bringing the targets
in line with the benefit register, and the monthly visit rate; the county sees every township's rate.
The township's staff also register and end targets by hand (``/visits/targets``); its leaders and
reviewers, and the county roles, download the monthly visit-rate report as Excel or PDF."""

from datetime import date, timedelta

from flask import Blueprint, Response, flash, redirect, render_template, request, url_for
from flask_babel import get_locale, gettext

from workflows import clock, queries, rules, visit_report, visits
from workflows.errors import Invalid

from .. import accesslog, db, services
from ..auth import account, roles_required
from ..downloads import XLSX, disposition

bp = Blueprint("visits", __name__, url_prefix="/visits")

STAFF = queries.VISIT_STAFF_ROLES
COUNTY = queries.VISIT_COUNTY_ROLES
REPORTERS = (*visit_report.TOWNSHIP_ROLES, *visit_report.COUNTY_ROLES)
ENDED_SHOWN_DAYS = 90  # targets ended this recently are still listed on the targets page


def _month() -> str:
    return request.values.get("month", "").strip() or rules.month_of(clock.today())


def _render(month: str, posted: dict | None = None, status: int = 200):
    """The page of a month; after a refused visit, ``posted`` (``target_id``, ``values``, ``errors``) comes back."""
    sess, user, errors = db.session(), account(), {}
    page, rates = None, []
    try:
        if user.role in COUNTY:
            rates = queries.visit_rates(sess, user, month)
        else:
            page = queries.visit_month(sess, user, user.township_code, month)
    except Invalid as err:
        errors["month"], status = err.message(str(get_locale())), 422
    blank = {"visited_on": clock.today().isoformat(), "method": "home", "notes": ""}
    forms = {t.id: {"typed": blank, "errors": {}} for t in (page["due"] if page else [])}
    if posted:
        forms[posted["target_id"]] = {"typed": posted["values"], "errors": posted["errors"]}
    return render_template("visits/index.html", month=month, page=page, rates=rates, forms=forms, errors=errors,
                           county=user.role in COUNTY, can_report=user.role in REPORTERS), status


@bp.route("/")
@roles_required(*STAFF, *COUNTY)
def index():
    """This month's due list, rate and visit forms (township staff); every township's rate (county roles)."""
    return _render(_month())


@bp.route("/<int:target_id>", methods=["POST"])
@roles_required(*STAFF)
def record(target_id: int):
    """Record one visit to a target; errors beside the fields, nothing typed is lost."""
    sess, user, locale = db.session(), account(), str(get_locale())
    month = _month()
    values = {k: request.form.get(k, "").strip() for k in ("visited_on", "method", "notes")}
    target = queries.visit_target_for(sess, user, target_id)  # 404 / 403 before the form is read
    try:
        try:
            visited_on = date.fromisoformat(values["visited_on"])
        except ValueError:
            raise Invalid("探访记录有误，请按提示修改", "The visit record has errors",
                          {"visited_on": gettext("请填写探访日期")}) from None
        visits.record_visit(sess, user, target.id, visited_on, values["method"], values["notes"])
    except Invalid as err:
        sess.rollback()
        flash(err.message(locale), "error")
        return _render(month, {"target_id": target_id, "values": values, "errors": err.details}, 422)
    db.commit()
    flash(gettext("探访已登记"), "success")
    return redirect(url_for("visits.index", month=month))


@bp.route("/sync", methods=["POST"])
@roles_required(*STAFF)
def sync():
    """Bring the township's targets in line with the benefit register (new key people added, others ended)."""
    sess, user = db.session(), account()
    queries.check_visit_staff(user, user.township_code)
    result = visits.sync_targets(sess, user.township_code)
    db.commit()
    flash(gettext("已按在保登记簿更新探访对象：新增 %(added)s 人，结束 %(ended)s 人", **result), "success")
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
        target = visits.register_target(sess, user, user.township_code, values["id_no"], values["name"],
                                        values["category"], values["note"])
    except Invalid as err:
        sess.rollback()
        flash(err.message(locale), "error")
        return _render_targets({"form": "new", "values": values, "errors": err.details}, 422)
    db.commit()
    flash(gettext("已登记探访对象：%(name)s", name=target.name), "success")
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
        target = visits.end_target(sess, user, target_id, last_day, values["reason"])
    except Invalid as err:
        sess.rollback()
        flash(err.message(locale), "error")
        return _render_targets({"form": target_id, "values": values, "errors": err.details}, 422)
    db.commit()
    flash(gettext("已结束探访对象：%(name)s（最后探访日 %(day)s）", name=target.name, day=target.until), "success")
    return redirect(url_for("visits.targets"))
