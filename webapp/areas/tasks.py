"""Task queues (待办): each role works through the open tasks of its township (the county auditor:
the district checks of every township); the leader also sees the escalated ones (逾期督办)."""

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import get_locale, gettext

from workflows import access, engine, queries
from workflows.errors import Conflict, Invalid, StepFailed
from workflows.forms import decode_web_form, initial_values

from .. import accesslog, db, errors, readside, services
from ..auth import account, roles_required

bp = Blueprint("tasks", __name__, url_prefix="/tasks")

# The county auditor works the district's checks (区民政局核查) of every township.
WORKER_ROLES = ("clerk", "investigator", "reviewer", "leader", "county_auditor")
VIEWS = ("all", "mine", "unclaimed", "overdue")


@bp.route("/")
@roles_required(*WORKER_ROLES)
def queue():
    """The user's queue, most urgent first, with counts per view."""
    view = request.args.get("view", "all")
    view = view if view in VIEWS else "all"
    page = request.args.get("page", 1, type=int)
    sess, user = db.session(), account()
    rows = queries.task_queue(sess, user, view, page)
    townships = queries.townships(sess) if not user.is_township_staff else {}
    return render_template(
        "tasks/queue.html", rows=rows, counts=queries.queue_counts(sess, user), view=view, page=page,
        townships=townships,
    )


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
    return redirect(request.referrer or url_for("tasks.queue"))


@bp.route("/<task_id>/unclaim", methods=["POST"])
@roles_required(*WORKER_ROLES)
def unclaim(task_id: str):
    """Give the task back to the queue."""
    engine.unclaim_task(db.session(), account(), task_id)
    db.commit()
    return redirect(request.referrer or url_for("tasks.queue"))
