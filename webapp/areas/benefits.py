"""在保家庭 and 动态管理: the households on 低保 (the benefit register), each one's history of changes,
the reviews that fall due, and starting a review (due, or after a reported change)."""

from datetime import timedelta

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import get_locale, gettext

from workflows import access, clock, engine, queries, reviews
from workflows.errors import Invalid
from workflows.forms import decode_web_form, initial_values
from workflows.store import Benefit, Case
from workflows.store.benefit import TERMINATED

from .. import accesslog, db, services
from ..auth import account, roles_required

bp = Blueprint("benefits", __name__, url_prefix="/benefits")

ALL_ROLES = ("clerk", "investigator", "reviewer", "leader", "county_auditor", "admin")
DUE_WITHIN_DAYS = 30  # the 待复核 list looks this far ahead (reviews.reviews_due's default)
BACK_PAGES = ("due", "detail")  # where a refused start form is shown again


def _review_dates() -> dict:
    """``today`` and ``due_by`` for colouring review dates: overdue before today, due soon up to due_by."""
    today = clock.today()
    return {"today": today, "due_by": today + timedelta(days=DUE_WITHIN_DAYS)}


@bp.route("/")
@roles_required(*ALL_ROLES)
def index():
    """The households on 低保 the user may see, filtered by status, township (county roles) and text."""
    sess, user = db.session(), account()
    status = request.args.get("status") if request.args.get("status") in queries.BENEFIT_STATUSES else None
    township = request.args.get("township") or None
    text = request.args.get("q", "").strip()
    page = request.args.get("page", 1, type=int)
    rows = queries.benefit_list(sess, user, status, township, text, page)
    townships = queries.townships(sess) if not user.is_township_staff else {}
    return render_template("benefits/index.html", benefits=rows, status=status, township=township, q=text,
                           page=page, townships=townships, statuses=queries.BENEFIT_STATUSES, **_review_dates())


def _clerks_start_form(compact: bool) -> dict:
    """The review start form as clerks fill it in: without the reason only a spot check's finding gives.

    Args:
        compact: leave out the form's description (the 待复核 list shows it once, not on every row).
    """
    raw = engine.start_form(db.session(), reviews.PROCESS).raw
    fields = [dict(f, options=[o for o in f["options"] if o["value"] != reviews.SPOT_CHECK])
              if f["name"] == "review_reason" else f for f in raw["fields"]]
    return {k: v for k, v in raw.items() if not (compact and k == "description")} | {"fields": fields}


def _start_form(values: dict, errors: dict | None = None, compact: bool = False) -> dict:
    """The review start form with its values and errors, as the templates take it (``raw``, values, errors)."""
    return {"raw": _clerks_start_form(compact), "values": values, "errors": errors or {}}


def _report_form(benefit: Benefit, running: Case | None, posted: dict | None) -> dict | None:
    """The 报告情况变化 form on the benefit page: for the township's clerks, while no review runs."""
    if posted is not None:  # refused as typed: shown again whatever changed meanwhile
        return _start_form(posted["values"], posted["errors"])
    user = account()
    if user.role != "clerk" or user.township_code != benefit.township_code or running or benefit.status == TERMINATED:
        return None
    form = engine.start_form(db.session(), reviews.PROCESS)
    return _start_form(initial_values(form, {"review_reason": "reported_change"}))


def _latest_assessed(cases: list[Case]) -> Case:
    """The case that last assessed the household: its latest finished review, else the application."""
    finished = [c for c in cases if not c.is_active and c.benefit_id is not None]
    return finished[-1] if finished else cases[0]


def _render_detail(benefit_id: int, posted: dict | None = None, status: int = 200):
    sess, user = db.session(), account()
    benefit = access.benefit_for(sess, user, benefit_id)
    cases = queries.benefit_cases(sess, benefit)
    granting = next(c for c in cases if c.id == benefit.case_id)
    if posted is None:
        accesslog.log(user, "benefit_viewed", granting, benefit.certificate_no)
    assessed = _latest_assessed(cases)
    data = queries.case_data(sess, assessed)
    running = queries.running_review(sess, benefit)
    return render_template(
        "benefits/detail.html", benefit=benefit, granting=granting, cases=cases, assessed=assessed,
        members=data.get("members_assessed") or data.get("members") or [],
        changes=queries.benefit_changes(sess, benefit), documents=queries.documents_of_cases(sess, cases),
        case_numbers={c.id: c.case_no for c in cases}, running=running, townships=queries.townships(sess),
        report=_report_form(benefit, running, posted), **_review_dates(),
    ), status


@bp.route("/<int:benefit_id>")
@roles_required(*ALL_ROLES)
def detail(benefit_id: int):
    """One household on 低保: holder, members, every change, its application and reviews with their documents."""
    return _render_detail(benefit_id)


def _render_due(posted: dict | None = None, status: int = 200):
    sess = db.session()
    due = reviews.reviews_due(sess, account(), DUE_WITHIN_DAYS)
    form = engine.start_form(sess, reviews.PROCESS)
    forms = {b.id: _start_form(initial_values(form, {"review_reason": "scheduled"}), compact=True) for b in due}
    if posted is not None and posted["benefit_id"] in forms:
        forms[posted["benefit_id"]] = _start_form(posted["values"], posted["errors"], compact=True)
    return render_template("benefits/due.html", benefits=due, forms=forms, description=form.raw.get("description"),
                           **_review_dates()), status


@bp.route("/due")
@roles_required("clerk")
def due():
    """待复核: the township's households whose review falls due within 30 days, each with its start form."""
    return _render_due()


@bp.route("/<int:benefit_id>/reviews", methods=["POST"])
@roles_required(*ALL_ROLES)
def start_review(benefit_id: int):
    """Start a review of the household (the township's clerks); on errors the form comes back as typed.

    A second click finds the review under way: the engine's Conflict is flashed on the page posted from.
    """
    sess, locale = db.session(), str(get_locale())
    back = request.form.get("back") if request.form.get("back") in BACK_PAGES else "detail"
    values = decode_web_form(engine.start_form(sess, reviews.PROCESS), request.form)
    try:
        result = reviews.start_review(sess, account(), benefit_id, values, services.get(), locale)
    except Invalid as err:
        sess.rollback()
        flash(err.message(locale), "error")
        posted = {"benefit_id": benefit_id, "values": values, "errors": err.details}
        return _render_due(posted, 422) if back == "due" else _render_detail(benefit_id, posted, 422)
    db.commit()
    flash(gettext("已启动复核，案件编号 %(no)s", no=result.case.case_no), "success")
    return redirect(url_for("cases.detail", case_no=result.case.case_no))
