"""Household figures and the benefit amount (DOMAIN.md §3), in exact decimal money.

Inputs may be numbers or numeric strings; outputs are plain dicts with money as strings with two
decimals, because they live in workflow task data (JSON).
"""

from datetime import date
from decimal import ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")
UPLIFT_CATEGORIES = ("elderly", "minor", "severe_disability", "serious_illness")


def money(value) -> Decimal:
    """A Decimal rounded half-up to the cent."""
    return Decimal(str(value)).quantize(CENT, rounding=ROUND_HALF_UP)


def _s(value: Decimal) -> str:
    return str(money(value))


def household_figures(members: list[dict], financial_assets=0) -> dict:
    """Persons, income and assets of the household (members with ``counted`` False are left out)."""
    counted = [m for m in members if m.get("counted", True)]
    if not counted:
        raise ValueError("a household needs at least one counted member")
    persons = len(counted)
    total = sum((Decimal(str(m["monthly_income"])) for m in counted), Decimal(0))
    assets = Decimal(str(financial_assets or 0))
    return {
        "persons": persons, "total_income": _s(total), "per_capita_income": _s(total / persons),
        "financial_assets": _s(assets), "financial_assets_per_capita": _s(assets / persons),
    }


def _best_uplift(categories: list[str], rates: dict) -> tuple[str, Decimal] | None:
    found = [(c, Decimal(str(rates[c]))) for c in categories if c in UPLIFT_CATEGORIES and c in rates]
    return max(found, key=lambda cr: cr[1]) if found else None


def benefit_amount(standard, household: dict, members: list[dict], member_categories: list[list[str]],
                   uplift_rates: dict, eligible: bool, edge_ratio) -> dict:
    """补差 plus one 增发 per qualifying member (the highest rate of its categories, not cumulative).

    补差 = (standard − per-capita income) × persons, never negative; nothing is paid when the
    household is not eligible, and it is then flagged 低保边缘 if income < edge_ratio × standard.
    """
    std, pci = money(standard), money(household["per_capita_income"])
    persons = household["persons"]
    base = max(std - pci, Decimal(0)) * persons if eligible else Decimal(0)
    uplifts = []
    for member, categories in zip(members, member_categories, strict=True):
        best = _best_uplift(categories, uplift_rates) if eligible and member.get("counted", True) else None
        if best:
            uplifts.append({"name": member.get("name", ""), "id_no": member.get("id_no", ""), "category": best[0],
                            "rate": str(best[1]), "amount": _s(best[1] * std)})
    uplift_total = sum((Decimal(u["amount"]) for u in uplifts), Decimal(0))
    return {
        "standard": _s(std), "persons": persons, "per_capita_income": _s(pci), "base": _s(base),
        "uplifts": uplifts, "uplift_total": _s(uplift_total), "total": _s(base + uplift_total),
        "eligible": bool(eligible), "edge": (not eligible) and pci < std * Decimal(str(edge_ratio)),
    }


def month_after(day: date) -> str:
    """'YYYY-MM' of the month after ``day`` (payments start the month after the decision)."""
    return f"{day.year + day.month // 12}-{day.month % 12 + 1:02d}"
