"""探访: the township's key people to visit this month (due list), recording a visit, bringing the targets
in line with the benefit register, and the monthly visit rate; the county sees every township's rate."""

from datetime import date

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import get_locale

from workflows import clock, queries, rules, visits
from workflows.errors import Invalid

from .. import db
from ..auth import account, roles_required

bp = Blueprint("visits", __name__, url_prefix="/visits")

STAFF = queries.VISIT_STAFF_ROLES
COUNTY = queries.VISIT_COUNTY_ROLES


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
                           county=user.role in COUNTY), status


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
                          {"visited_on": "请填写探访日期"}) from None
        visits.record_visit(sess, user, target.id, visited_on, values["method"], values["notes"])
    except Invalid as err:
        sess.rollback()
        flash(err.message(locale), "error")
        return _render(month, {"target_id": target_id, "values": values, "errors": err.details}, 422)
    db.commit()
    flash("探访已登记", "success")
    return redirect(url_for("visits.index", month=month))


@bp.route("/sync", methods=["POST"])
@roles_required(*STAFF)
def sync():
    """Bring the township's targets in line with the benefit register (new key people added, others ended)."""
    sess, user = db.session(), account()
    queries.check_visit_staff(user, user.township_code)
    result = visits.sync_targets(sess, user.township_code)
    db.commit()
    flash(f"已按在保登记簿更新探访对象：新增 {result['added']} 人，结束 {result['ended']} 人", "success")
    return redirect(url_for("visits.index", month=_month()))
