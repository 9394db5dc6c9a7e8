"""A local stand-in for the county 核对 platform: records in a table, and incidents on demand.

Training, demos and tests need the economic check to work with no outside connection, and to fail
the way the real platform does (a source down) so the incident path can be shown and tested.
"""

import random
from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from .. import clock, rules
from ..rules import money_text
from ..store.sim_record import SimEconomicRecord
from .economic import SOURCES, SourceUnavailable

STREETS = ("解放东街", "文化东街", "新华东街", "中山南街", "胜利南街", "丽景北街", "凤凰北街", "清和南街", "民族北街")
RURAL_TOWNS = ("掌政镇", "大新镇", "通贵乡", "月牙湖乡")
BANKS = (
    "中国工商银行银川兴庆支行", "中国农业银行银川兴庆支行", "中国建设银行银川城东支行",
    "中国邮政储蓄银行银川市分行", "宁夏银行营业部", "宁夏黄河农村商业银行兴庆支行",
)
BROKERS = ("银川解放西街证券营业部", "银川北京东路证券营业部")
SHOPS = ("便利店", "小吃店", "五金店", "理发店", "蔬菜店", "汽车修理部")
PLATE_CHARS = "ABCDEFGHJKLMNPQRSTUVWXYZ0123456789"  # no I or O on plates
USCC_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"  # GB 32100 code characters
USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
ADULT, RETIREMENT, WORK_START = 18, 60, 22


class SimulatorAdapter:
    """Economic data from the `sim_economic_record` table; sources in ``failing_sources`` are down."""

    name = "simulator"

    def __init__(self, session: Session, failing_sources: Iterable[str] = ()):
        self.session = session
        self.failing_sources = frozenset(failing_sources)

    def query(self, source: str, people: list[dict]) -> list[dict]:
        """The stored records of one source for these people, in the order they were written.

        Raises:
            SourceUnavailable: if the source is listed as failing or is not a known source.
        """
        if source in self.failing_sources:
            raise SourceUnavailable(source, "模拟故障：数据源暂时无法连接")
        if source not in SOURCES:
            raise SourceUnavailable(source, "未知的数据源")
        ids = [person["id_no"] for person in people]
        if not ids:
            return []
        rows = self.session.scalars(
            select(SimEconomicRecord)
            .where(SimEconomicRecord.source == source, SimEconomicRecord.id_no.in_(ids))
            .order_by(SimEconomicRecord.id)
        )
        return [{**row.record, "id_no": row.id_no} for row in rows]


def add_record(session: Session, source: str, id_no: str, record: dict) -> SimEconomicRecord:
    """Store one simulated record (added and flushed, not committed).

    Raises:
        ValueError: for an unknown source.
    """
    if source not in SOURCES:
        raise ValueError(f"unknown economic data source {source!r}")
    row = SimEconomicRecord(source=source, id_no=id_no, record={**record, "id_no": id_no})
    session.add(row)
    session.flush()
    return row


def seed_simulator(session: Session, people: list[dict], rng: random.Random) -> int:
    """Write plausible records for people, so the demo's checks find something now and then.

    Everyone gets a 户籍 record in 兴庆区; a minority of adults get a car (~15%), an active business
    (~10%), a commercial property (~3%); most adults have small deposits and a few large ones; some
    working-age adults have wages (social insurance, tax, housing fund) and some over-60s a pension.

    Args:
        session: Where to add the records (flushed, not committed).
        people: ``{"id_no", "name", "age"?}``; without ``age`` it is read from the ID number (today's date).
        rng: The source of randomness; the same seed and people give the same records.

    Returns:
        How many records were written.
    """
    written = 0
    for person in people:
        for source, record in _records_for(person, _age(person), rng):
            add_record(session, source, person["id_no"], record)
            written += 1
    return written


def _age(person: dict) -> int:
    if person.get("age") is not None:
        return int(person["age"])
    try:
        birth = rules.parse_id_number(person["id_no"]).birth_date
    except rules.InvalidIdNumber:
        return 40  # an unreadable number: treat as a working-age adult
    return rules.age_on(birth, max(birth, clock.today()))


def _records_for(person: dict, age: int, rng: random.Random) -> list[tuple[str, dict]]:
    hukou = _hukou(person, rng)
    records = [("hukou", hukou)]
    if age < ADULT:
        return records
    records += _deposits(rng)
    if rng.random() < 0.35:
        records.append(("real_estate", {"address": hukou["hukou_address"], "use": "residential",
                                        "area_m2": rng.randrange(45, 120)}))
    records += _property(person, rng)
    if WORK_START <= age < RETIREMENT and rng.random() < 0.4:
        records += _job(rng)
    if age >= RETIREMENT and rng.random() < 0.6:
        records.append(("social_insurance", _pension(rng)))
    return records


