"""公示批次: the township's cases proposed for approval are published together, as one list PDF."""

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext

from workflows import procedure

from .. import accesslog, db, readside, services
from ..auth import account, roles_required

bp = Blueprint("notices", __name__, url_prefix="/notices")

PUBLISHERS = ("reviewer", "leader")  # senderRoles of the BPMN's "列入公示批次" receive task
ALL_ROLES = ("clerk", "investigator", "reviewer", "leader", "county_auditor", "admin")


def _listed(cases) -> str:
    """The waiting list as the publisher saw it (its case numbers), to publish only the list they checked."""
    return ",".join(case.case_no for case in cases)


def _render(errors: dict | None = None, status: int = 200):
    sess, user = db.session(), account()
    waiting = procedure.awaiting_notice(sess, user.township_code)
    return render_template("notices/index.html", waiting=waiting, expected=_listed(waiting), errors=errors or {},
                           batches=readside.notice_batches(sess, user.township_code)), status


@bp.route("/")
@roles_required(*PUBLISHERS)
def index():
    """Cases waiting for the next batch, and the batches published before."""
    return _render()


@bp.route("/publish", methods=["POST"])
@roles_required(*PUBLISHERS)
def publish():
    """Publish every waiting case of the township as one batch, once the publisher ticked that they checked
    the list: a list that changed since it was shown comes back to be checked again (409); a second click
    finds none waiting (flashed, nothing published twice). Each case is checked on its own (township, 回避)."""
    if not request.form.get("confirm"):
        return _render({"confirm": gettext("请勾选确认：已核对以上名单，作为同一批次公示")}, 422)
    waiting = procedure.awaiting_notice(db.session(), account().township_code)
    if waiting and request.form.get("expected") != _listed(waiting):
        flash(gettext("待公示名单在您核对后发生了变化，请重新核对后再发布"), "error")
        return _render(status=409)
    doc, cases = procedure.publish_notice_batch(db.session(), account(), services.get())
    db.commit()
    flash(gettext("已发布公示批次 %(no)s，共 %(n)s 户", no=doc.number, n=len(cases)), "success")
    return redirect(url_for("notices.index"))


@bp.route("/<number>.pdf")
@roles_required(*ALL_ROLES)
def document(number: str):
    """Download a 公示 list (the township's staff and the county roles; others get 404)."""
    doc = readside.batch_document(db.session(), account(), number)
    if doc is None:
        abort(404)
    pdf = services.get().store.get(doc.sha256)
    accesslog.log(account(), "document_downloaded", None, doc.number)
    return Response(pdf, mimetype="application/pdf",
                    headers={"Content-Disposition": f'inline; filename="{doc.number}.pdf"'})

