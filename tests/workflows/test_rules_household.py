"""Who counts in the household, its income and property, rigid expenses, 重度残疾/重病, materials (DOMAIN.md §3).

Every expected figure is worked out by hand in the test, from the visit's rows and the 核对 summary.
"""

import copy
from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests import factories as f
from workflows.rules import (
    applicant_row,
    assess_members,
    household_figures,
    merge_materials,
    missing_from,
    property_figures,
    rigid_expense_total,
    severe_or_ill,
)

MEMBERS = f.registration()["members"]  # 张秀兰 (self, declares 600), 李建国 (spouse, 300), 李小明 (child, 0)
MOTHER, FATHER, CHILD = (m["id_no"] for m in MEMBERS)


def visit(*overrides: dict) -> list[dict]:
    """The visit's rows: the declared income as wages, each row changed by its override."""
    return [f.verified_row(m, **extra) for m, extra in zip(MEMBERS, overrides or [{}] * len(MEMBERS), strict=True)]


def check(income_by_person: dict | None = None, **summary) -> dict:
    """A 核对 result as the adapters give it (only the summary matters here)."""
    return {"summary": {"income_by_person": income_by_person or {}, **summary}}


def figures(rows: list[dict]) -> list[tuple]:
    return [(r["name"], r["counted"], r["verified_income"], r["checked_income"], r["monthly_income"]) for r in rows]


# --- income: the four counted types, the larger of visit and check

def test_the_visit_confirming_the_declaration_gives_the_domain_example():
    rows = assess_members(MEMBERS, visit())
    assert figures(rows) == [
        ("张秀兰", True, "600.00", "0.00", "600.00"),
        ("李建国", True, "300.00", "0.00", "300.00"),
        ("李小明", True, "0.00", "0.00", "0.00"),
    ]
    assert household_figures(rows)["total_income"] == "900.00"


def test_income_is_the_four_counted_types_and_never_the_excluded_income():
    rows = assess_members(MEMBERS, visit(
        {"wage_income": "1200", "business_income": "300", "property_income": "50.5", "transfer_income": "",
         "excluded_income": "800"},  # 1200 + 300 + 50.50 + 0 = 1550.50; the 800 (e.g. 优待抚恤金) is not income
        {"wage_income": "", "transfer_income": "260.25", "excluded_income": "143"},  # 260.25
        {"wage_income": "0", "excluded_income": "1000000"},  # only not-counted money: 0
    ))
    assert [r["verified_income"] for r in rows] == ["1550.50", "260.25", "0.00"]
    assert [r["monthly_income"] for r in rows] == ["1550.50", "260.25", "0.00"]
    assert household_figures(rows)["total_income"] == "1810.75"


def test_the_larger_of_visit_and_check_counts_person_by_person():
    rows = assess_members(MEMBERS, visit(), check({MOTHER: "450.00", FATHER: "1800.00", CHILD: "0.00"}))
    assert figures(rows) == [
        ("张秀兰", True, "600.00", "450.00", "600.00"),  # the visit found more
        ("李建国", True, "300.00", "1800.00", "1800.00"),  # the check found more
        ("李小明", True, "0.00", "0.00", "0.00"),
    ]
    assert household_figures(rows)["total_income"] == "2400.00"  # 600 + 1800 + 0


def test_a_person_the_check_does_not_list_has_no_checked_income():
    rows = assess_members(MEMBERS, visit(), check({FATHER: "333.33"}))
    assert [r["checked_income"] for r in rows] == ["0.00", "333.33", "0.00"]
    assert [r["monthly_income"] for r in rows] == ["600.00", "333.33", "0.00"]


@pytest.mark.parametrize("result", [None, {}, {"summary": None}, {"summary": {}}, {"status": "failed"}])
def test_no_check_result_means_the_visit_alone(result):
    assert [r["monthly_income"] for r in assess_members(MEMBERS, visit(), result)] == ["600.00", "300.00", "0.00"]


def test_without_a_visit_the_declared_income_still_meets_the_check():
    rows = assess_members(MEMBERS, None, check({CHILD: "25"}))
    assert figures(rows) == [
        ("张秀兰", True, "600.00", "0.00", "600.00"),
        ("李建国", True, "300.00", "0.00", "300.00"),
        ("李小明", True, "0.00", "25.00", "25.00"),
    ]


def test_a_bad_amount_is_an_error_naming_it():
    with pytest.raises(ValueError, match="business_income"):
        assess_members(MEMBERS, visit({"business_income": "abc"}, {}, {}))
    with pytest.raises(ValueError, match="checked income"):
        assess_members(MEMBERS, visit(), check({MOTHER: "NaN"}))


# --- who counts

def test_an_excluded_member_is_not_counted_and_its_income_is_left_out():
    prisoner = {"excluded": True, "exclusion_reason": "prison", "wage_income": "5000"}
    rows = assess_members(MEMBERS, visit({}, prisoner, {}))
    assert [(r["counted"], r["excluded"]) for r in rows] == [(True, False), (False, True), (True, False)]
    assert rows[1]["exclusion_reason"] == "prison"
    assert rows[1]["monthly_income"] == "5000.00"  # recorded, but not counted:
    household = household_figures(rows)
    assert (household["persons"], household["total_income"], household["per_capita_income"]) == (2, "600.00", "300.00")


