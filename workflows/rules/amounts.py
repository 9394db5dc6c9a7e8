"""Household figures and the monthly benefit amount (DOMAIN.md §3), in exact decimal money.

The figures live in workflow task data, so they are JSON-friendly: inputs may be numbers or numeric
strings, and every amount comes back as a string with two decimals ("960.00"), never a float.
Money is rounded half-up to the cent. Each figure is rounded once, where it is first stated, and the
stated figure is used from then on, so every printed number can be recomputed from the printed
numbers it depends on (e.g. 1,000 元 over 3 people: per capita 333.33, 补差 (620 − 333.33) × 3 = 860.01).
"""

from datetime import date
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

CENT = Decimal("0.01")
ZERO = Decimal(0)
UPLIFT_CATEGORIES = ("elderly", "minor", "severe_disability", "serious_illness")
NO_CATEGORY = "none"


def to_decimal(value, what: str = "amount") -> Decimal:
    """The exact Decimal of a JSON number or numeric string.

    Args:
        value: An int, float, Decimal or numeric string (surrounding spaces allowed).
        what: The name used in the error message.

    Returns:
        The value, unrounded.

    Raises:
        ValueError: for booleans, None, non-numeric strings, NaN and infinities.
    """
    if isinstance(value, bool) or not isinstance(value, int | float | str | Decimal):
        raise ValueError(f"{what} must be a number or a numeric string, not {value!r}")
    try:
        number = Decimal(str(value).strip())
    except InvalidOperation:
        raise ValueError(f"{what} must be a number or a numeric string, not {value!r}") from None
    if not number.is_finite():
        raise ValueError(f"{what} must be a finite number, not {value!r}")
    return number


def money(value, what: str = "amount") -> Decimal:
    """A number or numeric string as a Decimal rounded half-up to the cent.

    Raises:
        ValueError: if ``value`` is not a finite number (see :func:`to_decimal`) or is too large
            for 28 significant digits.
    """
    try:
        return to_decimal(value, what).quantize(CENT, rounding=ROUND_HALF_UP)
    except InvalidOperation:
        raise ValueError(f"{what} is too large: {value!r}") from None


def money_text(value, what: str = "amount") -> str:
    """A number or numeric string as a money string with two decimals, e.g. "960.00"."""
    cents = money(value, what)
    return str(abs(cents) if cents == 0 else cents)  # no "-0.00"


def _rate_text(rate: Decimal) -> str:
    """A rate with at least two decimals ("0.20"), more only if it has them ("0.125")."""
    return str(rate.quantize(CENT) if rate == rate.quantize(CENT) else rate.normalize())


def _income(member: dict) -> Decimal:
    if member.get("monthly_income") is None:
        raise ValueError(f"member {member.get('name', '')!r} has no monthly_income")
    return to_decimal(member["monthly_income"], "monthly_income")


def household_figures(members: list[dict], financial_assets=0, rigid_expenses=0) -> dict:
    """Size, income and financial assets of the household as the benefit counts them.

    Args:
        members: Member rows with 'monthly_income' (number or numeric string). A row with
            'counted' False (e.g. someone living apart or not part of the 保障 household) is left out.
        financial_assets: The household's total financial assets; None or "" count as 0.
        rigid_expenses: Monthly rigid expenses deducted from the income (never below 0).

    Returns:
        {'persons': int, 'gross_income', 'rigid_expenses', 'total_income' (gross − expenses, the
        income the benefit counts), 'per_capita_income', 'financial_assets',
        'financial_assets_per_capita'}, amounts as two-decimal strings.

    Raises:
        ValueError: if no member is counted, or an income or the assets are not numbers.
    """
    counted = [m for m in members if m.get("counted", True)]
    if not counted:
        raise ValueError("a household needs at least one counted member")
    persons = len(counted)
    gross = sum((_income(m) for m in counted), ZERO)
    expenses = ZERO if rigid_expenses in (None, "") else money(rigid_expenses, "rigid_expenses")
    total = max(gross - expenses, ZERO)
    assets = ZERO if financial_assets in (None, "") else to_decimal(financial_assets, "financial_assets")
    return {
        "persons": persons,
        "gross_income": money_text(gross),
        "rigid_expenses": money_text(expenses),
        "total_income": money_text(total),
        "per_capita_income": money_text(total / persons),
        "financial_assets": money_text(assets),
        "financial_assets_per_capita": money_text(assets / persons),
    }


