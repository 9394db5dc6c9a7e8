"""Case pages: list, detail (status, flags, household, amount, history), document downloads, and what
staff record on a case outside its tasks: objections, the time-limit extension, 核对 retries."""

from dataclasses import asdict

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import get_locale

from workflows import access, access_log, clock, procedure, queries, replay, spot_checks
from workflows.errors import Invalid
from workflows.forms import decode_web_form, initial_values
from workflows.store import ACTIVE_STATUSES

from .. import accesslog, db, labels, readside, services, worker
from ..auth import account, roles_required

bp = Blueprint("cases", __name__, url_prefix="/cases")

ALL_ROLES = ("clerk", "investigator", "reviewer", "leader", "county_auditor", "admin")


@bp.route("/")
@roles_required(*ALL_ROLES)
def index():
    """Cases the user may see, filtered by status and text."""
    status = request.args.get("status") or None
    text = request.args.get("q", "").strip()
    page = request.args.get("page", 1, type=int)
    cases = queries.case_list(db.session(), account(), status, text, page)
    return render_template("cases/index.html", cases=cases, status=status, q=text, page=page,
                           statuses=[*ACTIVE_STATUSES, "APPROVED", "REFUSED", "NOT_ACCEPTED", "WITHDRAWN", "REVIEWED",
                                     "EXITED", "CHECKED", "CHECK_PROBLEM", "PAID"])


def _render_detail(case_no: str, posted: dict | None = None, status: int = 200):
    """The case page; after a refused objection or extension its form comes back as typed, with errors.

    Args:
        posted: ``{"form": "objection" | "deadline_extension", "values": ..., "errors": ...}``.
    """
    sess, user, locale = db.session(), account(), str(get_locale())
    case = access.case_for(sess, user, case_no)
    subject = readside.subject_view(sess, case)  # a spot check shows the case it checks
    if posted is None:
        accesslog.log(user, "case_viewed", case)
        if subject["subject"]:
            accesslog.log(user, "case_viewed", subject["subject"], case.case_no)
    history = readside.describe_messages(sess, case, queries.history_view(sess, case, locale), locale)
    forms = {form_id: _message_form(sess, case, user, form_id, posted) for form_id in readside.MESSAGE_FORMS}
    checks = spot_checks.checks_about(sess, case)
    return render_template(
        "cases/detail.html", case=case, data=queries.case_data(sess, case), history=history,
        documents=queries.case_documents(sess, case), open_tasks=queries.case_open_tasks(sess, case),
        benefit=queries.benefit_of_case(sess, case),
        townships=queries.townships(sess), extras=readside.case_extras(sess, case, history),
        forms={k: v for k, v in forms.items() if v}, can_retry=user.role == "admin" or user.is_township_staff,
        accesses=access_log.for_case(sess, case) if user.role in access.AUDIT_ROLES else [],
        checks=checks, check_results=queries.spot_check_results(sess, checks), **subject,
    ), status


def _message_form(sess, case, user, form_id: str, posted: dict | None) -> dict | None:
    """The objection / extension form, if this user may send it to the case now (None otherwise)."""
    if posted and posted["form"] == form_id:  # refused as typed: shown again whatever the case's state
        return {"form": readside.message_form(sess, case, form_id), "values": posted["values"],
                "errors": posted["errors"]}
    if not readside.has_message_form(sess, case, form_id) or user.role not in readside.senders(sess, case, form_id):
        return None
    if form_id == "objection" and case.status != "PUBLICIZING":
        return None
    if form_id == "deadline_extension" and (not case.is_active or case.deadline_extended or not case.case_deadline):
        return None
    form = readside.message_form(sess, case, form_id)
    return {"form": form, "values": initial_values(form, {"received_on": clock.today().isoformat()}), "errors": {}}


@bp.route("/<case_no>")
@roles_required(*ALL_ROLES)
def detail(case_no: str):
    """Everything about one case."""
    return _render_detail(case_no)


def _send(case_no: str, form_id: str, step, done: str):
    """Post a message form to the case: on errors the case page comes back with the form as typed."""
    sess = db.session()
    case = access.case_for(sess, account(), case_no)
    values = decode_web_form(readside.message_form(sess, case, form_id), request.form)
    try:
        step(sess, account(), case_no, values, services.get(), locale=str(get_locale()))
    except Invalid as err:
        sess.rollback()
        flash(err.message(str(get_locale())), "error")
        return _render_detail(case_no, {"form": form_id, "values": values, "errors": err.details}, 422)
    db.commit()
    flash(done, "success")
    return redirect(url_for("cases.detail", case_no=case_no))


@bp.route("/<case_no>/objections", methods=["POST"])
@roles_required(*ALL_ROLES)
def record_objection(case_no: str):
    """Record an objection received during the 公示 (clerk, reviewer): the case goes back to investigation."""
    return _send(case_no, "objection", procedure.record_objection, "异议已登记，案件退回重新调查")


@bp.route("/<case_no>/extension", methods=["POST"])
@roles_required(*ALL_ROLES)
def extend_deadline(case_no: str):
    """Extend the case's time limit once, with a reason (leader)."""
    return _send(case_no, "deadline_extension", procedure.extend_deadline, "办理期限已延长")


@bp.route("/<case_no>/retry", methods=["POST"])
@roles_required(*ALL_ROLES)
def retry_calls(case_no: str):
    """Retry the case's failed 核对 at once (township staff, admin) and say how it went."""
    sess = db.session()
    calls = procedure.retry_call(sess, account(), case_no)
    case_id = calls[0].case_id
    db.commit()
    answered = worker.run_calls(worker.open_calls(case_id))
    if answered:
        flash("外部核对已重试成功，核对结果已记入案件", "success")
    else:
        flash("已重试，但外部核对仍未成功，请稍后再试或联系管理员", "error")
    return redirect(url_for("cases.detail", case_no=case_no))


@bp.route("/<case_no>/documents/<number>.pdf")
@roles_required(*ALL_ROLES)
def document(case_no: str, number: str):
    """Download an issued PDF."""
    sess = db.session()
    case = access.case_for(sess, account(), case_no)
    doc = queries.document_for(sess, account(), number)
    if doc is None or doc.case_id != case.id:
        abort(404)
    pdf = services.get().store.get(doc.sha256)
    accesslog.log(account(), "document_downloaded", case, doc.number)
    return Response(pdf, mimetype="application/pdf",
                    headers={"Content-Disposition": f'inline; filename="{doc.number}.pdf"'})


@bp.route("/<case_no>/verify")
@roles_required(*access.AUDIT_ROLES)
def verify(case_no: str):
    """Replay the case from its events and show the verdict (auditors and admins)."""
    sess = db.session()
    case = access.case_for(sess, account(), case_no)
    svc = services.get()
    result = replay.verify_case(sess, case, svc.render, svc.store)
    return render_template("cases/verify.html", case=case, result=result)


@bp.route("/<case_no>/diagram")
@roles_required(*access.AUDIT_ROLES)
def diagram(case_no: str):
    """The BPMN of the version the case ran on, with the path taken, step by step (auditors)."""
    sess = db.session()
    case = access.case_for(sess, account(), case_no)
    accesslog.log(account(), "case_viewed", case, "diagram")
    payload = {"xml": queries.process_xml(sess, case), "steps": [asdict(s) for s in replay.trace(sess, case)],
               "statuses": labels.STATUS}
    return render_template("cases/diagram.html", case=case, payload=payload)