def test_a_single_household_counts_only_the_applicant():
    rows = assess_members(MEMBERS, visit(), check({FATHER: "2000"}), household_type="single")
    assert [(r["relation"], r["counted"], r["exclusion_reason"]) for r in rows] == [
        ("self", True, ""), ("spouse", False, "single_household"), ("child", False, "single_household")]
    household = household_figures(rows)
    assert (household["persons"], household["total_income"]) == (1, "600.00")  # the spouse's 2000 is not counted


def test_a_single_household_keeps_a_members_own_exclusion_reason():
    rows = assess_members(MEMBERS, visit({}, {}, {"excluded": True, "exclusion_reason": "missing"}), None, "single")
    assert [r["exclusion_reason"] for r in rows] == ["", "single_household", "missing"]


def test_the_applicant_is_found_wherever_registered():
    members = [MEMBERS[2], MEMBERS[0], MEMBERS[1]]
    assert applicant_row(members)["name"] == "张秀兰"
    rows = assess_members(members, [f.verified_row(m) for m in members], household_type="single")
    assert [r["name"] for r in rows if r["counted"]] == ["张秀兰"]


# --- the visit's corrections, and what it may not change

def test_the_visit_corrects_health_but_not_who_the_member_is():
    verified = visit({}, {"name": "冒名顶替", "disability_level": "1", "disability_kind": "physical"}, {})
    rows = assess_members(MEMBERS, verified)
    assert (rows[1]["name"], rows[1]["id_no"], rows[1]["relation"]) == ("李建国", FATHER, "spouse")
    assert (rows[1]["disability_level"], rows[1]["disability_kind"]) == ("1", "physical")
    assert [severe_or_ill(r) for r in rows] == [False, True, False]


def test_rows_of_another_household_are_refused():
    verified = visit({}, {"id_no": CHILD}, {})
    with pytest.raises(ValueError, match="do not match"):
        assess_members(MEMBERS, verified)


def test_assessing_changes_neither_input():
    members, verified, result = copy.deepcopy(MEMBERS), visit(), check({MOTHER: "700"})
    before = copy.deepcopy((members, verified, result))
    assess_members(members, verified, result, "single")
    assert (members, verified, result) == before


# --- property: what either the visit or the check found

def test_property_from_the_visit_alone():
    assert property_figures(None, "3000", 1, False, True, False) == {
        "vehicles": 1, "businesses": 0, "homes": 1, "commercial_properties": 0, "financial_assets": "3000.00"}
    assert property_figures({"summary": {}}, None, None, False, False, False) == {
        "vehicles": 0, "businesses": 0, "homes": 0, "commercial_properties": 0, "financial_assets": "0.00"}


def test_property_takes_the_larger_count_and_either_finding():
    summary = {"vehicles": 2, "businesses": 0, "homes": 1, "commercial_properties": 1, "financial_assets": "52000.00"}
    assert property_figures({"summary": summary}, "3000.5", 2, False, False, True) == {
        "vehicles": 2,  # the check found two; the visit saw none
        "businesses": 1,  # the visit found one; the check none
        "homes": 2,  # max(1, 2)
        "commercial_properties": 1,  # the check's, though the visit did not tick it
        "financial_assets": "52000.00",  # max(3000.50, 52000.00)
    }
    visit_more = property_figures({"summary": {"homes": 1, "financial_assets": "999.99"}}, "1000", 2, False, False,
                                  False)
    check_more = property_figures({"summary": {"homes": 3, "vehicles": 1}}, "0", 1, False, False, False)
    assert (visit_more["homes"], visit_more["financial_assets"]) == (2, "1000.00")
    assert (check_more["homes"], check_more["vehicles"]) == (3, 1)


# --- rigid expenses

@pytest.mark.parametrize(("medical", "education", "total"), [
    ("120.5", "", "120.50"), (None, None, "0.00"), ("", "80", "80.00"), (100, "50.25", "150.25"), ("0.004", 0, "0.00"),
])
def test_rigid_expenses_add_medical_and_education(medical, education, total):
    assert rigid_expense_total(medical, education) == total


def test_rigid_expenses_cannot_be_negative_or_words():
    with pytest.raises(ValueError, match="negative"):
        rigid_expense_total("-10", "")
    with pytest.raises(ValueError, match="expense"):
        rigid_expense_total("abc", "")


def test_expenses_are_deducted_after_assessment():
    rows = assess_members(MEMBERS, visit(), check({FATHER: "500"}))  # 600 + 500 + 0 = 1100
    household = household_figures(rows, "0", rigid_expense_total("200", "150.5"))
    assert (household["gross_income"], household["rigid_expenses"], household["total_income"]) == (
        "1100.00", "350.50", "749.50")
    assert household["per_capita_income"] == "249.83"  # 749.50 / 3 = 249.8333…
    assert household_figures(rows, "0", rigid_expense_total("1000", "1000"))["total_income"] == "0.00"


