"""Validation of submissions: coercion per field type, messages in zh and en, required fields,
forged data, table rules and the forms' own rules."""

from datetime import date

import pytest

from tests import factories as f
from workflows import clock
from workflows.forms import FORM_KEY, form_from_dict, load_form, validate_submission
from workflows.rules.id_number import parse_id_number

TODAY = date(2026, 12, 1)
T = {"zh": "标签", "en": "Label"}
OPTIONS = [{"value": v, "label": {"zh": f"选项{v}", "en": f"Option {v}"}} for v in ("a", "b", "c")]

SINK = form_from_dict({
    "id": "sink", "process": "test", "title": {"zh": "各类字段", "en": "All field types"},
    "fields": [
        {"name": "count", "type": "integer", "label": {"zh": "数量", "en": "Count"}, "min": 0, "max": 10},
        {"name": "amount", "type": "money", "label": {"zh": "金额", "en": "Amount"}},
        {"name": "day", "type": "date", "label": {"zh": "日期", "en": "Day"}, "min": "2020-01-01", "max": "today"},
        {"name": "flag", "type": "boolean", "label": {"zh": "标记", "en": "Flag"}},
        {"name": "kind", "type": "select", "label": {"zh": "类别", "en": "Kind"}, "options": OPTIONS},
        {"name": "tags", "type": "multiselect", "label": {"zh": "标签", "en": "Tags"}, "options": OPTIONS},
        {"name": "note", "type": "text", "label": {"zh": "备注", "en": "Note"}, "max_length": 5},
        {"name": "long", "type": "textarea", "label": {"zh": "说明", "en": "Remarks"}},
        {"name": "short", "type": "text", "label": {"zh": "简称", "en": "Short name"}},
        {"name": "code", "type": "text", "label": {"zh": "代码", "en": "Code"}, "pattern": "^[A-Z]{2}$",
         "pattern_message": {"zh": "代码为两个大写字母", "en": "The code is two capital letters"}},
        {"name": "phone", "type": "phone", "label": {"zh": "电话", "en": "Phone"}},
        {"name": "id_no", "type": "id_number", "label": {"zh": "身份证号码", "en": "ID number"}},
    ],
})

VALID_ID = f.id_number(date(1980, 5, 1), 2)
X_ID = next(i for i in (f.id_number(date(1990, 1, 1), s) for s in range(1, 200)) if i.endswith("X"))


def check(data: dict, form=SINK, context=None, locale="zh"):
    return validate_submission(form, data, context or {}, locale, today=TODAY)


COERCIONS = [
    ("count", "4", 4), ("count", " ４ ", 4), ("count", 7, 7), ("count", 7.0, 7), ("count", "+3", 3),
    ("amount", "1200.5", "1200.50"), ("amount", 1200, "1200.00"), ("amount", "1,200.5", "1200.50"),
    ("amount", "０.５", "0.50"), ("amount", 12.25, "12.25"), ("amount", "12.300", "12.30"), ("amount", ".5", "0.50"),
    ("day", "2026-12-01", "2026-12-01"), ("day", "2026/12/1", "2026-12-01"), ("day", "2026年1月9日", "2026-01-09"),
    ("flag", "on", True), ("flag", "true", True), ("flag", "1", True), ("flag", True, True),
    ("flag", "off", False), ("flag", "", False), ("flag", 0, False),
    ("kind", " a ", "a"), ("tags", "a", ["a"]), ("tags", ["b", "a", "b", ""], ["b", "a"]),
    ("note", "  hi\t ", "hi"), ("long", "line 1\r\nline 2\x00", "line 1\nline 2"),
    ("phone", "139 0000 1111", "13900001111"), ("phone", "0951-1234567", "0951-1234567"),
    ("phone", "+86 13900001111", "13900001111"), ("phone", "09511234567", "09511234567"),
    ("id_no", X_ID.lower(), X_ID), ("id_no", f" {VALID_ID} ", VALID_ID),
]


@pytest.mark.parametrize(("name", "raw", "expected"), COERCIONS)
def test_values_are_coerced_to_their_type(name, raw, expected):
    clean, errors = check({name: raw})
    assert errors == {}
    assert clean[name] == expected
    assert type(clean[name]) is type(expected)


