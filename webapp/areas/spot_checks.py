"""区级抽查: the county auditor draws a random sample of a township's decisions of a past period and
sees each draw — its seed, population, sample, the spot checks it started and whether it reproduces.
Administrators read the draws. The checks themselves are tasks of the auditor's queue."""

from datetime import date

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import get_locale, gettext

from workflows import queries, spot_checks
from workflows.errors import DomainError, Invalid, NotFound

from .. import db, services
from ..auth import account, roles_required

bp = Blueprint("spot_checks", __name__, url_prefix="/spot-checks")

VIEWERS = ("county_auditor", "admin")  # who reads is decided by spot_checks.draws / draw_for, who draws by draw
FIELDS = ("township", "decided_from", "decided_to")


def _render_index(values: dict | None = None, errors: dict | None = None, status: int = 200):
    sess, user = db.session(), account()
    township = request.args.get("township") or None
    rows = spot_checks.draws(sess, user, township)
    return render_template(
        "spot_checks/index.html", draws=rows, townships=queries.townships(sess), township=township,
        drawers=queries.users_by_id(sess, [d.drawn_by_id for d in rows]), can_draw=user.role == "county_auditor",
        values=values or {}, errors=errors or {},
    ), status


@bp.route("/")
@roles_required(*VIEWERS)
def index():
    """The draws made so far (newest first, optionally of one township) and, for auditors, the draw form."""
    return _render_index()


def _period(values: dict) -> tuple[date | None, date | None, dict]:
    """The period's two dates as typed, and a message beside each field that is missing or not a date."""
    errors, days = {}, []
    if not values["township"]:
        errors["township"] = gettext("请选择乡镇（街道）")
    for name in ("decided_from", "decided_to"):
        try:
            days.append(date.fromisoformat(values[name]))
        except ValueError:
            days.append(None)
            errors[name] = gettext("请填写日期（年-月-日）") if not values[name] else gettext("日期格式应为 YYYY-MM-DD")
    return days[0], days[1], errors


@bp.route("/", methods=["POST"])
@roles_required("county_auditor")
def draw():
    """Draw a sample (county auditors; the engine refuses anyone else) and show the draw.

    Refused draws come back as typed: a malformed or reversed period and one not over yet beside the
    date fields, an unknown township beside the select, an overlapping draw or a period with nothing
    decided (Conflict) and a role that may not draw (Forbidden) as a message above the form.
    """
    sess, locale = db.session(), str(get_locale())
    values = {name: request.form.get(name, "").strip() for name in FIELDS}
    decided_from, decided_to, errors = _period(values)
    if errors:
        flash(gettext("请检查标出的栏目"), "error")
        return _render_index(values, errors, 422)
    try:
        row = spot_checks.draw(sess, account(), values["township"], decided_from, decided_to, services.get())
    except DomainError as err:
        sess.rollback()
        flash(err.message(locale), "error")
        details = err.details
        if isinstance(err, NotFound):
            details = {"township": err.message(locale)}
        return _render_index(values, details, 422 if isinstance(err, Invalid | NotFound) else err.status)
    db.commit()
    flash(gettext("已抽取 %(k)s 件（共 %(n)s 件），抽查任务已进入待办", k=len(row.sample), n=len(row.population)),
          "success")
    return redirect(url_for("spot_checks.show", draw_id=row.id))


@bp.route("/<int:draw_id>")
@roles_required(*VIEWERS)
def show(draw_id: int):
    """One draw: the period, ratio and seed, the population, the sample, its spot checks, and whether
    drawing again from the record gives the same sample."""
    sess, user = db.session(), account()
    row = spot_checks.draw_for(sess, user, draw_id)
    checks = spot_checks.checks_of(sess, row)
    subjects = {c.id: queries.subject_of(sess, c) for c in checks}
    return render_template(
        "spot_checks/show.html", draw=row, checks=checks, subjects=subjects,
        results=queries.spot_check_results(sess, checks), reproduces=spot_checks.reproduce(row) == row.sample,
        problems=spot_checks.check_draw(sess, row), townships=queries.townships(sess),
        drawer=queries.users_by_id(sess, [row.drawn_by_id]).get(row.drawn_by_id),
        near=set(row.near_relative), sampled=set(row.sample),
    )
