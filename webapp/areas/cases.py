"""Case pages: list, detail (status, household, amount, history) and document downloads."""

from dataclasses import asdict

from flask import Blueprint, Response, abort, render_template, request
from flask_babel import get_locale

from workflows import access, access_log, queries, replay
from workflows.store import ACTIVE_STATUSES

from .. import accesslog, db, labels, services
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
                           statuses=[*ACTIVE_STATUSES, "APPROVED", "REFUSED", "NOT_ACCEPTED"])


@bp.route("/<case_no>")
@roles_required(*ALL_ROLES)
def detail(case_no: str):
    """Everything about one case."""
    sess = db.session()
    case = access.case_for(sess, account(), case_no)
    accesslog.log(account(), "case_viewed", case)
    return render_template(
        "cases/detail.html", case=case, data=queries.case_data(sess, case),
        history=queries.history_view(sess, case, str(get_locale())),
        documents=queries.case_documents(sess, case), open_tasks=queries.case_open_tasks(sess, case),
        townships=queries.townships(sess),
        accesses=access_log.for_case(sess, case) if account().role in access.AUDIT_ROLES else [],
    )


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
