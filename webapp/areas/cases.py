"""Case pages: list, detail (status, flags, household, amount, history), document downloads, the scans
attached to a case (材料扫描件: upload, download), and what staff record on a case outside its tasks:
objections, the time-limit extension, 核对 retries."""

from dataclasses import asdict

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import get_locale, gettext

from workflows import access, access_log, attachments, clock, incidents, procedure, queries, replay, roster, spot_checks
from workflows.errors import Invalid
from workflows.forms import decode_web_form, initial_values
from workflows.i18n import N_
from workflows.store import ACTIVE_STATUSES

from .. import accesslog, db, dossier, downloads, labels, readside, services, worker
from ..auth import account, roles_required

bp = Blueprint("cases", __name__, url_prefix="/cases")

ALL_ROLES = ("clerk", "investigator", "reviewer", "leader", "county_auditor", "admin")


@bp.route("/")
@roles_required(*ALL_ROLES)
def index():
    """Cases the user may see, filtered by status and text."""
    status = request.args.get("status") or None
    text = request.args.get("q", "").strip()
    page = max(request.args.get("page", 1, type=int), 1)
    process = request.args.get("process") or None
    process = process if process in (*queries.CASE_PROCESSES, queries.ALL_PROCESSES) else None  # forged: the default
    cases = queries.case_list(db.session(), account(), status, text, page, peek=True, process=process)
    has_next = len(cases) > queries.PAGE_SIZE
    processes = [p for p in queries.CASE_PROCESSES if p != roster.PROCESS or roster.may_view(account())]
    return render_template("cases/index.html", cases=cases[:queries.PAGE_SIZE], status=status, q=text, page=page,
                           has_next=has_next, process=process, processes=processes,
                           statuses=[*ACTIVE_STATUSES, "APPROVED", "REFUSED", "NOT_ACCEPTED", "WITHDRAWN", "REVIEWED",
                                     "EXITED", "CHECKED", "CHECK_PROBLEM", "PAID", "ROSTER_ISSUED",
                                     "ROSTER_WITHDRAWN", "VISITED", "VISITED_REFERRED", "VISIT_MISSED",
                                     "VISIT_CANCELLED"])


def _render_detail(case_no: str, posted: dict | None = None, status: int = 200):
    """The case page; after a refused objection or extension its form comes back as typed, with errors.

    Args:
        posted: ``{"form": "objection" | "deadline_extension" | "attachment", "values": ..., "errors": ...}``.
    """
    sess, user = db.session(), account()
    case = access.case_for(sess, user, case_no)
    page = _case_page(sess, user, case, log=posted is None)
    forms = {form_id: _message_form(sess, case, user, form_id, posted) for form_id in readside.MESSAGE_FORMS}
    return render_template(
        "cases/detail.html", **page, forms={k: v for k, v in forms.items() if v},
        can_retry=user.role == "admin" or user.is_township_staff,
        accesses=access_log.for_case(sess, case) if user.role in access.AUDIT_ROLES else [],
    ), status


def _case_page(sess, user, case, log: bool = True, detail: str = "") -> dict:
    """What the case page and its print view show (the view is logged as ``case_viewed`` when ``log``)."""
    locale = str(get_locale())
    subject = readside.subject_view(sess, case)  # a spot check shows the case it checks
    if log:
        accesslog.log(user, "case_viewed", case, detail)
        if subject["subject"]:
            accesslog.log(user, "case_viewed", subject["subject"], case.case_no)
    history = readside.describe_messages(sess, case, queries.history_view(sess, case, locale), locale)
    checks, data = spot_checks.checks_about(sess, case), queries.case_data(sess, case)
    return {
        "case": case, "data": data, "history": history, "documents": queries.case_documents(sess, case),
        "open_tasks": queries.case_open_tasks(sess, case), "benefit": queries.benefit_of_case(sess, case),
        "townships": queries.townships(sess), "extras": readside.case_extras(sess, case, history, locale),
        "checks": checks, "check_results": queries.spot_check_results(sess, checks), **subject,
        "attachments": attachments.panel(sess, case, user, data.get("required_materials")),
        "roster_view": readside.roster_view(sess, case, data),
    }


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


@bp.route("/<case_no>/print")
@roles_required(*ALL_ROLES)
def print_view(case_no: str):
    """The case laid out for A4 paper: its facts, household, documents, scans and every step of its
    history with what was submitted — no forms, no buttons (打印 view)."""
    sess, user = db.session(), account()
    case = access.case_for(sess, user, case_no)
    page = _case_page(sess, user, case, detail="print")
    page["attachments"] = {**page["attachments"], "can_attach": False}  # paper: the list, not the upload form
    return render_template("cases/print.html", **page)


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
    flash(gettext(done), "success")
    return redirect(url_for("cases.detail", case_no=case_no))


