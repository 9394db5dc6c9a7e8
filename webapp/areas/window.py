"""The township window (窗口受理): register an application for 低保 or for 临时救助, see the township's
recent cases."""

from flask import Blueprint, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import get_locale, gettext

from workflows import clock, engine, intake, queries, temp_assistance
from workflows.errors import Conflict, DomainError, Invalid
from workflows.forms import Form, decode_web_form, initial_values
from workflows.rules.id_number import problem_messages

from .. import accesslog, db, services
from ..auth import account, roles_required
from ..labels import CATEGORY_LABELS

bp = Blueprint("window", __name__, url_prefix="/window")

NEW_MEMBER_ROWS = 6  # empty rows offered without JavaScript; more can be added in the browser
DRAFT_PREFIX = "dibao-draft:"  # localStorage keys of the drafts app.js keeps (and drops after a day)


def _draft_key(form: Form) -> str:
    return f"{DRAFT_PREFIX}{account().username}:{form.process}/{form.id}"


def _intake_config(form: Form, duplicates: bool) -> dict:
    """What app.js needs to help while the clerk types: today, the 增发 ages in force in the clerk's
    township (only where the form leads to 增发), the duplicate lookup, the draft key and the texts."""
    sess, locale = db.session(), str(get_locale())
    texts = {
        "problems": problem_messages(locale),
        "summary": gettext("出生日期 {birth}，{sex}，{age}周岁"),
        "sex": {"M": gettext("男"), "F": gettext("女")},
        "uplift": gettext("可能适用增发：{categories}"),
        "categories": {key: gettext(CATEGORY_LABELS[key]) for key in ("elderly", "minor")},
        "lookup_failed": gettext("暂时无法查询是否已在其他案件中，提交时仍会检查"),
        "restored": gettext("已恢复上次未提交的草稿（保存于 {time}）。"),
        "clear": gettext("清除草稿"),
        "cleared": gettext("草稿已清除。"),
    }
    config = {"today": clock.today().isoformat(), "draft_key": _draft_key(form), "texts": texts}
    if duplicates:
        config["ages"] = intake.age_settings(sess, account().township_code)
        config["persons_url"] = url_for("window.person", id_no="0").removesuffix("0")
    return config


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
            flash(_draft_key(form), "draft-done")  # app.js drops the draft kept while typing
            return redirect(url_for("cases.detail", case_no=result.case.case_no))
    return render_template(
        "window/new.html", form=form, values=values, errors=errors, new_rows=NEW_MEMBER_ROWS,
        intake=_intake_config(form, duplicates=True),
    ), (422 if errors else 200)


@bp.route("/persons/<id_no>")
@roles_required("clerk")
def person(id_no: str):
    """Whether a person is already in an active or approved case (JSON for the registration page).

    The clerk's own township's case is named; another township's only said to exist. Every answer
    about a valid number is logged as a view of personal data; the submit still refuses duplicates.
    """
    user, locale = account(), str(get_locale())
    try:
        number, answer = intake.person_held(db.session(), user, id_no)
    except DomainError as err:
        return jsonify(error=err.code, message=err.message(locale)), err.status
    accesslog.log(user, "person_looked_up", answer.case if answer else None, number)
    body = {"held": answer is not None}
    if answer and answer.elsewhere:
        body["message"] = gettext("已在其他乡镇（街道）的案件中")
    elif answer:
        body.update(case_no=answer.case.case_no,
                    message=gettext("已在本乡镇（街道）案件 %(no)s 中，不能重复申请", no=answer.case.case_no))
    response = jsonify(body)
    response.headers["Cache-Control"] = "no-store"
    return response


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
            flash(_draft_key(form), "draft-done")
            return redirect(url_for("cases.detail", case_no=result.case.case_no))
    return render_template("window/new.html", form=form, values=values, errors=errors, new_rows=NEW_MEMBER_ROWS,
                           intake=_intake_config(form, duplicates=False)), status
