"""公示批次: the township's cases proposed for approval are published together, as one list PDF."""

from flask import Blueprint, Response, abort, flash, redirect, render_template, url_for
from flask_babel import gettext
from flask_login import current_user
from sqlalchemy.exc import SQLAlchemyError

from workflows import procedure

from .. import accesslog, db, readside, services
from ..auth import account, roles_required

bp = Blueprint("notices", __name__, url_prefix="/notices")

PUBLISHERS = ("reviewer", "leader")  # senderRoles of the BPMN's "列入公示批次" receive task
ALL_ROLES = ("clerk", "investigator", "reviewer", "leader", "county_auditor", "admin")


@bp.route("/")
@roles_required(*PUBLISHERS)
def index():
    """Cases waiting for the next batch, and the batches published before."""
    sess, user = db.session(), account()
    return render_template("notices/index.html", waiting=procedure.awaiting_notice(sess, user.township_code),
                           batches=readside.notice_batches(sess, user.township_code))


@bp.route("/publish", methods=["POST"])
@roles_required(*PUBLISHERS)
def publish():
    """Publish every waiting case of the township as one batch (a second click finds none: 409)."""
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


@bp.app_context_processor
def _nav():
    """``nav_counts()`` for the navigation (queried only when a page asks)."""

    def nav_counts() -> dict:
        if not current_user.is_authenticated:
            return {}
        try:
            return readside.nav_counts(db.session(), account())
        except SQLAlchemyError:  # an error page after a failed transaction still renders
            return {}

    return {"nav_counts": nav_counts}
