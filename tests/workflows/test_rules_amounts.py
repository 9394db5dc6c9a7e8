"""Household figures and the benefit amount: exact money, JSON-friendly in and out (DOMAIN.md §3)."""

import json
from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from workflows.rules import benefit_amount, household_figures, money_text, month_after, to_decimal

RATES = {"elderly": "0.20", "minor": "0.10", "severe_disability": 0.3, "serious_illness": "0.25"}


def member(name: str, income, **extra) -> dict:
    return {"name": name, "id_no": f"ID-{name}", "monthly_income": income, **extra}


THREE = [member("张秀兰", "600"), member("李建国", 300), member("李小明", "0")]


def amount(members, categories=None, eligible=True, standard="620", rates=None, expenses=0, **kw) -> dict:
    household = household_figures(members, rigid_expenses=expenses)
    categories = categories if categories is not None else [["none"]] * len(members)
    return benefit_amount(standard, household, members, categories, rates or RATES, eligible, "1.5", **kw)


def test_household_figures_of_the_domain_example():
    assert household_figures(THREE, financial_assets="3000") == {
        "persons": 3, "gross_income": "900.00", "rigid_expenses": "0.00", "total_income": "900.00",
        "per_capita_income": "300.00", "financial_assets": "3000.00", "financial_assets_per_capita": "1000.00",
    }


def test_rigid_expenses_are_deducted_from_the_income():
    figures = household_figures(THREE, "3000", rigid_expenses="150")
    assert (figures["gross_income"], figures["rigid_expenses"], figures["total_income"]) == (
        "900.00", "150.00", "750.00")
    assert figures["per_capita_income"] == "250.00"
    assert figures["financial_assets_per_capita"] == "1000.00"  # assets are not touched by expenses


def test_expenses_above_the_income_leave_no_income_never_a_negative_one():
    figures = household_figures(THREE, rigid_expenses="1200.5")
    assert (figures["gross_income"], figures["rigid_expenses"], figures["total_income"]) == (
        "900.00", "1200.50", "0.00")
    assert figures["per_capita_income"] == "0.00"
    assert household_figures(THREE, rigid_expenses="900")["total_income"] == "0.00"


@pytest.mark.parametrize(("expenses", "stated"), [(None, "0.00"), ("", "0.00"), (0, "0.00"), ("0.005", "0.01"),
                                                  (99.9, "99.90")])
def test_rigid_expenses_are_money(expenses, stated):
    figures = household_figures(THREE, rigid_expenses=expenses)
    assert figures["rigid_expenses"] == stated
    assert Decimal(figures["total_income"]) == Decimal("900.00") - Decimal(stated)


@pytest.mark.parametrize("expenses", ["abc", "NaN", True, [1]])
def test_rigid_expenses_must_be_a_number(expenses):
    with pytest.raises(ValueError, match="rigid_expenses"):
        household_figures(THREE, rigid_expenses=expenses)


def test_the_benefit_tops_up_the_income_after_expenses():
    result = amount(THREE, expenses="150")
    assert (result["per_capita_income"], result["base"], result["total"]) == ("250.00", "1110.00", "1110.00")
    assert amount([member("甲", "700")], expenses="100")["base"] == "20.00"  # 620 − (700 − 100)


def test_members_not_counted_are_left_out_of_the_household():
    figures = household_figures([*THREE, member("在外务工", "5000", counted=False)])
    assert (figures["persons"], figures["gross_income"], figures["total_income"]) == (3, "900.00", "900.00")


@pytest.mark.parametrize("members", [[], [member("只有一人", "100", counted=False)]])
def test_a_household_needs_a_counted_member(members):
    with pytest.raises(ValueError, match="at least one counted member"):
        household_figures(members)


@pytest.mark.parametrize("assets", [None, "", 0])
def test_missing_financial_assets_count_as_zero(assets):
    assert household_figures(THREE, assets)["financial_assets_per_capita"] == "0.00"


@pytest.mark.parametrize("income", [None, "abc", "NaN", "Infinity", True, [1]])
def test_an_income_must_be_a_finite_number(income):
    with pytest.raises(ValueError, match="monthly_income"):
        household_figures([member("甲", income)])


def test_the_domain_example_pays_960():
    result = amount(THREE)
    assert result == {
        "standard": "620.00", "persons": 3, "per_capita_income": "300.00", "base": "960.00", "uplifts": [],
        "uplift_total": "0.00", "total": "960.00", "eligible": True, "edge": False,
    }


def test_an_elderly_member_adds_20_percent_of_the_standard():
    result = amount(THREE, [["elderly", "none"], ["none"], ["none"]])
    assert result["uplifts"] == [
        {"name": "张秀兰", "id_no": "ID-张秀兰", "category": "elderly", "rate": "0.20", "amount": "124.00"}]
    assert (result["base"], result["uplift_total"], result["total"]) == ("960.00", "124.00", "1084.00")


def test_a_member_with_two_categories_gets_only_the_higher_rate():
    result = amount(THREE, [["minor", "severe_disability", "none"], ["none"], ["elderly"]])
    assert [(u["category"], u["rate"], u["amount"]) for u in result["uplifts"]] == [
        ("severe_disability", "0.30", "186.00"), ("elderly", "0.20", "124.00")]
    assert result["total"] == "1270.00"


def test_an_uncounted_member_gets_no_uplift():
    members = [*THREE, member("在外", "0", counted=False)]
    result = amount(members, [["none"], ["none"], ["none"], ["elderly"]])
    assert result["uplifts"] == [] and result["persons"] == 3