@bp.route("/<case_no>/objections", methods=["POST"])
@roles_required(*ALL_ROLES)
def record_objection(case_no: str):
    """Record an objection received during the 公示 (clerk, reviewer): the case goes back to investigation."""
    return _send(case_no, "objection", procedure.record_objection, N_("异议已登记，案件退回重新调查"))


@bp.route("/<case_no>/extension", methods=["POST"])
@roles_required(*ALL_ROLES)
def extend_deadline(case_no: str):
    """Extend the case's time limit once, with a reason (leader)."""
    return _send(case_no, "deadline_extension", procedure.extend_deadline, N_("办理期限已延长"))


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
        flash(gettext("外部核对已重试成功，核对结果已记入案件"), "success")
    else:
        flash(gettext("已重试，但外部核对仍未成功，请稍后再试或联系管理员"), "error")
    return redirect(url_for("cases.detail", case_no=case_no))


@bp.route("/<case_no>/timers/retry", methods=["POST"])
@roles_required(*ALL_ROLES)
def retry_timers(case_no: str):
    """Fire the case's failing timer now, without waiting for its back-off (township staff, admin)."""
    case = incidents.check_can_retry_timer(db.session(), account(), case_no)
    case_id = case.id
    db.session().rollback()  # the worker's own transaction locks and moves the case
    if worker.fire_timers_of(case_id) is not None:
        flash(gettext("已重试成功，案件已继续办理"), "success")
    else:
        flash(gettext("重试仍未成功（或暂无到期的定时事件），故障信息已更新，请排除原因后再试"), "error")
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


@bp.route("/<case_no>/dossier.zip")
@roles_required(*access.AUDIT_ROLES)
def dossier_zip(case_no: str):
    """The case's audit dossier: report PDF, offline diagram, raw events, verdict, process sources, documents."""
    sess = db.session()
    case = access.case_for(sess, account(), case_no)
    svc = services.get()
    archive = dossier.build(sess, case, account(), svc.render, svc.store)
    accesslog.log(account(), "dossier_exported", case, f"{case_no}-dossier.zip")
    saved = downloads.disposition("attachment", f"{case_no}-dossier.zip", f"{case_no}审计卷宗.zip")
    return Response(archive, mimetype="application/zip", headers={"Content-Disposition": saved})


def _diagram_text() -> dict:
    """The words of the diagram page's step line, in the user's language (webapp/static/diagram.js)."""
    return {"kinds": dict(labels.Translated(labels.EVENTS)), "status": gettext("状态"),
            "amount": gettext("，月保障金 %(amount)s 元", amount="{amount}"), "failed": gettext("流程图无法显示：")}


@bp.route("/<case_no>/diagram")
@roles_required(*access.AUDIT_ROLES)
def diagram(case_no: str):
    """The BPMN of the version the case ran on, with the path taken, step by step (auditors)."""
    sess = db.session()
    case = access.case_for(sess, account(), case_no)
    accesslog.log(account(), "case_viewed", case, "diagram")
    payload = {"xml": queries.process_xml(sess, case), "steps": [asdict(s) for s in replay.trace(sess, case)],
               "statuses": dict(labels.Translated(labels.STATUS)), "text": _diagram_text()}
    return render_template("cases/diagram.html", case=case, payload=payload)


@bp.route("/<case_no>/attachments", methods=["POST"])
@roles_required(*ALL_ROLES)
def upload_attachment(case_no: str):
    """Attach a scan (材料扫描件) to the case: the township's staff, while the case is open."""
    upload = request.files.get("file")
    try:
        attachments.attach(db.session(), account(), case_no, upload.read() if upload else b"",
                           upload.filename if upload else "", request.form.get("material", ""), services.get().store)
    except Invalid as err:
        db.session().rollback()
        flash(err.message(str(get_locale())), "error")
        return _render_detail(case_no, {"form": "attachment", "values": {}, "errors": err.details}, 422)
    db.commit()
    flash(gettext("材料扫描件已上传"), "success")
    return redirect(url_for("cases.detail", case_no=case_no, _anchor="attachments"))


@bp.route("/<case_no>/attachments/<int:attachment_id>")
@roles_required(*ALL_ROLES)
def attachment(case_no: str, attachment_id: int):
    """Download an attachment as a file to save (never shown inline), with the type detected on upload."""
    case, row = attachments.attachment_for(db.session(), account(), case_no, attachment_id)
    content = attachments.content_of(services.get().store, row)
    accesslog.log(account(), "attachment_downloaded", case, f"attachment {row.id}")
    saved = downloads.disposition("attachment", f"{case_no}-{row.id}{attachments.TYPES[row.content_type]}",
                                  attachments.download_name(row))
    return Response(content, mimetype=row.content_type, headers={
        "Content-Disposition": saved, "X-Content-Type-Options": "nosniff", "Cache-Control": "private, no-store",
        "Content-Security-Policy": "default-src 'none'; sandbox"})
