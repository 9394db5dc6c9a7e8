"""后台任务: long work — replay-verifying many cases, an archive of a township's issued PDFs, a year's
payment rosters — asked for here (or from the anchors and rosters pages) and run by the worker.

A job's page shows its progress as the database has it, so a reload shows where it is; while it runs the
page polls ``/jobs/<id>.json`` (``static/jobs.js``). The result is downloaded when the job is done, and
the download is logged. Who may ask for what is decided in ``workflows.jobs``; each person sees their own jobs.
"""

from flask import Blueprint, Response, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import get_locale, gettext

from workflows import access, clock, jobs, queries
from workflows.documents import PREFIXES
from workflows.errors import Invalid

from .. import accesslog, db, services
from ..auth import account, roles_required
from ..downloads import disposition
from ..labels import JOB_STATUS

bp = Blueprint("jobs", __name__, url_prefix="/jobs")
ROLES = jobs.REQUEST_ROLES
FIELDS = ("township", "date_from", "date_to", "year")
MIMETYPES = {"zip": "application/zip", "json": "application/json"}


def _defaults() -> dict:
    today = clock.today()
    return {"township": request.args.get("township", ""), "date_from": f"{today.year}-01-01",
            "date_to": today.isoformat(), "year": str(today.year), "kinds": []}


def _render_index(values: dict | None = None, errors: dict | None = None, status: int = 200):
    sess, user = db.session(), account()
    return render_template(
        "jobs/index.html", jobs=jobs.jobs_of(sess, user), townships=queries.townships(sess),
        can_audit=user.role in access.AUDIT_ROLES, document_kinds=list(PREFIXES), values=values or _defaults(),
        errors=errors or {},
    ), status


@bp.route("/")
@roles_required(*ROLES)
def index():
    """The user's jobs with their progress, and the forms to ask for a new one."""
    return _render_index()


@bp.route("/", methods=["POST"])
@roles_required(*ROLES)
def request_job():
    """Queue a job (or find the same one still open) and show its page; wrong parameters come back beside the form."""
    sess, user = db.session(), account()
    form = {name: request.form.get(name, "") for name in FIELDS} | {"kinds": request.form.getlist("kinds")}
    try:
        job = jobs.request_job(sess, user, request.form.get("kind", ""), form)
    except Invalid as err:
        sess.rollback()
        message = err.message(str(get_locale()))
        flash(message, "error")
        return _render_index(form, dict.fromkeys(err.details, message), 422)
    db.commit()
    flash(gettext("后台任务已提交。可以离开本页，进度和结果随时在“后台任务”中查看。"), "success")
    return redirect(url_for("jobs.show", job_id=job.id))


@bp.route("/<int:job_id>")
@roles_required(*ROLES)
def show(job_id: int):
    """One job: its progress (as it is in the database now), and its result once done."""
    sess = db.session()
    job = jobs.job_for(sess, account(), job_id)
    return render_template("jobs/show.html", job=job, progress=jobs.progress(job), townships=queries.townships(sess))


@bp.route("/<int:job_id>.json")
@roles_required(*ROLES)
def progress(job_id: int):
    """The job's progress for the page's progress bar."""
    job = jobs.job_for(db.session(), account(), job_id)
    data = jobs.progress(job) | {"status_label": gettext(JOB_STATUS[job.status])}
    if data["has_result"]:
        data["result_url"] = url_for("jobs.result", job_id=job.id)
    response = jsonify(data)
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/<int:job_id>/result")
@roles_required(*ROLES)
def result(job_id: int):
    """The finished job's result (a zip checked against its SHA-256, or the verification summary as JSON)."""
    content, name, kind = jobs.result_of(db.session(), account(), job_id, services.get().store)
    accesslog.log(account(), "job_result_downloaded", None, f"后台任务 {job_id}：{name}")
    header = disposition("attachment", f"job-{job_id}.{kind}", name)
    return Response(content, mimetype=MIMETYPES[kind], headers={"Content-Disposition": header})