def _hukou(person: dict, rng: random.Random) -> dict:
    if rng.random() < 0.25:
        town = rng.choice(RURAL_TOWNS)
        village = f"{rng.choice('东西南北')}村{rng.randrange(1, 9)}队{rng.randrange(1, 80)}号"
        address = f"宁夏回族自治区银川市兴庆区{town}{village}"
        return {"name": person.get("name", ""), "hukou_address": address, "hukou_type": "rural"}
    address = (f"宁夏回族自治区银川市兴庆区{rng.choice(STREETS)}{rng.randrange(1, 400)}号"
               f"{rng.randrange(1, 20)}号楼{rng.randrange(1, 5)}单元{rng.randrange(1, 7)}0{rng.randrange(1, 4)}室")
    return {"name": person.get("name", ""), "hukou_address": address, "hukou_type": "urban"}


def _deposits(rng: random.Random) -> list[tuple[str, dict]]:
    """Most adults hold a little money; one in twenty holds a lot, one in twenty some shares."""
    if rng.random() >= 0.8:
        return []
    large = rng.random() < 0.05
    balance = rng.uniform(50_000, 300_000) if large else rng.uniform(0, 1) ** 2 * 20_000
    account = {"institution": rng.choice(BANKS), "kind": "deposit", "balance": money_text(round(balance, 2))}
    records = [("deposits", account)]
    if rng.random() < 0.05:
        shares = money_text(round(rng.uniform(2_000, 80_000), 2))
        records.append(("deposits", {"institution": rng.choice(BROKERS), "kind": "securities", "balance": shares}))
    return records


def _property(person: dict, rng: random.Random) -> list[tuple[str, dict]]:
    """Cars, businesses and shops: the assets that usually make a household ineligible."""
    records = []
    if rng.random() < 0.15:
        plate = "宁A·" + "".join(rng.choice(PLATE_CHARS) for _ in range(5))
        records.append(("vehicle", {"plate": plate, "kind": "小型普通客车", "exempt": False}))
    elif rng.random() < 0.02:
        plate = "宁A·" + "".join(rng.choice(PLATE_CHARS) for _ in range(5))
        records.append(("vehicle", {"plate": plate, "kind": "残疾人专用机动轮椅车", "exempt": True}))
    if rng.random() < 0.10:
        shop = f"银川市兴庆区{person.get('name', '')}{rng.choice(SHOPS)}"
        records.append(("business", {"name": shop, "uscc": _uscc(rng), "status": "active"}))
    if rng.random() < 0.03:
        address = f"银川市兴庆区{rng.choice(STREETS)}{rng.randrange(1, 400)}号商铺"
        records.append(("real_estate", {"address": address, "use": "commercial", "area_m2": rng.randrange(20, 90)}))
    return records


def _job(rng: random.Random) -> list[tuple[str, dict]]:
    """An insured job: wage base, often last year's tax record and sometimes a housing fund."""
    base = rng.randrange(2_000, 6_500, 50)
    records = [("social_insurance", {"kind": "employment", "wage_base": money_text(base)})]
    if rng.random() < 0.7:
        annual = base * 12 * rng.uniform(0.9, 1.15)
        records.append(("tax", {"year": clock.today().year - 1, "annual_wage_income": money_text(round(annual, 2))}))
    if rng.random() < 0.5:
        deposit = base * 2 * rng.choice((5, 8, 12)) // 100  # employer + employee share
        balance = deposit * rng.randrange(6, 120)
        records.append(("housing_fund", {"monthly_deposit": money_text(deposit), "balance": money_text(balance)}))
    return records


def _pension(rng: random.Random) -> dict:
    """A 城镇职工 pension, or the small 城乡居民 one (excluded income, DOMAIN.md §3)."""
    if rng.random() < 0.4:
        return {"kind": "pension", "scheme": "resident", "monthly_amount": money_text(rng.randrange(180, 320))}
    return {"kind": "pension", "scheme": "employee", "monthly_amount": money_text(rng.randrange(1_600, 4_200, 10))}


def _uscc(rng: random.Random) -> str:
    """A well-formed 统一社会信用代码 of a 个体工商户 in 兴庆区 (92 + area code + 9 random + check)."""
    body = "92640104" + "".join(rng.choice(USCC_CHARS) for _ in range(9))
    remainder = sum(USCC_CHARS.index(char) * weight for char, weight in zip(body, USCC_WEIGHTS, strict=True)) % 31
    return body + USCC_CHARS[(31 - remainder) % 31]
