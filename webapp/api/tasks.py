"""Tasks: the user's queue, one task with its form and the case data, claim, unclaim, complete."""

from flask import request

from workflows import access, engine, queries
from workflows.errors import Forbidden, Invalid
from workflows.forms import initial_values
from workflows.store import Case, User

from .. import accesslog, db, services
from . import bp
from .body import json_body, locale, page_arg
from .serialize import case_summary, claimer_name, plain, step_json, task_json
from .tokens import api_user

WORKER_ROLES = ("clerk", "investigator", "reviewer", "leader", "county_auditor")
VIEWS = ("all", "mine", "unclaimed", "overdue", "week")  # week: due from today to Sunday (China time)


def _worker() -> User:
    user = api_user()
    if user.role not in WORKER_ROLES:
        raise Forbidden("您的岗位没有待办任务", "Your role has no task queue")
    return user


def _task(task_id: str):
    """The open task; Conflict if it was completed already; NotFound otherwise."""
    return access.task_for(db.session(), api_user(), task_id)


def _task_body(task_id: str) -> dict:
    sess = db.session()
    human = _task(task_id)
    return task_json(human, sess.get(Case, human.case_id).case_no, claimer_name(sess, human))


@bp.route("/tasks", methods=["GET"])
def list_tasks():
    """The user's queue, most urgent first: ``view`` = all / mine / unclaimed / overdue / week."""
    user, page = _worker(), page_arg()
    view = request.args.get("view", "all")
    if view not in VIEWS:
        raise Invalid("view 取值无效", "Unknown view", {"view": "one of " + ", ".join(VIEWS)})
    sess = db.session()
    rows = queries.task_queue(sess, user, view, page)
    return {
        "items": [task_json(r.task, r.case.case_no, r.claimed_by) for r in rows],
        "view": view, "page": page, "per_page": queries.PAGE_SIZE, "counts": queries.queue_counts(sess, user),
    }


@bp.route("/tasks/<task_id>", methods=["GET"])
def get_task(task_id: str):
    """A task with its form definition, the case's current data and the form's starting values."""
    sess = db.session()
    human = _task(task_id)
    case = sess.get(Case, human.case_id)
    data = plain(queries.case_data(sess, case))
    form = engine.task_form(sess, human)  # as pinned by the case's process version
    accesslog.log(api_user(), "case_viewed", case, human.task_spec, channel="api")
    body = task_json(human, case.case_no, claimer_name(sess, human))
    body.update(case=case_summary(case), form=form.raw, data=data, values=plain(initial_values(form, data)))
    return body


@bp.route("/tasks/<task_id>/claim", methods=["POST"])
def claim_task(task_id: str):
    """Claim the task so colleagues see it is being worked on."""
    _task(task_id)
    engine.claim_task(db.session(), api_user(), task_id)
    db.commit()
    return _task_body(task_id)


@bp.route("/tasks/<task_id>/unclaim", methods=["POST"])
def unclaim_task(task_id: str):
    """Give a claimed task back to the queue."""
    _task(task_id)
    engine.unclaim_task(db.session(), api_user(), task_id)
    db.commit()
    return _task_body(task_id)


@bp.route("/tasks/<task_id>/complete", methods=["POST"])
def complete_task(task_id: str):
    """Complete the task with its form's data (JSON); the case moves on."""
    _task(task_id)
    sess = db.session()
    result = engine.complete_task(sess, api_user(), task_id, json_body(), services.get(), locale=locale())
    db.commit()
    return step_json(sess, result)
