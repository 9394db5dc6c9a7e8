"""Property tests of form validation: fields a form does not have are refused and never reach the
workflow data; text with HTML, script and rare CJK characters is kept exactly as typed.

The HTML side — that such text is escaped wherever it is shown — is in
``tests/webapp/test_properties_html.py``.
"""

from datetime import date
from itertools import count

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from tests import factories as f
from tests.drive import case_row, open_task, start
from tests.drive import user as drive_user
from tests.strategies import LINE, LINES
from workflows import engine, queries
from workflows.errors import Invalid
from workflows.forms import form_ids, load_form, validate_submission
from workflows.store import CaseEvent, unit_of_work

TODAY = date(2026, 12, 1)
UNKNOWN = "表单中没有这一项，不能提交"
PROCESSES = ("dibao_application", "dibao_review", "dibao_spot_check", "temp_assistance")
FORMS = [(process, form_id) for process in PROCESSES for form_id in form_ids(process)]
JSON = st.recursive(st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
                    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3),
                    max_leaves=6)

def _extra_keys(form) -> st.SearchStrategy:
    names = {field["name"] for field in form.fields}
    return st.dictionaries(st.text(min_size=1, max_size=12).filter(lambda k: k not in names), JSON,
                           min_size=1, max_size=3)


@settings(max_examples=120, deadline=None)
@given(st.sampled_from(FORMS), st.data())
def test_a_field_the_form_does_not_have_is_refused_whatever_else_is_sent(form_key, data):
    form = load_form(*form_key)
    extra = data.draw(_extra_keys(form), label="extra")
    clean, errors = validate_submission(form, extra, {}, "zh", today=TODAY)
    assert clean == {}
    assert all(errors.get(key) == UNKNOWN for key in extra), errors


@settings(max_examples=60, deadline=None)
@given(st.data())
def test_a_column_the_table_does_not_have_is_refused_on_its_row(data):
    form = load_form("dibao_application", "start")
    members = f.registration()["members"]
    row = data.draw(st.integers(min_value=0, max_value=len(members) - 1), label="row")
    extra = data.draw(_columns(form), label="extra")
    members[row] = members[row] | extra
    clean, errors = validate_submission(form, f.registration(members), {}, "zh", today=TODAY)
    assert clean == {}
    assert all(errors.get(f"members.{row}.{key}") == UNKNOWN for key in extra), errors


def _columns(form) -> st.SearchStrategy:
    names = {column["name"] for column in form.field("members")["columns"]}
    return st.dictionaries(st.text(min_size=1, max_size=12).filter(lambda k: k not in names), JSON,
                           min_size=1, max_size=3)


@settings(max_examples=80, deadline=None)
@given(address=LINE, community=LINE, reason=LINES, names=st.lists(
    LINE.filter(lambda s: len(s) <= 50), min_size=3, max_size=3))
def test_text_with_markup_and_rare_characters_is_cleaned_to_itself(address, community, reason, names):
    members = [m | {"name": n} for m, n in zip(f.registration()["members"], names, strict=True)]
    submission = f.registration(members, address=address[:200], community=community[:50], reason=reason)
    clean, errors = validate_submission(load_form("dibao_application", "start"), submission, {}, "zh", today=TODAY)
    assert errors == {}
    assert (clean["address"], clean["community"], clean["reason"]) == (address[:200], community[:50], reason)
    assert [m["name"] for m in clean["members"]] == names


# ---- through the engine: what is refused never reaches the case; what is kept is stored as typed

_seq = count(100)


def _unique_registration(**overrides) -> dict:
    """A valid registration whose people are in no other case (the engine refuses a person twice)."""
    n = next(_seq)
    members = [f.member("张秀兰", date(1970, 1, 1 + n % 28), "self", "600", seq=n % 500 * 2),
               f.member("李建国", date(1971, 2, 1 + n % 28), "spouse", "300", seq=n % 500 * 2 + 1)]
    return f.registration(members, **overrides)


def test_extra_fields_never_reach_the_workflow_data(factory, services, at_monday):
    case_no = start(factory, services)
    task = open_task(factory, case_no)
    with unit_of_work(factory) as sess:
        before = queries.case_data(sess, case_row(factory, case_no))
        events = len(sess.scalars(select(CaseEvent.id)).all())

    @settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
    @given(extra=_extra_keys(load_form("dibao_application", "accept")))
    def complete_with(extra):
        try:
            with unit_of_work(factory) as sess:
                engine.complete_task(sess, drive_user(sess, "clerk-001"), task.id, f.accept() | extra, services)
        except Invalid as err:
            assert all(err.details.get(key) == UNKNOWN for key in extra), err.details
        else:
            raise AssertionError(f"accepted a submission with {sorted(extra)}")
        with unit_of_work(factory) as sess:
            assert queries.case_data(sess, case_row(factory, case_no)) == before
            assert not set(extra) & set(queries.case_data(sess, case_row(factory, case_no)))
            assert len(sess.scalars(select(CaseEvent.id)).all()) == events

    complete_with()
    assert open_task(factory, case_no).id == task.id  # still waiting for a valid acceptance


def test_registration_with_extra_fields_starts_no_case(factory, services, at_monday):
    @settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
    @given(extra=_extra_keys(load_form("dibao_application", "start")))
    def register_with(extra):
        try:
            start(factory, services, _unique_registration() | extra)
        except Invalid as err:
            assert all(err.details.get(key) == UNKNOWN for key in extra), err.details
        else:
            raise AssertionError(f"registered a case with {sorted(extra)}")

    register_with()
    with unit_of_work(factory) as sess:
        assert sess.scalars(select(CaseEvent.id)).all() == []


def test_markup_and_rare_characters_are_stored_exactly_as_typed(factory, services, at_monday):
    @settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
    @given(address=LINE, reason=LINES,
           name=LINE.filter(lambda s: len(s) <= 50))
    def register(address, reason, name):
        sub = _unique_registration(address=address[:200], reason=reason)
        sub["members"][0]["name"] = name
        case_no = start(factory, services, sub)
        case = case_row(factory, case_no)
        with unit_of_work(factory) as sess:  # read back from the database, not from the session's cache
            data = queries.case_data(sess, case)
        assert (data["address"], data["reason"], data["members"][0]["name"]) == (address[:200], reason, name)
        assert case.applicant_name == name

    register()
