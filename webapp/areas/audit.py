"""Chain anchors for auditors (锚点): the list, making one now, checking them, printing one, its heads.

The worker anchors every case's chain head once a day; an auditor prints the anchor (or keeps its
root elsewhere) so that a database rewritten wholesale later no longer matches the paper.
"""

from flask import Blueprint, Response, abort, flash, redirect, render_template, url_for
from flask_babel import gettext
from sqlalchemy import select

from workflows import access, anchors, clock
from workflows.store import ChainAnchor, Township

from .. import accesslog, db, downloads, services
from ..auth import account, roles_required

bp = Blueprint("audit", __name__, url_prefix="/audit")
PAGE = 60


def _anchor(anchor_id: int) -> ChainAnchor:
    found = db.session().get(ChainAnchor, anchor_id)
    if found is None:
        abort(404)
    return found


@bp.route("/anchors")
@roles_required(*access.AUDIT_ROLES)
def anchors_index():
    """The latest anchors, newest first."""
    rows = db.session().scalars(select(ChainAnchor).order_by(ChainAnchor.at.desc(), ChainAnchor.id.desc()).limit(PAGE))
    return render_template("audit/anchors.html", anchors=list(rows), problems=None)


@bp.route("/anchors", methods=["POST"])
@roles_required(*access.AUDIT_ROLES)
def make_anchor():
    """Anchor every chain head now (the same anchor again when nothing changed since)."""
    sess = db.session()
    before = anchors.latest(sess)
    made = anchors.make_anchor(sess)
    db.commit()
    if before is not None and made.id == before.id:
        flash(gettext("自锚点 %(id)s 以来没有新的办理事件，该锚点仍然有效", id=made.id), "info")
    else:
        flash(gettext("已生成锚点 %(id)s，覆盖 %(n)s 件案件", id=made.id, n=made.cases), "success")
    return redirect(url_for("audit.anchors_index"))


@bp.route("/anchors/check", methods=["POST"])
@roles_required(*access.AUDIT_ROLES)
def check_anchors():
    """Check every anchor against the chains as they are now."""
    sess = db.session()
    problems = anchors.check_all(sess)
    rows = sess.scalars(select(ChainAnchor).order_by(ChainAnchor.at.desc(), ChainAnchor.id.desc()).limit(PAGE))
    return render_template("audit/anchors.html", anchors=list(rows), problems=problems)


def _print_context(anchor: ChainAnchor) -> dict:
    at = anchor.at.astimezone(clock.CHINA_TZ)
    govs = sorted(set(db.session().scalars(select(Township.county_gov))))
    user = account()
    return {"number": f"锚点-{anchor.id}", "verify_code": anchor.root[:16].upper(), "issued_on": at.date().isoformat(),
            "issuer": "、".join(govs) or "民政部门", "anchor_id": anchor.id, "cases": anchor.cases,
            "anchored_at": at.strftime("%Y-%m-%d %H:%M:%S"), "root_groups": anchors.root_groups(anchor.root),
            "printed_by": f"{user.display_name}（{user.username}）"}


@bp.route("/anchors/<int:anchor_id>.pdf")
@roles_required(*access.AUDIT_ROLES)
def anchor_pdf(anchor_id: int):
    """The anchor as a page to print, sign and keep."""
    anchor = _anchor(anchor_id)
    pdf = services.get().render("chain_anchor", _print_context(anchor))
    accesslog.log(account(), "anchor_printed", target=f"锚点 {anchor.id}")
    name = f"锚点凭证{anchor.id}.pdf"
    return Response(pdf, mimetype="application/pdf",
                    headers={"Content-Disposition": downloads.disposition("inline", f"anchor-{anchor.id}.pdf", name)})


@bp.route("/anchors/<int:anchor_id>.json")
@roles_required(*access.AUDIT_ROLES)
def anchor_heads(anchor_id: int):
    """The anchored heads exactly as hashed: their SHA-256 is the printed root."""
    anchor = _anchor(anchor_id)
    return Response(anchor.heads.encode(), mimetype="application/json",
                    headers={"Content-Disposition": f'attachment; filename="anchor-{anchor.id}-heads.json"'})
