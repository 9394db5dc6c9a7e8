"""The township window (窗口受理): register an application for 低保 or for 临时救助, see the township's
recent cases."""

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import get_locale, gettext

from workflows import engine, queries, temp_assistance
from workflows.errors import Conflict, Invalid
from workflows.forms import decode_web_form, initial_values

from .. import db, services
from ..auth import account, roles_required

bp = Blueprint("window", __name__, url_prefix="/window")

NEW_MEMBER_ROWS = 6  # empty rows offered without JavaScript; more can be added in the browser


@bp.route("/")
@roles_required("clerk")
def index():
    """Recent cases of the township and the button to register a new one."""
    cases = queries.case_list(db.session(), account())
    return render_template("window/index.html", cases=cases)


@bp.route("/new", methods=["GET", "POST"])
@roles_required("clerk")
def new():
    """Register an application; errors are shown beside the fields and nothing typed is lost."""
    form = engine.start_form(db.session())
    values, errors = initial_values(form, {}), {}
    if request.method == "POST":
        values = decode_web_form(form, request.form)
        try:
            result = engine.start_case(db.session(), account(), values, services.get(), locale=str(get_locale()))
        except Invalid as err:
            errors = err.details
            flash(err.message(str(get_locale())), "error")
        else:
            db.commit()
            flash(gettext("申请已登记，案件编号 %(no)s", no=result.case.case_no), "success")
            return redirect(url_for("cases.detail", case_no=result.case.case_no))
    return render_template(
        "window/new.html", form=form, values=values, errors=errors, new_rows=NEW_MEMBER_ROWS
    ), (422 if errors else 200)


@bp.route("/temp-assistance", methods=["GET", "POST"])
@roles_required("clerk")
def new_temp_assistance():
    """Register an application for 临时救助 (急难型 or 支出型); errors beside the fields, nothing typed is lost.

    An applicant who already has temporary assistance under way is refused with the engine's Conflict
    message, the form shown again as typed.
    """
    sess, locale = db.session(), str(get_locale())
    form = engine.start_form(sess, temp_assistance.PROCESS)
    values, errors, status = initial_values(form, {}), {}, 200
    if request.method == "POST":
        values = decode_web_form(form, request.form)
        try:
            result = temp_assistance.start(sess, account(), values, services.get(), locale=locale)
        except Invalid as err:
            sess.rollback()
            errors, status = err.details, 422
            flash(err.message(locale), "error")
        except Conflict as err:  # one temporary assistance case under way per applicant
            sess.rollback()
            status = 409
            flash(err.message(locale), "error")
        else:
            db.commit()
            flash(gettext("临时救助申请已登记，案件编号 %(no)s", no=result.case.case_no), "success")
            return redirect(url_for("cases.detail", case_no=result.case.case_no))
    return render_template("window/new.html", form=form, values=values, errors=errors, new_rows=NEW_MEMBER_ROWS), status
