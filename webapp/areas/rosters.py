"""发放花名册: the township's monthly payment roster — preview a month, draw it up (the township's
reviewer: its case starts, and the leader approves it from the task queue, which issues it once),
download the Excel workbook for the bank and the printed PDF. County auditors and administrators
read the rosters of any township."""

from flask import Blueprint, Response, flash, redirect, render_template, request, url_for
from flask_babel import get_locale, gettext

from workflows import access, clock, queries, roster, roster_process, rules
from workflows.errors import Conflict, Invalid
from workflows.store import User

from .. import accesslog, db, services
from ..auth import account, roles_required
from ..downloads import XLSX, disposition, roster_filename
from ..labels import yuan

bp = Blueprint("rosters", __name__, url_prefix="/rosters")

STARTERS = ("reviewer",)  # the township's reviewer draws it up; its leader approves it in the task queue
VIEWERS = (*roster.WORK_ROLES, *roster.VIEW_ROLES)


def next_month() -> str:
    """The month a roster is usually prepared for: the one after today's."""
    return rules.shift_month(rules.month_of(clock.today()), 1)


def _township(user: User) -> str | None:
    """The township shown: the user's own, or the one a county role chose (None until chosen)."""
    if user.is_township_staff:
        return user.township_code
    code = request.values.get("township") or None
    return code if code in queries.townships(db.session()) else None


def fingerprint(sums: dict) -> str:
    """What the issuer saw in the preview (households/persons/total), to refuse a roster that changed since."""
    return f"{sums['households']}/{sums['persons']}/{sums['amount']:.2f}"


def _render_index(month: str, errors: dict | None = None, status: int = 200):
    sess, user = db.session(), account()
    township = _township(user)
    errors = dict(errors or {})
    lines, issued_month, issued, running = [], None, [], None
    if township:
        try:
            lines = roster.draft(sess, township, month)
        except Invalid as err:
            errors.setdefault("month", err.message(str(get_locale())))
            status = max(status, 422)
        issued_month = roster.find(sess, township, month) if not errors.get("month") else None
        running = roster_process.running_case(sess, township, month) if not issued_month else None
        issued = roster.issued(sess, township)
    sums = roster.totals(lines)
    return render_template(
        "rosters/index.html", month=month, township=township, townships=queries.townships(sess),
        lines=lines, totals=sums, fingerprint=fingerprint(sums), issued_month=issued_month, issued=issued,
        issued_case=roster_process.case_of(sess, issued_month) if issued_month else None, running=running,
        can_start=user.role in STARTERS, latest=next_month(), errors=errors,
    ), status


@bp.route("/")
@roles_required(*VIEWERS)
def index():
    """A month's roster as it would be issued (default: next month), and the rosters issued before."""
    return _render_index(request.args.get("month") or next_month())


@bp.route("/", methods=["POST"])
@roles_required(*STARTERS)
def start():
    """Draw up the month's roster after the reviewer confirmed the preview they saw: its case starts
    and the township's leader finds it in the task queue (审核花名册); approving it issues the roster.

    Refused beside the fields: a malformed or too distant month, no confirmation, a preview that
    changed meanwhile, nobody to pay. A month issued already or under way is flashed (Conflict).
    """
    sess, user, locale = db.session(), account(), str(get_locale())
    month = request.form.get("month", "").strip()
    if not request.form.get("confirm"):
        return _render_index(month, {"confirm": gettext("请勾选确认：已核对以上名单，提交审核")}, 422)
    try:
        lines = roster.draft(sess, user.township_code, month)
        sums = roster.totals(lines)
        if request.form.get("expected") != fingerprint(sums):
            flash(gettext("名单在您核对后发生了变化，请重新核对后再生成"), "error")
            return _render_index(month, status=409)
        result = roster_process.start(sess, user, {"month": month, "roster_confirm": True}, services.get(), locale)
    except Invalid as err:
        sess.rollback()
        flash(err.message(locale), "error")
        return _render_index(month, {"month": err.message(locale)}, 422)
    except Conflict as err:  # issued already, or under way (a second click, or a colleague)
        sess.rollback()
        flash(err.message(locale), "error")
        return redirect(url_for("rosters.index", month=month))
    db.commit()
    flash(gettext("已提交 %(m)s 发放花名册审核（案件 %(no)s）：%(h)s 户 %(p)s 人，合计 %(t)s；分管领导审核同意后生成",
                  m=month, no=result.case.case_no, h=sums["households"], p=sums["persons"], t=yuan(sums["amount"])),
          "success")
    return redirect(url_for("rosters.index", month=month))


@bp.route("/<number>")
@roles_required(*VIEWERS)
def show(number: str):
    """An issued roster: its lines and totals, and whether it still agrees with the benefit register."""
    sess = db.session()
    found = access.roster_for(db.session(), account(), number)
    return render_template("rosters/show.html", roster=found, problems=roster.reconcile(sess, found),
                           townships=queries.townships(sess), doc=roster.pdf_document(sess, found),
                           case=roster_process.case_of(sess, found))


@bp.route("/<number>.xlsx")
@roles_required(*VIEWERS)
def workbook(number: str):
    """The Excel workbook for the bank, as issued (its SHA-256 is checked before it is served)."""
    found = access.roster_for(db.session(), account(), number)
    data = roster.xlsx_bytes(db.session(), found, services.get().store)
    accesslog.log(account(), "document_downloaded", None, f"{found.pdf_number}.xlsx")
    header = disposition("attachment", f"{found.pdf_number}.xlsx", roster_filename(db.session(), found, ".xlsx"))
    return Response(data, mimetype=XLSX, headers={"Content-Disposition": header})


@bp.route("/<number>.pdf")
@roles_required(*VIEWERS)
def document(number: str):
    """The printed roster (PDF)."""
    found = access.roster_for(db.session(), account(), number)
    doc = roster.pdf_document(db.session(), found)
    pdf = services.get().store.get(doc.sha256)
    accesslog.log(account(), "document_downloaded", None, doc.number)
    header = disposition("inline", f"{doc.number}.pdf", roster_filename(db.session(), found, ".pdf"))
    return Response(pdf, mimetype="application/pdf", headers={"Content-Disposition": header})
