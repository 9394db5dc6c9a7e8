"""Tables, readonly data and form rules; and validation never raises, whatever it is sent."""

from datetime import date

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests import factories as f
from workflows.forms import form_from_dict, load_form, validate_submission

TODAY = date(2026, 12, 1)
START = load_form("dibao_application", "start")
INVESTIGATE = load_form("dibao_application", "investigate")
LEADER = load_form("dibao_application", "leader")
ACCEPT = load_form("dibao_application", "accept")


def check(form, data, context=None, locale="zh"):
    return validate_submission(form, data, context or {}, locale, today=TODAY)


def household() -> dict:
    """Task data as the investigator sees it: the registered members."""
    return {"members": f.registration()["members"], "eligible": True}


def test_readonly_columns_cannot_be_forged():
    context = household()
    visit = f.investigate(context["members"])
    visit["members_verified"][0].update(name="冒名顶替", id_no=f.id_number(date(1950, 1, 1), 9))
    clean, errors = check(INVESTIGATE, visit, context)
    assert errors == {}
    for row, member in zip(clean["members_verified"], context["members"], strict=True):
        assert (row["name"], row["id_no"]) == (member["name"], member["id_no"])
    assert clean["members_verified"][0]["monthly_income"] == "600.00"


def test_readonly_top_level_fields_come_from_the_task_data():
    form = load_form("dibao_application", "review")
    raw = {**form.raw, "id": "review", "fields": [
        {"name": "amount", "type": "money", "readonly": True, "label": {"zh": "金额", "en": "Amount"}},
        *form.fields,
    ]}
    with_amount = form_from_dict(raw)
    data = {**f.review(), "amount": "999999.00"}
    clean, errors = check(with_amount, data, {"amount": "1022.00"})
    assert errors == {} and clean["amount"] == "1022.00"
    assert check(with_amount, f.review(), {})[0]["amount"] is None


@pytest.mark.parametrize("change", ["drop", "add"])
def test_rows_from_tables_need_one_row_per_source_item(change):
    context = household()
    visit = f.investigate(context["members"])
    rows = visit["members_verified"]
    if change == "drop":
        rows.pop()
    else:
        rows.append(dict(rows[0]))
    assert check(INVESTIGATE, visit, context)[1] == {
        "members_verified": "家庭成员核实情况应为3行，与已登记的记录一一对应"
    }
    assert check(INVESTIGATE, visit, context, "en")[1] == {
        "members_verified": "Members as verified must have 3 row(s), one per registered entry"
    }


def test_errors_in_rows_from_tables_name_the_cell():
    context = household()
    visit = f.investigate(context["members"])
    visit["members_verified"][2]["monthly_income"] = "-1"
    visit["visit_date"] = "2026-12-02"
    assert check(INVESTIGATE, visit, context)[1] == {
        "visit_date": "入户调查日期不能晚于今天",
        "members_verified.2.monthly_income": "核实月收入（元）不能为负数",
    }


@pytest.mark.parametrize(
    ("relations", "message_zh", "message_en"),
    [
        (("spouse", "spouse", "child"), "与申请人关系为“本人”的必须有且只有一行（现有0行）",
         "Exactly one row must have Relation to the applicant “Self (applicant)” (now 0)"),
        (("self", "self", "child"), "与申请人关系为“本人”的必须有且只有一行（现有2行）",
         "Exactly one row must have Relation to the applicant “Self (applicant)” (now 2)"),
    ],
)
def test_exactly_one_applicant(relations, message_zh, message_en):
    sub = f.registration()
    for member, relation in zip(sub["members"], relations, strict=True):
        member["relation"] = relation
    assert check(START, sub)[1] == {"members": message_zh}
    assert check(START, sub, locale="en")[1] == {"members": message_en}


def test_an_id_number_may_appear_only_once_in_a_household():
    sub = f.registration()
    sub["members"][2]["id_no"] = sub["members"][0]["id_no"].lower()
    assert check(START, sub)[1] == {"members.2.id_no": "身份证号码与第1行重复"}
    assert check(START, sub, locale="en")[1] == {"members.2.id_no": "ID number repeats row 1"}


