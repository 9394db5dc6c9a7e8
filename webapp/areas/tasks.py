"""Task queues (待办): each role works through the open tasks of its township (the county auditor:
the district checks of every township); the leader also sees the escalated ones (逾期督办)."""

import re

from flask import Blueprint, flash, g, redirect, render_template, request, url_for
from flask_babel import get_locale, gettext

from workflows import access, bulk, engine, queries, queues
from workflows.errors import Conflict, Invalid, StepFailed
from workflows.forms import decode_web_form, initial_values

from .. import accesslog, db, errors, readside, services
from ..auth import account, roles_required

bp = Blueprint("tasks", __name__, url_prefix="/tasks")

# The county auditor works the district's checks (区民政局核查) of every township.
WORKER_ROLES = ("clerk", "investigator", "reviewer", "leader", "county_auditor")
VIEWS = queues.VIEWS
TOWNSHIP_CODE = re.compile(r"\d{6,12}")
STEP_ID = re.compile(r"[A-Za-z_][A-Za-z0-9_.-]{0,63}")
CONTROL = re.compile(r"[\x00-\x1f\x7f]")  # control characters: never in a case number or a name


def _queue_args(source) -> dict[str, str]:
    """The queue's view, filters, order and page from a query string or a posted form, as ``url_for``
    arguments: well-formed values only, the view always, the others only when not the default; anything
    else (an unknown view or order, a malformed code) is dropped. The queue page checks the rest (a
    township the user may pick, a step of the queue)."""
    args = {"view": source.get("view") if source.get("view") in VIEWS else "all"}
    if TOWNSHIP_CODE.fullmatch(source.get("township") or ""):
        args["township"] = source["township"]
    if STEP_ID.fullmatch(source.get("step") or ""):
        args["step"] = source["step"]
    text = CONTROL.sub("", source.get("q") or "").strip()[:queues.MAX_TEXT]
    if text:
        args["q"] = text
    if source.get("sort") in queues.SORTS and source["sort"] != "due":  # by due day: the default
        args["sort"] = source["sort"]
    if source.get("order") == "desc":
        args["order"] = "desc"
    page = source.get("page") or ""
    if page.isdigit() and 1 < int(page) <= queries.MAX_PAGE:
        args["page"] = page
    return args


def _queue_filter(sess, user, args: dict[str, str], townships: dict) -> tuple[queues.QueueFilter, list]:
    """The filter of the queue page and the steps of the queue: a township only a county role may pick
    (township staff see their own, whatever the link says), a step only one the queue holds."""
    township = args.get("township") if args.get("township") in townships else None
    steps = queues.steps(sess, user, township)
    step = args.get("step") if any(s.task_spec == args.get("step") for s in steps) else None
    filters = queues.QueueFilter(township=township, step=step, text=args.get("q", ""),
                                 sort=args.get("sort", "due"), descending=args.get("order") == "desc")
    return filters, steps


def _links(view: str, filters: queues.QueueFilter) -> dict[str, str]:
    """The ``url_for`` arguments that show the queue as filtered now (the first page)."""
    pairs = {"view": view, "township": filters.township, "step": filters.step, "q": filters.text,
             "sort": filters.sort if filters.sort != "due" else None, "order": "desc" if filters.descending else None}
    return {key: value for key, value in pairs.items() if value}