# --- 重度残疾人 / 重病患者

@pytest.mark.parametrize(("level", "kind", "ill", "expected"), [
    ("1", "physical", False, True),  # levels 1–2: any kind
    ("1", "", False, True),
    ("2", "visual", False, True),
    ("2", "hearing", False, True),
    ("3", "intellectual", False, True),  # level 3: only 智力 or 精神
    ("3", "mental", False, True),
    ("3", "physical", False, False),
    ("3", "multiple", False, False),
    ("3", "", False, False),
    ("4", "mental", False, False),
    ("0", "", False, False),
    ("0", "", True, True),  # 重病 whatever the disability
    ("4", "speech", True, True),
    (1, "physical", False, True),  # a level given as a number
])
def test_severe_or_ill(level, kind, ill, expected):
    member = f.member("甲", date(1960, 1, 1), disability_level=level, disability_kind=kind, serious_illness=ill)
    assert severe_or_ill(member) is expected


def test_a_member_without_health_data_is_neither():
    assert severe_or_ill({"name": "甲"}) is False


# --- materials

def test_missing_materials_keep_the_order_required():
    required = ["application_form", "hukou_book", "id_cards", "income_declaration", "authorization", "entrustment"]
    received = ["entrustment", "id_cards", "application_form", "health_proof"]
    assert missing_from(required, received) == ["hukou_book", "income_declaration", "authorization"]
    assert missing_from(required, None) == required
    assert missing_from(required, required) == []
    assert missing_from([], ["hukou_book"]) == []


def test_merged_materials_are_each_listed_once_in_first_seen_order():
    received, supplied = ["hukou_book", "application_form"], ["authorization", "hukou_book", "authorization"]
    assert merge_materials(received, supplied) == ["hukou_book", "application_form", "authorization"]
    assert (received, supplied) == (["hukou_book", "application_form"], ["authorization", "hukou_book",
                                                                          "authorization"])
    assert merge_materials(None, ["id_cards", "id_cards"]) == ["id_cards"]
    assert merge_materials(["b", "a", "b"], None) == ["b", "a"]
    assert merge_materials([], []) == []


def test_after_merging_nothing_supplied_is_missing_any_more():
    required = f.CORE_MATERIALS
    received = ["application_form", "id_cards"]
    missing = missing_from(required, received)
    assert missing_from(required, merge_materials(received, missing)) == []


# --- properties

CENTS = st.decimals(min_value=0, max_value=50_000, places=2).map(str)
BLANK_OR_CENTS = st.just("") | CENTS
ROW = st.fixed_dictionaries({
    "wage_income": BLANK_OR_CENTS, "business_income": BLANK_OR_CENTS, "property_income": BLANK_OR_CENTS,
    "transfer_income": BLANK_OR_CENTS, "excluded_income": BLANK_OR_CENTS, "excluded": st.booleans(),
})


@given(rows=st.lists(ROW, min_size=3, max_size=3), checked=st.lists(st.none() | CENTS, min_size=3, max_size=3),
       single=st.booleans())
def test_the_counted_income_is_the_larger_of_visit_and_check(rows, checked, single):
    result = check({m["id_no"]: c for m, c in zip(MEMBERS, checked, strict=True) if c is not None})
    assessed = assess_members(MEMBERS, visit(*rows), result, "single" if single else "family")
    for row, given_row, found in zip(assessed, rows, checked, strict=True):
        by_visit = sum(Decimal(given_row[k] or 0) for k in
                       ("wage_income", "business_income", "property_income", "transfer_income"))
        by_check = Decimal(found or 0)
        assert Decimal(row["monthly_income"]) == max(by_visit, by_check)
        assert row["counted"] is not row["excluded"]
        assert row["counted"] == (not given_row["excluded"] and (not single or row["relation"] == "self"))
    no_excluded_income = assess_members(MEMBERS, visit(*[r | {"excluded_income": ""} for r in rows]), result,
                                        "single" if single else "family")
    assert [r["monthly_income"] for r in no_excluded_income] == [r["monthly_income"] for r in assessed]


@given(rows=st.lists(ROW, min_size=3, max_size=3), medical=BLANK_OR_CENTS, education=BLANK_OR_CENTS)
def test_total_income_is_never_negative_and_per_capita_adds_up(rows, medical, education):
    assessed = assess_members(MEMBERS, visit(*[r | {"excluded": False} for r in rows]))
    household = household_figures(assessed, "0", rigid_expense_total(medical, education))
    total, persons = Decimal(household["total_income"]), household["persons"]
    assert total >= 0
    assert total == max(Decimal(household["gross_income"]) - Decimal(household["rigid_expenses"]), Decimal(0))
    assert abs(Decimal(household["per_capita_income"]) * persons - total) <= Decimal("0.01")  # 3 persons: ≤ 1 cent


def test_each_rigid_expense_must_not_be_negative():
    with pytest.raises(ValueError):
        rigid_expense_total("-10", "20")


def test_a_household_without_an_applicant_is_refused_clearly():
    with pytest.raises(ValueError, match="本人"):
        applicant_row([{"name": "甲", "relation": "spouse"}])