@pytest.mark.parametrize(
    ("members", "message"),
    [
        ([], "共同生活的家庭成员至少需要填写1行"),
        ([f.member(f"成员{i}", date(1980, 1, 1), "self" if i == 0 else "child", seq=i + 1) for i in range(13)],
         "共同生活的家庭成员最多只能填写12行"),
        ("张三", "共同生活的家庭成员格式不正确"),
    ],
)
def test_table_row_counts(members, message):
    assert check(START, f.registration(members=None) | {"members": members})[1] == {"members": message}


def test_a_row_that_is_not_an_object_is_named():
    sub = f.registration()
    sub["members"].append("王五")
    assert check(START, sub)[1] == {"members.3": "第4行格式不正确"}


@pytest.mark.parametrize(
    ("decision", "eligible", "errors"),
    [
        ("approve", True, {}),
        ("approve", False, {"leader_decision": "经测算该家庭不符合低保条件，不能批准；如有异议请退回重新调查"}),
        ("approve", None, {"leader_decision": "经测算该家庭不符合低保条件，不能批准；如有异议请退回重新调查"}),
        ("approve", "true", {"leader_decision": "经测算该家庭不符合低保条件，不能批准；如有异议请退回重新调查"}),
        ("approve", 1, {"leader_decision": "经测算该家庭不符合低保条件，不能批准；如有异议请退回重新调查"}),
        ("reject", False, {"leader_comment": "请填写不予批准的理由"}),
    ],
)
def test_leader_can_approve_only_an_eligible_household(decision, eligible, errors):
    context = {} if eligible is None else {"eligible": eligible}
    assert check(LEADER, f.leader(decision), context)[1] == errors


def test_leader_rule_in_english_and_after_a_comment():
    assert check(LEADER, f.leader("approve"), {"eligible": False}, "en")[1] == {
        "leader_decision": "By the calculation this household is not eligible, so it cannot be approved; "
                           "if you disagree, send the case back for a new investigation"
    }
    assert check(LEADER, f.leader("reject", "家庭拥有机动车辆"), {"eligible": False}) == (
        {"leader_decision": "reject", "meeting_ref": "2026年第12次集体研究", "leader_comment": "家庭拥有机动车辆"}, {}
    )


def test_rules_wait_for_their_fields_to_be_valid():
    assert check(LEADER, {"leader_decision": "maybe", "meeting_ref": "1"}, {"eligible": False})[1] == {
        "leader_decision": "请选择有效的选项"
    }


@pytest.mark.parametrize(
    ("materials", "decision", "ok"),
    [
        (["application_form", "hukou_book", "id_cards", "income_declaration", "authorization"], "accept", True),
        (["application_form", "hukou_book", "id_cards", "income_declaration"], "accept", False),
        ([], "accept", False),
        ([], "not_accept", True),
    ],
)
def test_acceptance_needs_complete_materials(materials, decision, ok):
    data = f.accept(decision, "材料不全，已一次性告知") | {"materials": materials}
    errors = check(ACCEPT, data)[1]
    assert errors == ({} if ok else {"materials": "材料不齐全，不能受理：请先一次性告知申请人补齐材料"})


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=30),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4),
    max_leaves=12,
)
FIELD_NAMES = st.sampled_from(
    ["applicant_phone", "address", "members", "materials", "accept_decision", "visit_date", "members_verified",
     "financial_assets", "leader_decision", "has_vehicle", "review_opinion", "x"]
)


def _ok(result) -> bool:
    clean, errors = result
    return isinstance(clean, dict) and isinstance(errors, dict) and bool(clean) != bool(errors)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(form_id=st.sampled_from(["start", "accept", "investigate", "review", "leader"]),
       data=st.dictionaries(st.text(max_size=20) | FIELD_NAMES, st.text(max_size=40), max_size=8))
def test_validation_never_raises_on_string_dicts(form_id, data):
    result = check(load_form("dibao_application", form_id), data, household())
    assert _ok(result) and all(isinstance(m, str) and m for m in result[1].values())


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(form_id=st.sampled_from(["start", "investigate"]),
       data=st.dictionaries(FIELD_NAMES, JSON, max_size=6),
       rows=st.lists(st.dictionaries(st.sampled_from(["name", "id_no", "monthly_income", "relation", "y"]), JSON),
                     max_size=4),
       context=st.dictionaries(st.sampled_from(["members", "eligible"]), JSON))
def test_validation_never_raises_on_any_json(form_id, data, rows, context):
    data = data | {"members": rows, "members_verified": rows} if rows else data
    assert _ok(check(load_form("dibao_application", form_id), data, context))