@bp.route("/")
@roles_required(*WORKER_ROLES)
def queue():
    """The user's queue, a page at a time, with counts per view: narrowed to a township (county roles), a
    step, a case number or applicant; most urgent first or ordered by arrival or case number."""
    args = _queue_args(request.args)
    view, sess, user = args["view"], db.session(), account()
    townships = queries.townships(sess) if not user.is_township_staff else {}
    filters, steps = _queue_filter(sess, user, args, townships)
    counts = queries.queue_counts(sess, user, filters)
    if not filters.partial:  # the whole queue: the navigation's count is this page's 全部, not counted again
        g.queue_total = counts["all"]
    pages = max(1, -(-counts[view] // queries.PAGE_SIZE))
    page = min(max(request.args.get("page", 1, type=int), 1), pages)  # past the last page: the last page
    rows = queries.task_queue(sess, user, view, page, filters)
    return render_template(
        "tasks/queue.html", rows=rows, counts=counts, view=view, page=page, pages=pages, townships=townships,
        filters=filters, steps=steps, here=_links(view, filters),
    )


def _queue_url(form) -> str:
    """Back to the queue as it was shown (view, filters, order, page) when an action was started from it."""
    return url_for("tasks.queue", **_queue_args(form))


@bp.route("/bulk", methods=["POST"])
@roles_required(*WORKER_ROLES)
def bulk_action():
    """Claim or give back the tasks ticked in the queue: a confirmation page lists them first; then each
    task is handled on its own (engine.claim_task / unclaim_task) and one summary says what was done and
    why any task was refused."""
    sess, user, locale = db.session(), account(), str(get_locale())
    action = request.form.get("action", "")
    try:
        ids = bulk.task_ids(request.form.getlist("task"))
        if not request.form.get("confirm"):
            if action not in bulk.ACTIONS:
                raise Invalid("未知的批量操作", f"Unknown bulk action {action!r}")
            rows, unseen = bulk.preview(sess, user, ids)
            return render_template("tasks/bulk.html", action=action, rows=rows, unseen=unseen,
                                   back=_queue_args(request.form))
        outcomes = bulk.apply(sess, user, ids, action)
    except Invalid as err:
        flash(err.message(locale), "error")
        return redirect(_queue_url(request.form))
    db.commit()
    message, category = _bulk_summary(action, outcomes, locale)
    flash(message, category)
    return redirect(_queue_url(request.form))


def _bulk_summary(action: str, outcomes: list[bulk.Outcome], locale: str) -> tuple[str, str]:
    """The summary flashed after a bulk action, e.g. 已认领 N 件；M 件未能认领：原因（案件编号）…, and its
    flash category (error when any task was refused)."""
    done = sum(1 for o in outcomes if o.changed)
    same = sum(1 for o in outcomes if not o.changed and o.error is None)
    failed = [o for o in outcomes if o.error is not None]
    if action == "claim":
        text = gettext("已认领 %(n)s 件", n=done) + (gettext("（%(n)s 件原已由您认领）", n=same) if same else "")
    else:
        text = gettext("已退回 %(n)s 件", n=done) + (gettext("（%(n)s 件原本无人认领）", n=same) if same else "")
    if not failed:
        return text, "success"
    reasons: dict[str, list[str]] = {}
    for outcome in failed:
        reasons.setdefault(outcome.error.message(locale), []).append(outcome.case_no or "")
    parts = []
    for reason, cases in reasons.items():
        named = [no for no in cases if no]
        parts.append(gettext("%(reason)s（%(cases)s）", reason=reason, cases=gettext("、").join(named)) if named
                     else gettext("%(reason)s（%(n)s 件）", reason=reason, n=len(cases)))
    fail = (gettext("%(n)s 件未能认领：%(reasons)s", n=len(failed), reasons=gettext("；").join(parts))
            if action == "claim" else
            gettext("%(n)s 件未能退回：%(reasons)s", n=len(failed), reasons=gettext("；").join(parts)))
    return text + gettext("；") + fail, "error"


@bp.route("/escalated")
@roles_required("leader")
def escalated():
    """逾期督办: the township's open tasks whose time limit passed, for the leader to chase."""
    return render_template("tasks/escalated.html", rows=readside.escalated_tasks(db.session(), account()))


def _render_task(task_id: str, posted=None, errors: dict | None = None, status: int = 200):
    """The task page; after a failed post, ``posted`` (the raw form) is shown again as typed."""
    sess = db.session()
    human = access.task_for(sess, account(), task_id)
    case = sess.get(queries.Case, human.case_id)
    data = queries.case_data(sess, case)
    form = engine.task_form(sess, human)
    subject = readside.subject_view(sess, case)  # a spot check shows the case it checks
    if posted is None:
        accesslog.log(account(), "case_viewed", case, human.task_spec)
        if subject["subject"]:
            accesslog.log(account(), "case_viewed", subject["subject"], case.case_no)
        values = initial_values(form, data)
    else:
        values = decode_web_form(form, posted, data)  # readonly cells filled from the case again
    return render_template(
        "tasks/task.html", task=human, case=case, data=data, form=form, values=values, errors=errors or {},
        townships=queries.townships(sess) if subject["subject"] else {}, **subject,
        roster_view=readside.roster_view(sess, case, data),
    ), status


@bp.route("/<task_id>")
@roles_required(*WORKER_ROLES)
def show(task_id: str):
    """A task with the case's data and its form."""
    return _render_task(task_id)


@bp.route("/<task_id>", methods=["POST"])
@roles_required(*WORKER_ROLES)
def complete(task_id: str):
    """Complete the task; on errors the form comes back with the values as typed."""
    sess = db.session()
    try:
        human = access.task_for(sess, account(), task_id)
    except Conflict as err:  # posted twice, or a colleague was quicker: back to the queue
        flash(err.message(str(get_locale())), "error")
        return redirect(url_for("tasks.queue"))
    values = decode_web_form(engine.task_form(sess, human), request.form)
    try:
        result = engine.complete_task(sess, account(), task_id, values, services.get(), locale=str(get_locale()))
    except Invalid as err:
        flash(err.message(str(get_locale())), "error")
        sess.rollback()
        return _render_task(task_id, request.form, err.details, 422)
    except StepFailed as err:  # recorded as an incident; the form comes back as typed
        errors.record_incident(err)
        flash(err.message(str(get_locale())), "error")
        return _render_task(task_id, request.form, {}, 500)
    db.commit()
    flash(gettext("已办结：%(task)s（案件 %(no)s）", task=gettext(human.title), no=result.case.case_no), "success")
    return redirect(url_for("tasks.queue"))


@bp.route("/<task_id>/claim", methods=["POST"])
@roles_required(*WORKER_ROLES)
def claim(task_id: str):
    """Claim the task."""
    engine.claim_task(db.session(), account(), task_id)
    db.commit()
    return redirect(_queue_url(request.args) if request.args else request.referrer or url_for("tasks.queue"))


@bp.route("/<task_id>/unclaim", methods=["POST"])
@roles_required(*WORKER_ROLES)
def unclaim(task_id: str):
    """Give the task back to the queue."""
    engine.unclaim_task(db.session(), account(), task_id)
    db.commit()
    return redirect(_queue_url(request.args) if request.args else request.referrer or url_for("tasks.queue"))
