"""备用金: the township's reserve fund for 临时救助 — its balance and ledger; the township's leader pays
money in (拨入) and records money returned (退回). Payments are made only by the step that approves a
case. The township's reviewer reads it; county auditors and administrators read any township's."""

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import get_locale, gettext

from workflows import queries, reserve
from workflows.errors import Invalid
from workflows.i18n import N_
from workflows.store import User

from .. import db
from ..auth import account, roles_required
from ..labels import yuan

bp = Blueprint("reserve", __name__, url_prefix="/reserve")

VIEWERS = reserve.VIEW_ROLES
MOVERS = reserve.DEPOSIT_ROLES
MOVES = {"deposit": (reserve.deposit, N_("已拨入备用金")), "refund": (reserve.refund, N_("已登记退回备用金"))}


def _township(user: User) -> str | None:
    """The township shown: the user's own, or the one a county role chose (None until chosen)."""
    if user.is_township_staff:
        return user.township_code
    code = request.values.get("township") or None
    return code if code in queries.townships(db.session()) else None


def _render(posted: dict | None = None, status: int = 200):
    """The page; after a refused movement, ``posted`` (``kind``, ``values``, ``errors``) is shown again as typed."""
    sess, user = db.session(), account()
    township = _township(user)
    ledger = queries.reserve_ledger(sess, user, township) if township else None
    forms = {kind: {"typed": {"amount": "", "note": ""}, "errors": {}} for kind in MOVES}
    if posted:
        forms[posted["kind"]] = {"typed": posted["values"], "errors": posted["errors"]}
    return render_template("reserve/index.html", township=township, townships=queries.townships(sess),
                           ledger=ledger, forms=forms, can_move=user.role in MOVERS), status


@bp.route("/")
@roles_required(*VIEWERS)
def index():
    """The balance and the ledger, newest first (county roles choose a township)."""
    return _render()


@bp.route("/<kind>", methods=["POST"])
@roles_required(*MOVERS)
def move(kind: str):
    """Pay money in (``deposit``) or record money returned (``refund``); errors beside the fields."""
    if kind not in MOVES:
        abort(404)
    sess, user, locale = db.session(), account(), str(get_locale())
    values = {"amount": request.form.get("amount", "").strip(), "note": request.form.get("note", "").strip()}
    step, done = MOVES[kind]
    try:
        entry = step(sess, user, user.township_code, values["amount"], note=values["note"])
    except Invalid as err:
        sess.rollback()
        flash(err.message(locale), "error")
        return _render({"kind": kind, "values": values, "errors": err.details}, 422)
    db.commit()
    flash(gettext("%(done)s %(amount)s，余额 %(balance)s", done=gettext(done), amount=yuan(entry.amount),
                  balance=yuan(entry.balance_after)), "success")
    return redirect(url_for("reserve.index"))
