"""Cases: register, list, read one (data, open tasks, documents), its history and its PDFs."""

from flask import Response, request, url_for
from werkzeug.exceptions import NotFound as HTTPNotFound

from workflows import access, engine, procedure, queries, replay

from .. import accesslog, db, services
from . import bp
from .body import json_body, locale, page_arg
from .serialize import case_summary, document_json, event_json, plain, step_json, tasks_of
from .tokens import api_user


@bp.route("/cases", methods=["POST"])
def create_case():
    """Register an application (window clerks); the body is the registration form's data."""
    result = engine.start_case(db.session(), api_user(), json_body(), services.get(), locale=locale())
    db.commit()
    body = case_summary(result.case)
    return body, 201, {"Location": body["url"]}


@bp.route("/cases", methods=["GET"])
def list_cases():
    """Cases the user may see, newest first; ``status``, ``q`` (name, number, ID) and ``page`` filter."""
    page = page_arg()
    status = request.args.get("status") or None
    text = request.args.get("q", "").strip()
    cases = queries.case_list(db.session(), api_user(), status, text, page)
    return {"items": [case_summary(c) for c in cases], "page": page, "per_page": queries.PAGE_SIZE}


@bp.route("/cases/<case_no>", methods=["GET"])
def get_case(case_no: str):
    """One case: summary, current data, open tasks and issued documents."""
    sess = db.session()
    case = access.case_for(sess, api_user(), case_no)
    accesslog.log(api_user(), "case_viewed", case, channel="api")
    body = case_summary(case)
    body["data"] = plain(queries.case_data(sess, case))
    body["open_tasks"] = tasks_of(sess, case)
    body["documents"] = [document_json(d, case.case_no) for d in queries.case_documents(sess, case)]
    return body


@bp.route("/cases/<case_no>/history", methods=["GET"])
def case_history(case_no: str):
    """The case's append-only event log, oldest first, with its hash chain."""
    sess = db.session()
    case = access.case_for(sess, api_user(), case_no)
    accesslog.log(api_user(), "case_viewed", case, channel="api")
    events = [event_json(e) for e in queries.case_events(sess, case)]
    return {"case_no": case.case_no, "url": url_for("api.get_case", case_no=case.case_no), "events": events}


@bp.route("/cases/<case_no>/documents/<number>", methods=["GET"])
def get_document(case_no: str, number: str):
    """The PDF bytes of a document issued for the case."""
    sess = db.session()
    case = access.case_for(sess, api_user(), case_no)
    doc = queries.document_for(sess, api_user(), number)
    if doc is None or doc.case_id != case.id:
        raise HTTPNotFound("该案件没有此文书 / No such document for this case")
    pdf = services.get().store.get(doc.sha256)
    accesslog.log(api_user(), "document_downloaded", case, doc.number, channel="api")
    return Response(pdf, mimetype="application/pdf",
                    headers={"Content-Disposition": f'inline; filename="{doc.number}.pdf"'})


@bp.route("/cases/<case_no>/replay", methods=["GET"])
def replay_case(case_no: str):
    """Re-run the case from its events and compare every step's digest (auditors and admins)."""
    user = api_user()
    access.check_can_audit(user)
    sess = db.session()
    case = access.case_for(sess, user, case_no)
    svc = services.get()
    return replay.verify_case(sess, case, svc.render, svc.store).as_dict()


@bp.route("/cases/<case_no>/objections", methods=["POST"])
def record_objection(case_no: str):
    """Record an objection received during the 公示 (clerks, reviewers); the case goes back to investigation."""
    result = procedure.record_objection(db.session(), api_user(), case_no, json_body(), services.get(), locale())
    db.commit()
    return step_json(db.session(), result), 201


@bp.route("/cases/<case_no>/extension", methods=["POST"])
def extend_deadline(case_no: str):
    """Extend the case's time limit once, with a reason (leaders); 409 if it was extended before."""
    result = procedure.extend_deadline(db.session(), api_user(), case_no, json_body(), services.get(), locale())
    db.commit()
    return step_json(db.session(), result)
