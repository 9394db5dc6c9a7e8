"""故障 (incidents): every case that is stuck because a step or an outside call failed, in one list.

Township staff see their township's; county auditors and administrators see every township's.
Retrying happens on the case page (or with `flask retry-incidents`).
"""

from flask import Blueprint, render_template
from sqlalchemy import select

from workflows import incidents
from workflows.store import Case, OutsideCall
from workflows.store.outside_call import INCIDENT

from .. import db
from ..auth import account, roles_required

bp = Blueprint("incidents", __name__, url_prefix="/incidents")
ROLES = ("clerk", "investigator", "reviewer", "leader", "county_auditor", "admin")


@bp.route("/")
@roles_required(*ROLES)
def index():
    """Open step incidents and failed outside calls, oldest first."""
    sess, user = db.session(), account()
    calls = select(OutsideCall, Case.case_no).join(Case, Case.id == OutsideCall.case_id).where(
        OutsideCall.status == INCIDENT).order_by(OutsideCall.next_attempt_at).limit(200)
    if user.is_township_staff:
        calls = calls.where(OutsideCall.township_code == user.township_code)
    return render_template("incidents/index.html", steps=incidents.open_incidents(sess, user),
                           calls=[(call, case_no) for call, case_no in sess.execute(calls)])
