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
REVIEW = load_form("dibao_application", "review")
SUPPLEMENT = load_form("dibao_application", "supplement")
FORM_IDS = ["start", "accept", "supplement", "investigate", "cosign", "review", "deliberation", "county_check",
            "leader", "objection", "deadline_extension"]
NOT_ELIGIBLE = "经测算该家庭不符合低保条件，不能批准；如有异议请退回重新调查"
NOT_PUBLISHED = "该案件未经公示或公示未通过，不能批准"
MATERIALS_MISSING = "应交材料不齐全，不能受理：请选择“一次性告知补正”"


def check(form, data, context=None, locale="zh"):
    return validate_submission(form, data, context or {}, locale, today=TODAY)


def household() -> dict:
    """Task data as the tasks see it: the registered members, the materials due, the calculation, the notice."""
    return {"members": f.registration()["members"], "required_materials": list(f.CORE_MATERIALS), "eligible": True,
            "notice_result": "passed"}


def test_readonly_columns_cannot_be_forged():
    context = household()
    visit = f.investigate(context["members"])
    visit["members_verified"][0].update(name="冒名顶替", id_no=f.id_number(date(1950, 1, 1), 9))
    clean, errors = check(INVESTIGATE, visit, context)
    assert errors == {}
    for row, member in zip(clean["members_verified"], context["members"], strict=True):
        assert (row["name"], row["id_no"]) == (member["name"], member["id_no"])
    assert clean["members_verified"][0]["wage_income"] == "600.00"
    assert clean["members_verified"][0]["business_income"] is None


def test_readonly_top_level_fields_come_from_the_task_data():
    raw = {**REVIEW.raw, "id": "review", "fields": [
        {"name": "amount", "type": "money", "readonly": True, "label": {"zh": "金额", "en": "Amount"}},
        *REVIEW.fields,
    ]}
    with_amount = form_from_dict(raw)
    data = {**f.review(), "amount": "999999.00"}
    clean, errors = check(with_amount, data, {"amount": "1022.00", "eligible": True})
    assert errors == {} and clean["amount"] == "1022.00"
    assert check(with_amount, f.review(), {"eligible": True})[0]["amount"] is None


def test_the_supplement_shows_the_notice_and_cannot_change_it():
    context = {"missing_materials": ["authorization", "entrustment"], "supplement_deadline": "2026-12-15"}
    forged = f.supplement(supplied=["authorization"]) | {"missing_materials": [], "supplement_deadline": "2027-06-30"}
    clean, errors = check(SUPPLEMENT, forged, context)
    assert errors == {}
    assert clean == {
        "missing_materials": ["authorization", "entrustment"], "supplement_deadline": "2026-12-15",
        "materials_supplied": ["authorization"], "supplement_decision": "supplied", "supplement_note": "",
    }
    clean = check(SUPPLEMENT, f.supplement("withdrawn"), {})[0]
    assert (clean["missing_materials"], clean["supplement_deadline"]) == ([], None)


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
    visit["members_verified"][2]["wage_income"] = "-1"
    visit["members_verified"][1].update(excluded=True, exclusion_reason="")
    visit["visit_date"] = "2026-12-02"
    assert check(INVESTIGATE, visit, context)[1] == {
        "visit_date": "入户调查日期不能晚于今天",
        "members_verified.1.exclusion_reason": "请选择不计入原因",
        "members_verified.2.wage_income": "工资性收入（月，元）不能为负数",
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
    ("decision", "context", "errors"),
    [
        ("approve", {"eligible": True, "notice_result": "passed"}, {}),
        ("approve", {"eligible": False, "notice_result": "passed"}, {"leader_decision": NOT_ELIGIBLE}),
        ("approve", {"notice_result": "passed"}, {"leader_decision": NOT_ELIGIBLE}),
        ("approve", {"eligible": "true", "notice_result": "passed"}, {"leader_decision": NOT_ELIGIBLE}),
        ("approve", {"eligible": 1, "notice_result": "passed"}, {"leader_decision": NOT_ELIGIBLE}),
        ("approve", {"eligible": True}, {"leader_decision": NOT_PUBLISHED}),
        ("approve", {"eligible": True, "notice_result": "objection"}, {"leader_decision": NOT_PUBLISHED}),
        ("approve", {"eligible": True, "notice_result": True}, {"leader_decision": NOT_PUBLISHED}),
        ("approve", {}, {"leader_decision": NOT_ELIGIBLE}),  # the first broken rule speaks
        ("reject", {"eligible": False}, {"leader_comment": "请填写理由"}),
        ("reinvestigate", {"eligible": True, "notice_result": "objection"}, {"leader_comment": "请填写理由"}),
    ],
)
def test_leader_can_approve_only_an_eligible_household_whose_notice_passed(decision, context, errors):
    assert check(LEADER, f.leader(decision), context)[1] == errors


