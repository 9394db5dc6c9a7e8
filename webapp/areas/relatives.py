"""近亲属备案: every member of staff keeps the register of their own near relatives (registering, ending)
and may give their 身份证号 once; administrators keep anybody's, county auditors read anybody's. The
engine keeps everybody off the cases of their own household and of the relatives registered here
(``workflows.relatives``); this page only shows and changes the register."""

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import get_locale, gettext
from flask_login import login_required

from workflows import relatives
from workflows.documents import mask_id
from workflows.errors import Invalid

from .. import db
from ..auth import account, roles_required
from ..labels import Translated

bp = Blueprint("relatives", __name__, url_prefix="/relatives")

FIELDS = ("name", "id_no", "relation")


def _render(user_id: int, posted: dict | None = None, status: int = 200):
    """One account's register with its forms; after a refused post, ``posted`` (``form``: ``new``, ``id_no``
    or a registration id; ``values``; ``errors``) comes back beside its fields."""
    sess, me = db.session(), account()
    register = relatives.register_of(sess, me, user_id)
    owner = register["owner"]
    forms = {"new": {"typed": dict.fromkeys(FIELDS, ""), "errors": {}},
             "id_no": {"typed": {"id_no": ""}, "errors": {}}}
    forms.update({r.id: {"typed": {"end_reason": ""}, "errors": {}} for r in register["active"]})
    if posted:
        forms[posted["form"]] = {"typed": posted["values"], "errors": posted["errors"]}
    may_keep = me.id == owner.id or me.role == "admin"
    return render_template(
        "relatives/show.html", register=register, owner=owner, forms=forms, may_keep=may_keep,
        may_set_id_no=may_keep and (me.role == "admin" or not owner.id_no), own=me.id == owner.id,
        mask_id=mask_id, RELATION_NAMES=Translated(relatives.RELATIONS),
    ), status


@bp.route("/")
@login_required
def index():
    """The register of the logged-in account."""
    return _render(account().id)


@bp.route("/staff")
@roles_required("admin", "county_auditor")
def staff():
    """Every staff account with its registrations in force (of one township with ``?township=``)."""
    township = request.args.get("township", "").strip() or None
    rows = relatives.staff_list(db.session(), account(), township)
    return render_template("relatives/staff.html", rows=rows, township=township or "")


@bp.route("/staff/<int:user_id>")
@login_required
def show(user_id: int):
    """One account's register (one's own; administrators and county auditors: anybody's)."""
    return _render(user_id)


@bp.route("/staff/<int:user_id>", methods=["POST"])
@login_required
def add(user_id: int):
    """Register a near relative; errors beside the fields, nothing typed is lost."""
    sess, locale = db.session(), str(get_locale())
    values = {k: request.form.get(k, "").strip() for k in FIELDS}
    try:
        row = relatives.register(sess, account(), user_id, values, locale)
    except Invalid as err:
        sess.rollback()
        flash(err.message(locale), "error")
        return _render(user_id, {"form": "new", "values": values, "errors": err.details}, 422)
    db.commit()
    flash(gettext("已登记近亲属备案：%(name)s", name=row.name), "success")
    return redirect(url_for("relatives.show", user_id=user_id))


@bp.route("/staff/<int:user_id>/id-no", methods=["POST"])
@login_required
def set_id_no(user_id: int):
    """Set the staff member's own 身份证号 (once by themselves; administrators change it)."""
    sess, locale = db.session(), str(get_locale())
    values = {"id_no": request.form.get("id_no", "").strip()}
    try:
        relatives.set_id_no(sess, account(), user_id, values["id_no"], locale, remote_addr=request.remote_addr or "")
    except Invalid as err:
        sess.rollback()
        flash(err.message(locale), "error")
        return _render(user_id, {"form": "id_no", "values": values, "errors": err.details}, 422)
    db.commit()
    flash(gettext("身份证号码已登记"), "success")
    return redirect(url_for("relatives.show", user_id=user_id))


@bp.route("/<int:relative_id>/end", methods=["POST"])
@login_required
def end(relative_id: int):
    """End a registration with a reason (the cases registered while it was in force stay barred)."""
    sess, locale = db.session(), str(get_locale())
    values = {"end_reason": request.form.get("end_reason", "").strip()}
    owner_id = relatives.registration_owner(sess, account(), relative_id)  # 404 / 403 before the form is read
    try:
        row = relatives.end(sess, account(), relative_id, values["end_reason"], locale)
    except Invalid as err:
        sess.rollback()
        flash(err.message(locale), "error")
        return _render(owner_id, {"form": relative_id, "values": values, "errors": err.details}, 422)
    db.commit()
    flash(gettext("已结束近亲属备案：%(name)s", name=row.name), "success")
    return redirect(url_for("relatives.show", user_id=owner_id))
