"""Monthly payment rosters (发放花名册): a month's preview and issued rosters, drawing one up, its files.

The township's reviewer draws a month's roster up (its case starts; the township's leader approves it
through the task endpoints, which issues it); the township's leaders and reviewers, county auditors and
administrators read rosters (county roles: ``township`` query parameter). Another township's roster is
not found (404).
"""

from flask import Response, request, url_for

from workflows import access, queries, roster, roster_process
from workflows.errors import Forbidden, Invalid
from workflows.store import PaymentRoster, User

from .. import accesslog, db, services
from ..downloads import XLSX, disposition, roster_filename
from . import bp
from .body import json_object, locale
from .serialize import iso, money, step_json
from .tokens import api_user

VIEWERS = (*roster.WORK_ROLES, *roster.VIEW_ROLES)


def _viewer() -> User:
    user = api_user()
    if user.role not in VIEWERS:
        raise Forbidden("您的岗位无权查看发放花名册", "Your role may not see payment rosters")
    return user


def _township(user: User) -> str:
    """The user's township, or (county roles) the ``township`` query parameter, which they must give."""
    if user.is_township_staff:
        return user.township_code
    code = request.args.get("township", "")
    if code not in queries.townships(db.session()):
        raise Invalid("请指定乡镇（街道）代码 township", "Give the township code",
                      {"township": "a 9-digit township code"})
    return code


def line_json(line) -> dict:
    """One household on a roster (a draft line dict or an issued line row)."""
    get = line.get if isinstance(line, dict) else lambda key: getattr(line, key)
    return {key: get(key) for key in ("seq", "benefit_id", "certificate_no", "holder_name", "holder_id_masked",
                                      "persons", "standard_class")} | {"amount": money(get("amount"))}


def roster_json(found: PaymentRoster) -> dict:
    """An issued roster's summary, with where to download its workbook and PDF, and the case that issued it."""
    case = roster_process.case_of(db.session(), found)
    return {
        "case_no": case.case_no if case else None,
        "number": found.pdf_number, "township_code": found.township_code, "month": found.month,
        "issued_at": iso(found.issued_at), "households": found.households, "persons": found.persons,
        "total": money(found.total), "xlsx_sha256": found.xlsx_sha256,
        "url": url_for("api.get_roster", number=found.pdf_number),
        "xlsx_url": url_for("api.roster_workbook", number=found.pdf_number),
        "pdf_url": url_for("api.roster_pdf", number=found.pdf_number),
    }


def _detail(found: PaymentRoster) -> dict:
    body = roster_json(found)
    body.update(lines=[line_json(line) for line in found.lines], problems=roster.reconcile(db.session(), found))
    return body


def _roster(number: str) -> PaymentRoster:
    return access.roster_for(db.session(), _viewer(), number)


@bp.route("/rosters", methods=["GET"])
def list_rosters():
    """The township's issued rosters (newest month first); with ``month``, that month's and its preview."""
    user = _viewer()
    sess, township = db.session(), _township(user)
    month = request.args.get("month") or None
    issued = roster.issued(sess, township)
    draft = running = None
    if month is not None:
        lines = roster.draft(sess, township, month)  # Invalid (422) for a malformed month
        issued = [r for r in issued if r.month == month]
        if not issued:
            sums = roster.totals(lines)
            draft = {"lines": [line_json(line) for line in lines], "households": sums["households"],
                     "persons": sums["persons"], "total": money(sums["amount"])}
            running = roster_process.running_case(sess, township, month)
    return {"township_code": township, "month": month, "items": [roster_json(r) for r in issued], "draft": draft,
            "running_case_no": running.case_no if running else None}


@bp.route("/rosters", methods=["POST"])
def start_roster():
    """Draw up the township's roster for ``month`` (its reviewer): 201 with the roster's case, whose leader's
    task (approve) issues it; 409 if the month is issued already or a roster for it is under way."""
    result = roster_process.start(db.session(), api_user(), json_object(), services.get(), locale())
    db.commit()
    body = step_json(db.session(), result)
    return body, 201, {"Location": body["case"]["url"]}


@bp.route("/rosters/<number>", methods=["GET"])
def get_roster(number: str):
    """An issued roster: its lines, totals and what reconciling it with the register found."""
    return _detail(_roster(number))


@bp.route("/rosters/<number>/xlsx", methods=["GET"])
def roster_workbook(number: str):
    """The Excel workbook for the bank (checked against its recorded SHA-256 before it is served)."""
    found = _roster(number)
    data = roster.xlsx_bytes(db.session(), found, services.get().store)
    accesslog.log(api_user(), "document_downloaded", None, f"{found.pdf_number}.xlsx", channel="api")
    header = disposition("attachment", f"{found.pdf_number}.xlsx", roster_filename(db.session(), found, ".xlsx"))
    return Response(data, mimetype=XLSX, headers={"Content-Disposition": header})


@bp.route("/rosters/<number>/pdf", methods=["GET"])
def roster_pdf(number: str):
    """The printed roster (PDF)."""
    found = _roster(number)
    doc = roster.pdf_document(db.session(), found)
    pdf = services.get().store.get(doc.sha256)
    accesslog.log(api_user(), "document_downloaded", None, doc.number, channel="api")
    header = disposition("inline", f"{doc.number}.pdf", roster_filename(db.session(), found, ".pdf"))
    return Response(pdf, mimetype="application/pdf", headers={"Content-Disposition": header})