def test_leader_rules_in_english_and_after_a_comment():
    assert check(LEADER, f.leader("approve"), {"eligible": False, "notice_result": "passed"}, "en")[1] == {
        "leader_decision": "By the calculation this household is not eligible, so it cannot be approved; "
                           "if you disagree, send the case back for a new investigation"
    }
    assert check(LEADER, f.leader("approve"), {"eligible": True, "notice_result": "objection"}, "en")[1] == {
        "leader_decision": "This case has not passed its public notice, so it cannot be approved"
    }
    assert check(LEADER, f.leader("reject"), {}, "en")[1] == {"leader_comment": "Please fill in Reasons"}
    assert check(LEADER, f.leader("reject", "家庭拥有机动车辆"), {"eligible": False}) == (
        {"leader_decision": "reject", "meeting_ref": "2026年第12次集体研究", "leader_comment": "家庭拥有机动车辆"}, {}
    )
    assert check(LEADER, f.leader("reinvestigate", "收入需核实"), {})[1] == {}


def test_rules_wait_for_their_fields_to_be_valid():
    assert check(LEADER, {"leader_decision": "maybe", "meeting_ref": "1"}, {"eligible": False})[1] == {
        "leader_decision": "请选择有效的选项"
    }


@pytest.mark.parametrize(
    ("opinion", "eligible", "ok"),
    [
        ("propose_approve", True, True),
        ("propose_approve", False, False),
        ("propose_approve", None, False),
        ("propose_approve", "true", False),
        ("propose_refuse", False, True),
        ("deliberate", False, True),
        ("reinvestigate", None, True),
    ],
)
def test_review_may_propose_approval_only_for_an_eligible_household(opinion, eligible, ok):
    context = {} if eligible is None else {"eligible": eligible}
    errors = check(REVIEW, f.review(opinion), context)[1]
    refused = {"review_opinion": "经测算该家庭不符合低保条件，不能拟批准；如有疑问请退回重新调查"}
    assert errors == ({} if ok else refused)


CORE = f.CORE_MATERIALS
PROXY = [*CORE, "entrustment", "residence_proof"]  # 代办, applying where the household lives


@pytest.mark.parametrize(
    ("required", "materials", "decision", "ok"),
    [
        (CORE, CORE, "accept", True),
        (CORE, list(reversed(CORE)), "accept", True),
        (CORE, [*CORE, "health_proof"], "accept", True),
        (CORE, CORE[:-1], "accept", False),
        (CORE, [], "accept", False),
        (PROXY, CORE, "accept", False),
        (PROXY, [*CORE, "entrustment"], "accept", False),
        (PROXY, PROXY, "accept", True),
        (["health_proof"], CORE, "accept", False),
        (CORE, [], "incomplete", True),
        (PROXY, CORE, "incomplete", True),
        (CORE, [], "not_accept", True),
    ],
)
def test_acceptance_needs_every_required_material(required, materials, decision, ok):
    data = f.accept(decision, "户籍不在本辖区", materials=list(materials))
    errors = check(ACCEPT, data, {"required_materials": list(required)})[1]
    assert errors == ({} if ok else {"materials": MATERIALS_MISSING})


def test_the_required_materials_are_shown_and_cannot_be_forged():
    data = f.accept(materials=list(CORE)) | {"required_materials": list(CORE)}
    clean, errors = check(ACCEPT, data, {"required_materials": PROXY})
    assert errors == {"materials": MATERIALS_MISSING}
    clean, errors = check(ACCEPT, f.accept(materials=list(PROXY)), {"required_materials": PROXY})
    assert errors == {} and clean["required_materials"] == PROXY
    assert check(ACCEPT, f.accept(materials=[]), {"required_materials": CORE}, "en")[1] == {
        "materials": "Required materials are missing, so the application cannot be accepted: "
                     "choose 'notify everything missing'"
    }


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=30),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4),
    max_leaves=12,
)
FIELD_NAMES = st.sampled_from(
    ["applicant_phone", "address", "channel", "members", "materials", "required_materials", "accept_decision",
     "materials_supplied", "supplement_decision", "visit_date", "members_verified", "financial_assets", "homes",
     "medical_expense", "cosign_present", "cosign_decision", "review_opinion", "deliberation_participants",
     "county_result", "leader_decision", "leader_comment", "received_on", "content", "reason", "has_vehicle", "x"]
)


def _ok(result) -> bool:
    clean, errors = result
    return isinstance(clean, dict) and isinstance(errors, dict) and bool(clean) != bool(errors)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(form_id=st.sampled_from(FORM_IDS),
       data=st.dictionaries(st.text(max_size=20) | FIELD_NAMES, st.text(max_size=40), max_size=8))
def test_validation_never_raises_on_string_dicts(form_id, data):
    result = check(load_form("dibao_application", form_id), data, household())
    assert _ok(result) and all(isinstance(m, str) and m for m in result[1].values())


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(form_id=st.sampled_from(FORM_IDS),
       data=st.dictionaries(FIELD_NAMES, JSON, max_size=6),
       rows=st.lists(st.dictionaries(st.sampled_from(["name", "id_no", "monthly_income", "wage_income", "excluded",
                                                      "relation", "y"]), JSON), max_size=4),
       context=st.dictionaries(st.sampled_from(["members", "eligible", "notice_result", "missing_materials"]), JSON))
def test_validation_never_raises_on_any_json(form_id, data, rows, context):
    data = data | {"members": rows, "members_verified": rows} if rows else data
    assert _ok(check(load_form("dibao_application", form_id), data, context))


@pytest.mark.parametrize("required", [5, 1.5, True, "application_form", None])
def test_a_corrupt_required_materials_list_does_not_crash_validation(required):
    clean, errors = check(ACCEPT, f.accept(), {"required_materials": required})
    assert clean == {} and errors
