"""The economic check (家庭经济状况信息核对): one query per outside source, combined into one case record.

DOMAIN.md §1.3: every case is checked ("逢进必核") through the county 核对机构 against other agencies'
data. The agencies sit behind an `EconomicDataAdapter`, so the engine never knows whether the data came
from the real platform or the local simulator. A check with a missing source is not a check: if any
source fails, `run_check` raises `CheckFailed` naming every failing source, and nothing is recorded.

Records per source (every record has ``id_no``; money values are numeric strings such as "2300.00"):

- ``hukou`` 户籍: ``{id_no, name, hukou_address, hukou_type: "urban" | "rural"}``
- ``tax`` 纳税: ``{id_no, year: int, annual_wage_income}``
- ``social_insurance`` 社会保险: ``{id_no, kind: "employment", wage_base}`` (缴费基数, monthly) or
  ``{id_no, kind: "pension", monthly_amount, scheme?: "employee" | "resident"}``; a ``resident`` pension
  (城乡居民基本养老保险) is excluded income (DOMAIN.md §3) and is reported but not counted.
- ``real_estate`` 不动产登记: ``{id_no, address, use: "residential" | "commercial", area_m2}``
- ``business`` 市场主体登记: ``{id_no, name, uscc, status: "active" | "cancelled"}``
- ``housing_fund`` 住房公积金: ``{id_no, monthly_deposit, balance}``
- ``vehicle`` 车辆登记: ``{id_no, plate, kind, exempt: bool}``; ``exempt`` marks a 残疾人功能性补偿代步车,
  which the property test ignores (DOMAIN.md §3).
- ``deposits`` 银行存款/证券: ``{id_no, institution, kind: "deposit" | "securities", balance}``
"""

import json
from typing import Protocol

from ..rules import to_decimal
from .summary import summarise

SOURCES = ("hukou", "tax", "social_insurance", "real_estate", "business", "housing_fund", "vehicle", "deposits")
SOURCE_LABELS = {
    "hukou": "户籍",
    "tax": "纳税",
    "social_insurance": "社会保险",
    "real_estate": "不动产登记",
    "business": "市场主体登记",
    "housing_fund": "住房公积金",
    "vehicle": "车辆登记",
    "deposits": "银行存款/证券",
}
# Fields that must read as money wherever they appear, so the summary never meets a bad amount.
MONEY_FIELDS = {
    "tax": ("annual_wage_income",),
    "social_insurance": ("wage_base", "monthly_amount"),
    "housing_fund": ("monthly_deposit", "balance"),
    "deposits": ("balance",),
}


class SourceUnavailable(Exception):
    """A source could not answer (down, timed out, refused, or sent data that cannot be used)."""

    def __init__(self, source: str, message: str):
        super().__init__(f"{source}: {message}")
        self.source = source
        self.message = message


class EconomicDataAdapter(Protocol):
    """Where the 核对 data comes from: the county platform, or the simulator for training and tests."""

    name: str

    def query(self, source: str, people: list[dict]) -> list[dict]:
        """Records of one source (see the module docstring) for people given as ``{"id_no", "name"}``.

        Raises:
            SourceUnavailable: when the source cannot answer.
        """
        ...


class CheckFailed(Exception):
    """The check could not be completed; ``errors`` maps each failing source to its message."""

    def __init__(self, errors: dict[str, str]):
        self.errors = dict(errors)
        listed = "；".join(f"{SOURCE_LABELS.get(source, source)}：{message}" for source, message in self.errors.items())
        super().__init__(f"家庭经济状况核对未完成，{len(self.errors)} 个数据源不可用（{listed}）")


def run_check(adapter: EconomicDataAdapter, people: list[dict], checked_at: str) -> dict:
    """Query every source for the household and combine the answers into the case's check result.

    Every source is queried even after one fails, so the officer sees every incident at once.

    Args:
        adapter: The data adapter.
        people: The household members, ``{"id_no", "name"}`` each.
        checked_at: When the check ran (ISO text), recorded as given.

    Returns:
        A JSON-friendly dict: ``checked_at``, ``adapter`` (its name), ``sources`` ({source: {"records"}}
        for every source) and ``summary`` (see `workflows.adapters.summary.summarise`).

    Raises:
        CheckFailed: if any source raised SourceUnavailable or answered with unusable records.
    """
    ids = {person["id_no"] for person in people}
    found: dict[str, list[dict]] = {}
    errors: dict[str, str] = {}
    for source in SOURCES:
        try:
            found[source] = _usable(source, adapter.query(source, people), ids)
        except SourceUnavailable as exc:
            errors[source] = exc.message
    if errors:
        raise CheckFailed(errors)
    return {
        "checked_at": checked_at,
        "adapter": adapter.name,
        "sources": {source: {"records": found[source]} for source in SOURCES},
        "summary": summarise(found, people),
    }


def _usable(source: str, records, ids: set[str]) -> list[dict]:
    """The records as plain JSON data, refused (as the source failing) if they cannot be used."""
    try:
        plain = json.loads(json.dumps(records, ensure_ascii=False, allow_nan=False))
    except (TypeError, ValueError):
        raise SourceUnavailable(source, "返回的数据无法保存（不是有效的 JSON）") from None
    if not isinstance(plain, list) or not all(isinstance(record, dict) for record in plain):
        raise SourceUnavailable(source, "返回的数据格式不正确（应为记录列表）")
    for record in plain:
        _check_record(source, record, ids)
    return plain


def _check_record(source: str, record: dict, ids: set[str]) -> None:
    """Refuse records about people not asked for (privacy) and amounts that are not numbers."""
    if record.get("id_no") not in ids:
        raise SourceUnavailable(source, "返回了不属于本次核对人员的记录")
    if source == "tax" and (isinstance(record.get("year"), bool) or not isinstance(record.get("year"), int)):
        raise SourceUnavailable(source, "纳税记录缺少有效的年度")
    for field in MONEY_FIELDS.get(source, ()):
        if field in record:
            try:
                to_decimal(record[field], field)
            except ValueError:
                raise SourceUnavailable(source, f"金额字段 {field} 无效：{record[field]!r}") from None