def test_base_is_exact_even_when_per_capita_income_is_rounded():
    result = amount([member("甲", "1000"), member("乙", 0), member("丙", 0)])
    assert result["per_capita_income"] == "333.33"
    assert result["base"] == "860.00"  # 620 × 3 − 1000: exact, though per capita prints as 333.33
    assert household_figures([member("甲", "0.01"), member("乙", "0.00")])["per_capita_income"] == "0.01"  # half up


def test_uplift_amounts_round_half_up():
    result = amount([member("甲", "0")], [["elderly"]], standard="620.05", rates={"elderly": "0.1"})
    assert result["uplifts"][0]["amount"] == "62.01"  # 62.005
    assert result["uplifts"][0]["rate"] == "0.10"
    assert amount([member("甲", "0")], [["minor"]], rates={"minor": "0.125"})["uplifts"][0]["rate"] == "0.125"


def test_income_above_the_standard_pays_no_base():
    result = amount([member("甲", "700")], [["elderly"]])
    assert (result["base"], result["total"]) == ("0.00", "124.00")


def test_an_ineligible_household_gets_nothing_and_may_be_on_the_edge():
    result = amount([member("甲", "929.99")], [["elderly"]], eligible=False)
    assert (result["base"], result["uplifts"], result["total"], result["edge"]) == ("0.00", [], "0.00", True)
    assert amount([member("甲", "930")], eligible=False)["edge"] is False  # 1.5 × 620 = 930: not below
    assert amount(THREE, eligible=True)["edge"] is False


def test_a_household_failing_the_property_tests_is_not_on_the_edge():
    assert amount([member("甲", "100")], eligible=False, property_ok=False)["edge"] is False


@pytest.mark.parametrize(("categories", "message"), [
    ([["pensioner"]], "unknown uplift category"),
    ([], "1 members but 0 lists"),
])
def test_bad_categories_are_errors(categories, message):
    with pytest.raises(ValueError, match=message):
        amount([member("甲", "0")], categories)


def test_a_missing_or_negative_rate_is_an_error():
    with pytest.raises(ValueError, match="no uplift rate"):
        amount([member("甲", "0")], [["elderly"]], rates={"minor": "0.1"})
    with pytest.raises(ValueError, match="negative"):
        amount([member("甲", "0")], [["elderly"]], rates={"elderly": "-0.1"})


@pytest.mark.parametrize("eligible", ["True", 1, None])
def test_eligible_must_be_a_bool(eligible):
    with pytest.raises(ValueError, match="eligible"):
        amount(THREE, eligible=eligible)


def test_the_result_is_plain_json_without_floats():
    result = amount(THREE, [["elderly"], ["none"], ["none"]])
    assert json.loads(json.dumps(result)) == result
    assert not any(isinstance(v, float) for v in [*result.values(), *result["uplifts"][0].values()])


def test_money_helpers():
    assert money_text(0.1 + 0.2) == "0.30"
    assert money_text("-0.001") == "0.00"
    assert money_text(" 12.345 ") == "12.35"
    assert to_decimal(0.1) == Decimal("0.1")
    with pytest.raises(ValueError, match="too large"):
        money_text("1e40")


@pytest.mark.parametrize(("day", "month"), [
    (date(2026, 11, 30), "2026-12"), (date(2026, 12, 1), "2027-01"), (date(2026, 12, 31), "2027-01"),
    (date(2027, 1, 31), "2027-02"),
])
def test_payments_start_the_month_after_the_decision(day, month):
    assert month_after(day) == month


CENTS = st.decimals(min_value=0, max_value=100_000, places=2).map(str)
CATEGORY_LISTS = st.lists(st.sampled_from(["elderly", "minor", "severe_disability", "serious_illness", "none"]),
                          min_size=1, max_size=4)


@given(incomes=st.lists(CENTS, min_size=1, max_size=6), standard=st.decimals(min_value=1, max_value=5000, places=2),
       eligible=st.booleans(), expenses=CENTS, data=st.data())
def test_total_is_never_negative_and_base_is_zero_at_or_above_the_standard(incomes, standard, eligible, expenses,
                                                                           data):
    members = [member(f"m{i}", income) for i, income in enumerate(incomes)]
    categories = [data.draw(CATEGORY_LISTS) for _ in members]
    result = amount(members, categories, eligible=eligible, standard=str(standard), expenses=expenses)
    total, base, pci = Decimal(result["total"]), Decimal(result["base"]), Decimal(result["per_capita_income"])
    assert total >= 0 and base >= 0
    assert total == base + Decimal(result["uplift_total"])
    income = max(sum(Decimal(i) for i in incomes) - Decimal(expenses), Decimal(0))
    if income >= standard * len(members) or not eligible:
        assert base == 0
    else:
        assert base == standard * len(members) - income
        assert abs(base - (standard - pci) * len(members)) <= Decimal("0.01") * len(members)
    assert len(result["uplifts"]) <= len(members)


@given(incomes=st.lists(CENTS, min_size=1, max_size=8), expenses=CENTS)
def test_figures_after_expenses_are_never_negative_and_add_up(incomes, expenses):
    figures = household_figures([member(f"m{i}", income) for i, income in enumerate(incomes)],
                                rigid_expenses=expenses)
    gross, total = Decimal(figures["gross_income"]), Decimal(figures["total_income"])
    persons, pci = figures["persons"], Decimal(figures["per_capita_income"])
    assert gross == sum(Decimal(i) for i in incomes)
    assert total >= 0 and pci >= 0
    assert total == max(gross - Decimal(figures["rigid_expenses"]), Decimal(0))
    # the per-capita figure is rounded once, to the cent: persons × it is within half a cent per person of the total
    assert abs(pci * persons - total) <= Decimal("0.005") * persons
