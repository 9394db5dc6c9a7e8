"""Who counts in the household, and what it owns: the figures the eligibility table decides on.

DOMAIN.md §3: the household is the co-resident members minus those the rules exclude (clergy
living apart, prisoners, people in compulsory rehabilitation, people declared missing); income is
wage + business + property + transfer income, with award-type and similar payments recorded but
not counted; the 核对 (economic check) results are evidence beside the home visit, so the larger
of the two incomes counts and property found by either counts. 单独列户: only the applicant counts.
"""

from decimal import Decimal

from .amounts import ZERO, money_text, to_decimal

INCOME_TYPES = ("wage_income", "business_income", "property_income", "transfer_income")
SEVERE_LEVELS = ("1", "2")
SEVERE_AT_LEVEL_3 = ("intellectual", "mental")


def severe_or_ill(member: dict) -> bool:
    """重度残疾人 (残疾证 level 1–2, or level 3 智力/精神) or 重病患者 (DOMAIN.md §3 definitions)."""
    level, kind = str(member.get("disability_level", "0")), member.get("disability_kind", "")
    severe = level in SEVERE_LEVELS or (level == "3" and kind in SEVERE_AT_LEVEL_3)
    return severe or bool(member.get("serious_illness"))


def applicant_row(members: list[dict]) -> dict:
    """The member registered as 本人.

    Raises:
        ValueError: if no member is registered as 本人.
    """
    for member in members:
        if member.get("relation") == "self":
            return member
    raise ValueError("no member is registered as the applicant (本人)")


def _amount(row: dict, key: str) -> Decimal:
    value = row.get(key)
    return ZERO if value in (None, "") else to_decimal(value, key)


def _checked_income(check: dict | None, id_no: str) -> Decimal:
    found = ((check or {}).get("summary") or {}).get("income_by_person", {}).get(id_no)
    return ZERO if found is None else to_decimal(found, "checked income")


def _assess_one(member: dict, verified: dict | None, check: dict | None, single: bool) -> dict:
    row = dict(member)
    if verified is not None:
        if verified.get("id_no") not in (None, member["id_no"]):
            raise ValueError("verified rows do not match the registered members")
        row.update({k: v for k, v in verified.items() if k not in ("name", "id_no")})
    by_visit = sum((_amount(row, k) for k in INCOME_TYPES), ZERO) if verified is not None else _amount(
        member, "monthly_income")
    by_check = _checked_income(check, member["id_no"])
    excluded = bool(row.get("excluded"))
    if single and member.get("relation") != "self" and not excluded:
        excluded, row["exclusion_reason"] = True, "single_household"
    row.update(
        counted=not excluded, excluded=excluded, verified_income=money_text(by_visit),
        checked_income=money_text(by_check), monthly_income=money_text(max(by_visit, by_check)),
    )
    return row


def assess_members(members: list[dict], verified: list[dict] | None, check: dict | None = None,
                   household_type: str = "family") -> list[dict]:
    """The registered members with the home-visit figures laid over them, each marked counted or not.

    Args:
        members: Rows as registered (name, id_no, relation, declared monthly_income, health).
        verified: The home visit's rows, in the same order (income by type, exclusion, health).
        check: The 核对 result (``workflows.adapters.run_check``), or None.
        household_type: "family", or "single" for 单独列户 (only the applicant counts).

    Returns:
        One row per member with 'counted', 'verified_income', 'checked_income' and
        'monthly_income' (the income that counts: the larger of visit and check).
    """
    verified = verified or []
    return [
        _assess_one(m, verified[i] if i < len(verified) else None, check, household_type == "single")
        for i, m in enumerate(members)
    ]


def property_figures(check: dict | None, financial_assets, homes, commercial_property: bool,
                     has_vehicle: bool, has_business: bool) -> dict:
    """The household's property as the eligibility table tests it: what the visit found or the check did.

    Returns:
        {'vehicles', 'businesses', 'homes', 'commercial_properties' (ints), 'financial_assets' (money)}.
    """
    summary = (check or {}).get("summary") or {}
    visit_assets = ZERO if financial_assets in (None, "") else to_decimal(financial_assets, "financial_assets")
    checked_assets = to_decimal(summary.get("financial_assets", "0"), "checked financial assets")
    return {
        "vehicles": max(int(summary.get("vehicles", 0)), 1 if has_vehicle else 0),
        "businesses": max(int(summary.get("businesses", 0)), 1 if has_business else 0),
        "homes": max(int(summary.get("homes", 0)), int(homes or 0)),
        "commercial_properties": max(int(summary.get("commercial_properties", 0)), 1 if commercial_property else 0),
        "financial_assets": money_text(max(visit_assets, checked_assets)),
    }


def rigid_expense_total(medical, education) -> str:
    """Monthly rigid expenses (medical and education costs the household bears itself)."""
    amounts = [ZERO if v in (None, "") else to_decimal(v, "expense") for v in (medical, education)]
    if any(a < 0 for a in amounts):
        raise ValueError("expenses cannot be negative")
    return money_text(sum(amounts, ZERO))


def missing_from(required: list[str], received: list[str]) -> list[str]:
    """The required materials not received, in the order required."""
    have = set(received or [])
    return [m for m in required if m not in have]


def merge_materials(received: list[str], supplied: list[str]) -> list[str]:
    """Materials received so far plus those supplied later, each once, in first-seen order."""
    return list(dict.fromkeys([*(received or []), *(supplied or [])]))
