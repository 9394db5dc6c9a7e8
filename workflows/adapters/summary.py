"""What the check found, in the figures the property and income tests use (DOMAIN.md §3).

Kept apart from the adapter interface because this changes with the eligibility rules, not with
the agencies. Record shapes are documented in `workflows.adapters.economic`; amounts are computed
exactly with Decimal and given as two-decimal strings, rounded half-up only at the end.
"""

from decimal import Decimal

from ..rules import money_text, to_decimal

ZERO = Decimal(0)
MONTHS = Decimal(12)


def summarise(found: dict[str, list[dict]], people: list[dict]) -> dict:
    """Counts, totals, monthly income per person and findings for a household's records.

    Args:
        found: Checked records per source (every source present, possibly empty).
        people: The household members, ``{"id_no", "name"}`` each, in the order findings follow.

    Returns:
        ``vehicles`` (exempt 代步车 left out), ``businesses`` (active only), ``homes`` (residential),
        ``commercial_properties``, ``financial_assets`` (deposits + securities), ``housing_fund_balance``,
        ``income_by_person`` ({id_no: monthly income}) and ``findings`` (short Chinese sentences).
    """
    estates = found["real_estate"]
    return {
        "vehicles": sum(not _exempt(record) for record in found["vehicle"]),
        "businesses": sum(record.get("status") == "active" for record in found["business"]),
        "homes": sum(record.get("use") == "residential" for record in estates),
        "commercial_properties": sum(record.get("use") == "commercial" for record in estates),
        "financial_assets": money_text(_total(found["deposits"], "balance")),
        "housing_fund_balance": money_text(_total(found["housing_fund"], "balance")),
        "income_by_person": {
            person["id_no"]: money_text(monthly_income(_of_person(found, person["id_no"]))) for person in people
        },
        "findings": [sentence for person in people for sentence in _findings(found, person)],
    }


def monthly_income(mine: dict[str, list[dict]]) -> Decimal:
    """One person's monthly income as the agencies see it.

    Wages are the larger of the latest tax year's wage income / 12 and the social-insurance wage
    base (the two describe the same job, so they are not added); pensions are added on top.

    Args:
        mine: The person's records per source.

    Returns:
        The exact monthly amount (unrounded).
    """
    return _wages(mine) + _pension(mine["social_insurance"])


def _wages(mine: dict[str, list[dict]]) -> Decimal:
    tax = mine["tax"]
    latest = max((record["year"] for record in tax), default=None)
    from_tax = _total([record for record in tax if record["year"] == latest], "annual_wage_income") / MONTHS
    return max(from_tax, _total(_of_kind(mine["social_insurance"], "employment"), "wage_base"))


def _pension(social: list[dict]) -> Decimal:
    return _total([record for record in _of_kind(social, "pension") if not _resident(record)], "monthly_amount")


def _findings(found: dict[str, list[dict]], person: dict) -> list[str]:
    """The notable facts about one person, source by source."""
    mine = _of_person(found, person["id_no"])
    name = person.get("name") or "（未具名）"
    sentences = _hukou_findings(name, mine["hukou"])
    for finder in (_vehicle_findings, _business_findings, _estate_findings, _money_findings, _income_findings):
        sentences += finder(name, mine)
    return sentences


def _hukou_findings(name: str, records: list[dict]) -> list[str]:
    if not records:
        return [f"{name} 未查到户籍登记"]
    other_names = sorted({record["name"] for record in records if record.get("name") and record["name"] != name})
    return [f"{name} 户籍登记姓名为 {'、'.join(other_names)}，与申报不一致"] if other_names else []


def _vehicle_findings(name: str, mine: dict[str, list[dict]]) -> list[str]:
    vehicles = mine["vehicle"]
    counted = [record for record in vehicles if not _exempt(record)]
    exempt = [record for record in vehicles if _exempt(record)]
    sentences = []
    if counted:
        sentences.append(f"{name} 名下登记机动车 {len(counted)} 辆（{_listed(counted, 'plate')}）")
    if exempt:
        plates = _listed(exempt, "plate")
        sentences.append(f"{name} 名下有残疾人功能性补偿代步车 {len(exempt)} 辆（{plates}），不计入车辆")
    return sentences


def _business_findings(name: str, mine: dict[str, list[dict]]) -> list[str]:
    active = [record for record in mine["business"] if record.get("status") == "active"]
    closed = [record for record in mine["business"] if record.get("status") != "active"]
    sentences = []
    if active:
        sentences.append(f"{name} 名下有存续市场主体 {len(active)} 户（{_listed(active, 'name')}）")
    if closed:
        sentences.append(f"{name} 名下市场主体 {len(closed)} 户已注销（{_listed(closed, 'name')}），不计入")
    return sentences


def _estate_findings(name: str, mine: dict[str, list[dict]]) -> list[str]:
    homes = [record for record in mine["real_estate"] if record.get("use") == "residential"]
    shops = [record for record in mine["real_estate"] if record.get("use") == "commercial"]
    sentences = []
    if homes:
        sentences.append(f"{name} 名下登记住宅 {len(homes)} 套（{_listed(homes, 'address')}）")
    if shops:
        sentences.append(f"{name} 名下登记商业用房 {len(shops)} 处（{_listed(shops, 'address')}）")
    return sentences


def _money_findings(name: str, mine: dict[str, list[dict]]) -> list[str]:
    sentences = []
    assets = _total(mine["deposits"], "balance")
    if assets:
        sentences.append(f"{name} 名下存款及证券余额合计 {money_text(assets)} 元（{len(mine['deposits'])} 个账户）")
    if mine["housing_fund"]:
        balance = money_text(_total(mine["housing_fund"], "balance"))
        deposit = money_text(_total(mine["housing_fund"], "monthly_deposit"))
        sentences.append(f"{name} 住房公积金余额 {balance} 元，月缴存 {deposit} 元")
    return sentences


def _income_findings(name: str, mine: dict[str, list[dict]]) -> list[str]:
    social = mine["social_insurance"]
    sentences = []
    wages, pension = _wages(mine), _pension(social)
    if wages or pension:
        parts = [f"工资 {money_text(wages)} 元" if wages else "", f"养老金 {money_text(pension)} 元" if pension else ""]
        total = money_text(wages + pension)
        sentences.append(f"{name} 核对到月收入 {total} 元（{'，'.join(part for part in parts if part)}）")
    resident = _total([record for record in _of_kind(social, "pension") if _resident(record)], "monthly_amount")
    if resident:
        sentences.append(f"{name} 领取城乡居民基本养老金 {money_text(resident)} 元/月，不计入收入")
    return sentences


def _of_person(found: dict[str, list[dict]], id_no: str) -> dict[str, list[dict]]:
    return {source: [record for record in records if record["id_no"] == id_no] for source, records in found.items()}


def _of_kind(records: list[dict], kind: str) -> list[dict]:
    return [record for record in records if record.get("kind") == kind]


def _exempt(vehicle: dict) -> bool:
    return vehicle.get("exempt") is True


def _resident(pension: dict) -> bool:
    return pension.get("scheme") == "resident"


def _total(records: list[dict], field: str) -> Decimal:
    return sum((to_decimal(record.get(field, 0), field) for record in records), ZERO)


def _listed(records: list[dict], field: str) -> str:
    return "、".join(str(record.get(field, "")) for record in records)