def _best_uplift(categories: list[str], rates: dict) -> tuple[str, Decimal] | None:
    """The member's highest-rate category (first listed wins a tie), or None if it has none."""
    best = None
    for category in categories:
        if category == NO_CATEGORY:
            continue
        if category not in UPLIFT_CATEGORIES:
            raise ValueError(f"unknown uplift category {category!r}")
        if rates.get(category) is None:
            raise ValueError(f"no uplift rate given for category {category!r}")
        rate = to_decimal(rates[category], f"uplift rate for {category}")
        if rate < 0:
            raise ValueError(f"the uplift rate for {category} must not be negative")
        if best is None or rate > best[1]:
            best = (category, rate)
    return best


def _uplifts(standard: Decimal, members: list[dict], member_categories: list[list[str]], rates: dict) -> list[dict]:
    if len(members) != len(member_categories):
        raise ValueError(f"{len(members)} members but {len(member_categories)} lists of categories")
    rows = []
    for member, categories in zip(members, member_categories, strict=True):
        best = _best_uplift(categories, rates) if member.get("counted", True) else None
        if best is not None:
            category, rate = best
            rows.append({"name": member.get("name", ""), "id_no": member.get("id_no", ""), "category": category,
                         "rate": _rate_text(rate), "amount": money_text(rate * standard)})
    return rows


def benefit_amount(standard, household: dict, members: list[dict], member_categories: list[list[str]],
                   uplift_rates: dict, eligible: bool, edge_ratio, *, property_ok: bool = True) -> dict:
    """The monthly benefit of a household: 补差 plus 增发 for special members.

    补差 (base) = (standard − per-capita income) × persons, never negative, and only when the
    household is eligible. It is computed as standard × persons − total income, so rounding the
    per-capita figure for display never moves the amount by a cent.
    Each counted member with 增发 categories gets ONE uplift: the highest
    rate among its categories (rates are not added up), paid as rate × standard. An ineligible
    household pays nothing, and is flagged 低保边缘 (edge) when its per-capita income is below
    edge_ratio × standard.

    Args:
        standard: The monthly 低保 standard per person in force (e.g. "620.00").
        household: The result of :func:`household_figures` ('persons', 'per_capita_income').
        members: The member rows, in the same order as ``member_categories``; rows with
            'counted' False get no uplift.
        member_categories: Per member, its categories from the uplift DMN: a subset of
            UPLIFT_CATEGORIES, and/or 'none'.
        uplift_rates: Rate per category (number or numeric string, e.g. "0.20").
        eligible: The eligibility decision (a real bool).
        edge_ratio: The 低保边缘 income ratio (e.g. "1.5").
        property_ok: Whether the household passes the property tests; a household that fails
            them is not 低保边缘 whatever its income (DOMAIN.md §3). Defaults to True.

    Returns:
        {'standard', 'persons', 'per_capita_income', 'base', 'uplifts', 'uplift_total', 'total',
        'eligible', 'edge'}; 'uplifts' lists {'name', 'id_no', 'category', 'rate', 'amount'}.

    Raises:
        ValueError: for non-numeric figures, no persons, a non-bool ``eligible``, mismatched lists,
            an unknown category or a missing rate.
    """
    if not isinstance(eligible, bool):
        raise ValueError(f"eligible must be True or False, not {eligible!r}")
    std = money(standard, "standard")
    pci = money(household["per_capita_income"], "per_capita_income")
    persons = int(household["persons"])
    if persons < 1:
        raise ValueError("a household needs at least one counted member")
    ratio = to_decimal(edge_ratio, "edge_ratio")
    total_income = money(household.get("total_income", pci * persons), "total_income")
    base = max(std * persons - total_income, ZERO) if eligible else ZERO
    uplifts = _uplifts(std, members, member_categories, uplift_rates) if eligible else []
    uplift_total = sum((Decimal(u["amount"]) for u in uplifts), ZERO)
    edge = not eligible and bool(property_ok) and pci < std * ratio
    return {
        "standard": money_text(std), "persons": persons, "per_capita_income": money_text(pci),
        "base": money_text(base), "uplifts": uplifts, "uplift_total": money_text(uplift_total),
        "total": money_text(base + uplift_total), "eligible": eligible, "edge": edge,
    }


def month_after(d: date) -> str:
    """The month after a day as 'YYYY-MM' (the first payment month after the decision).

    Args:
        d: The decision day.

    Returns:
        E.g. '2027-01' for any day in December 2026.
    """
    return f"{d.year + d.month // 12:04d}-{d.month % 12 + 1:02d}"