def test_blank_fields_get_the_empty_value_of_their_type_and_nothing_else_is_added():
    clean, errors = check({})
    assert errors == {}
    assert clean == {
        "count": None, "amount": None, "day": None, "flag": False, "kind": "", "tags": [], "note": "", "long": "",
        "short": "", "code": "", "phone": "", "id_no": "",
    }
    assert check({"note": "   ", "count": "", "tags": []})[0]["note"] == ""


def id_messages(text: str) -> tuple[str, str]:
    """The messages the ID number rules give for ``text`` (the form must pass them on unchanged)."""
    try:
        parse_id_number(text, TODAY)
    except ValueError as err:
        return err.message_zh, err.message_en
    raise AssertionError(f"{text} was accepted")


ARABIC_DIGITS_ID = VALID_ID[:17].translate(str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩")) + VALID_ID[17]  # int() reads them
BAD_ID = VALID_ID[:-1] + ("0" if VALID_ID[-1] != "0" else "1")
MONEY_ZH = "请填写有效的金额，最多两位小数（如 1200.50）"
MONEY_EN = "Enter a valid amount with at most two decimals (e.g. 1200.50)"
DATE_ZH, DATE_EN = "请填写有效的日期（如 2026-12-01）", "Enter a valid date (e.g. 2026-12-01)"
PHONE_ZH = "请填写有效的手机号码（11位）或固定电话（如 0951-1234567）"
PHONE_EN = "Enter a mobile number (11 digits) or a landline such as 0951-1234567"

ERRORS = [
    ("count", "abc", "数量应为整数", "Count must be a whole number"),
    ("count", "1.5", "数量应为整数", "Count must be a whole number"),
    ("count", True, "数量应为整数", "Count must be a whole number"),
    ("count", "-1", "数量不能为负数", "Count cannot be negative"),
    ("count", "11", "数量不能大于10", "Count must be at most 10"),
    ("amount", "abc", MONEY_ZH, MONEY_EN),
    ("amount", "1.234", MONEY_ZH, MONEY_EN),
    ("amount", "NaN", MONEY_ZH, MONEY_EN),
    ("amount", "Infinity", MONEY_ZH, MONEY_EN),
    ("amount", float("inf"), MONEY_ZH, MONEY_EN),
    ("amount", float("nan"), MONEY_ZH, MONEY_EN),
    ("amount", "1e3", MONEY_ZH, MONEY_EN),
    ("amount", "9" * 40, MONEY_ZH, MONEY_EN),
    ("amount", False, MONEY_ZH, MONEY_EN),
    ("amount", "-0.01", "金额不能为负数", "Amount cannot be negative"),
    ("amount", "1000000.01", "金额不能大于1000000.00", "Amount must be at most 1000000.00"),
    ("day", "2026-02-30", DATE_ZH, DATE_EN),
    ("day", "tomorrow", DATE_ZH, DATE_EN),
    ("day", 20261201, DATE_ZH, DATE_EN),
    ("day", "2026-W01-1", DATE_ZH, DATE_EN),
    ("day", "20261201", DATE_ZH, DATE_EN),
    ("day", "2026-12-02", "日期不能晚于今天", "Day cannot be in the future"),
    ("day", "2019-12-31", "日期不能早于2020-01-01", "Day cannot be before 2020-01-01"),
    ("flag", "maybe", "标记只能为“是”或“否”", "Flag must be yes or no"),
    ("kind", "z", "请选择有效的选项", "Please choose a valid option"),
    ("kind", ["a"], "请选择有效的选项", "Please choose a valid option"),
    ("tags", ["a", "z"], "请选择有效的选项", "Please choose a valid option"),
    ("tags", {"a": 1}, "标签格式不正确", "Tags is not in the right format"),
    ("note", "abcdef", "备注不能超过5个字", "Note must be at most 5 characters"),
    ("note", 5, "备注应为文字", "Note must be text"),
    ("short", "长" * 201, "简称不能超过200个字", "Short name must be at most 200 characters"),
    ("long", "长" * 2001, "说明不能超过2000个字", "Remarks must be at most 2000 characters"),
    ("code", "abc", "代码为两个大写字母", "The code is two capital letters"),
    ("phone", "12345", PHONE_ZH, PHONE_EN),
    ("phone", "12900001111", PHONE_ZH, PHONE_EN),
    ("id_no", BAD_ID, *id_messages(BAD_ID)),
    ("id_no", "12345", *id_messages("12345")),
    ("id_no", ARABIC_DIGITS_ID, "身份证号码应为18位：前17位为数字，最后一位为数字或X",
     "An ID number has 18 characters: 17 digits, then a digit or X"),
]


@pytest.mark.parametrize(("name", "raw", "zh", "en"), ERRORS)
def test_bad_values_get_one_clear_message_in_each_language(name, raw, zh, en):
    assert check({name: raw}) == ({}, {name: zh})
    assert check({name: raw}, locale="en") == ({}, {name: en})


def test_id_number_check_digit_message_is_the_rules_own():
    zh, _ = id_messages(BAD_ID)
    assert "校验" in zh


REQUIRED = form_from_dict({
    "id": "req", "process": "test", "title": T,
    "fields": [
        {"name": "name", "type": "text", "required": True, "label": {"zh": "申请人姓名", "en": "Applicant's name"}},
        {"name": "kind", "type": "select", "required": True, "label": {"zh": "类别", "en": "Kind"}, "options": OPTIONS},
        {"name": "tags", "type": "multiselect", "required": True, "label": {"zh": "材料", "en": "Materials"},
         "options": OPTIONS},
        {"name": "agree", "type": "boolean", "required": True, "label": {"zh": "本人承诺", "en": "I confirm"}},
    ],
})

MISSING = {
    "name": ("请填写申请人姓名", "Please fill in Applicant's name"),
    "kind": ("请选择类别", "Please choose Kind"),
    "tags": ("请选择材料（至少一项）", "Please choose at least one of Materials"),
    "agree": ("请勾选“本人承诺”", "Please tick “I confirm”"),
}


@pytest.mark.parametrize("locale", ["zh", "en"])
@pytest.mark.parametrize("blank", [{}, {"name": "  ", "kind": "", "tags": [""], "agree": "off"}])
def test_required_fields_must_be_filled(blank, locale):
    clean, errors = check(blank, REQUIRED, locale=locale)
    assert clean == {}
    assert errors == {name: pair[locale == "en"] for name, pair in MISSING.items()}
    assert check({"name": "张三", "kind": "a", "tags": ["b"], "agree": "on"}, REQUIRED)[1] == {}


@pytest.mark.parametrize(
    ("decision", "note", "errors"),
    [
        ("not_accept", "", {"accept_note": "请填写不予受理的理由"}),
        ("not_accept", "户籍不在本辖区", {}),
        ("accept", "", {}),
        ("incomplete", "", {}),
    ],
)
def test_required_if(decision, note, errors):
    data = f.accept(decision, note)
    context = {"required_materials": f.CORE_MATERIALS}
    assert check(data, load_form("dibao_application", "accept"), context)[1] == errors


@pytest.mark.parametrize(
    ("form_id", "data", "errors"),
    [
        ("start", f.registration(residence_basis="residence"), {"residence_proof_note": "请填写居住证明"}),
        ("start", f.registration(residence_basis="residence", residence_proof_note="居住证 6401-2024-001"), {}),
        ("start", f.registration(channel="committee"),
         {"agent_name": "请填写代办人（单位）", "entrustment_ref": "请填写委托书编号及日期"}),
        ("start", f.registration(channel="other", agent_name="李四", entrustment_ref="WT-2026-15，2026-11-28"), {}),
        ("start", f.registration(near_relative_declared=True), {"near_relative_details": "请填写近亲属关系说明"}),
        ("start", f.registration(near_relative_declared="on", near_relative_details="李建国之弟为社区主任"), {}),
        ("cosign", f.cosign("redo") | {"cosign_comment": ""}, {"cosign_comment": "请填写意见"}),
        ("cosign", f.cosign("redo"), {}),
        ("cosign", f.cosign() | {"cosign_present": False},
         {"cosign_present": "请勾选“本人参加了此次入户调查，调查记录属实”"}),
        ("leader", f.leader("reject"), {"leader_comment": "请填写理由"}),
        ("leader", f.leader("reinvestigate"), {"leader_comment": "请填写理由"}),
        ("leader", f.leader("reinvestigate", "收入需补充核实"), {}),
    ],
)
def test_required_if_in_the_new_forms(form_id, data, errors):
    assert check(data, load_form("dibao_application", form_id))[1] == errors


@pytest.mark.parametrize(
    ("form_id", "data", "errors"),
    [
        ("objection", f.objection(), {}),
        ("objection", f.objection() | {"content": "", "channel": "fax"},
         {"channel": "请选择有效的选项", "content": "请填写异议内容"}),
        ("objection", f.objection() | {"received_on": "2026-12-02"}, {"received_on": "收到日期不能晚于今天"}),
        ("deadline_extension", {"reason": "家庭成员在外地务工，需异地核实收入"}, {}),
        ("deadline_extension", {"reason": "  "}, {"reason": "请填写延期理由"}),
        ("deliberation", f.deliberation(), {}),
        ("deliberation", f.deliberation() | {"deliberation_participants": "2"},
         {"deliberation_participants": "参加评议人数不能小于3"}),
        ("county_check", f.county_check("reinvestigate"), {}),
        ("county_check", f.county_check() | {"county_result": ""}, {"county_result": "请选择核查结论"}),
        ("supplement", f.supplement(supplied=["hukou_book", "hukou_book"]), {}),
        ("supplement", f.supplement("later"), {"supplement_decision": "请选择有效的选项"}),
    ],
)
def test_the_new_forms_validate_their_fields(form_id, data, errors):
    with clock.frozen(f.MONDAY):
        assert check(data, load_form("dibao_application", form_id))[1] == errors


@pytest.mark.parametrize(("level", "kind", "ok"), [("0", "", True), ("2", "", False), ("2", "physical", True)])
def test_required_if_within_a_table_row(level, kind, ok):
    sub = f.registration()
    sub["members"][1].update(disability_level=level, disability_kind=kind)
    errors = check(sub, load_form("dibao_application", "start"))[1]
    assert errors == ({} if ok else {"members.1.disability_kind": "请选择残疾类别"})


@pytest.mark.parametrize(("excluded", "reason", "ok"), [(False, "", True), (True, "", False), (True, "prison", True)])
def test_an_excluded_member_needs_a_reason(excluded, reason, ok):
    members = f.registration()["members"]
    visit = f.investigate(members)
    visit["members_verified"][2].update(excluded=excluded, exclusion_reason=reason)
    errors = check(visit, load_form("dibao_application", "investigate"), {"members": members})[1]
    assert errors == ({} if ok else {"members_verified.2.exclusion_reason": "请选择不计入原因"})


@pytest.mark.parametrize(
    ("data", "path"),
    [
        ({"note": "x", "status": "APPROVED"}, "status"),
        ({"note": "x", "amount_total": "99999.00"}, "amount_total"),
        ({"members_extra": []}, "members_extra"),
    ],
)
def test_unknown_fields_are_refused(data, path):
    assert check(data) == ({}, {path: "表单中没有这一项，不能提交"})
    assert check(data, locale="en")[1] == {path: "This form has no such field"}


def test_unknown_columns_are_refused():
    sub = f.registration()
    sub["members"][0]["is_staff_relative"] = True
    errors = check(sub, load_form("dibao_application", "start"))[1]
    assert errors == {"members.0.is_staff_relative": "表单中没有这一项，不能提交"}


@pytest.mark.parametrize("data", [[], "x", None, 5])
def test_a_submission_that_is_not_an_object_is_refused(data):
    assert check(data) == ({}, {FORM_KEY: "提交的数据格式不正确"})


def test_a_valid_registration_is_cleaned_and_typed():
    sub = f.registration()
    sub["members"][0]["monthly_income"] = "600"
    sub["members"][1]["serious_illness"] = "on"
    clean, errors = check(sub, load_form("dibao_application", "start"))
    assert errors == {}
    assert set(clean) == {
        "applicant_phone", "address", "community", "hukou_address", "responsible_township", "residence_basis",
        "residence_proof_note", "channel", "agent_name", "entrustment_ref", "household_type", "standard_class",
        "reason", "near_relative_declared", "near_relative_details", "members",
    }
    assert (clean["channel"], clean["household_type"], clean["near_relative_declared"]) == ("self", "family", False)
    assert clean["members"][0]["monthly_income"] == "600.00"
    assert clean["members"][1]["serious_illness"] is True
    assert clean["members"][2] == {**sub["members"][2], "monthly_income": "0.00"}
