"""The economic check (核对): adapters, the combined result and the local simulator (DOMAIN.md §1.3, §3)."""

import json
import random
from datetime import date

import pytest
from sqlalchemy import select

from tests import factories as f
from workflows import clock
from workflows.adapters import (
    SOURCES,
    CheckFailed,
    SimulatorAdapter,
    SourceUnavailable,
    add_record,
    run_check,
    seed_simulator,
)
from workflows.store.sim_record import SimEconomicRecord

CHECKED_AT = "2026-11-30T09:00:00+08:00"
FATHER = {"id_no": f.id_number(date(1978, 3, 5), 11), "name": "李建国"}
MOTHER = {"id_no": f.id_number(date(1980, 7, 9), 22), "name": "张秀兰"}
CHILD = {"id_no": f.id_number(date(2014, 1, 20), 31), "name": "李小明"}
GRANNY = {"id_no": f.id_number(date(1953, 9, 1), 42), "name": "王桂英"}
HOUSEHOLD = [FATHER, MOTHER, CHILD, GRANNY]
ADDRESS = "宁夏回族自治区银川市兴庆区解放东街12号3号楼2单元401室"


@pytest.fixture
def session(factory):
    """A session on the test's database, with the simulator's table (not in the template schema yet)."""
    with factory() as sess:
        SimEconomicRecord.__table__.create(sess.get_bind(), checkfirst=True)
        yield sess
        sess.rollback()


def _add_household(session) -> None:
    """The records whose summary is worked out by hand in test_summary_of_a_household."""
    for person in HOUSEHOLD:
        record = {"name": person["name"], "hukou_address": ADDRESS, "hukou_type": "urban"}
        add_record(session, "hukou", person["id_no"], record)
    rows = [
        ("vehicle", FATHER, {"plate": "宁A·12345", "kind": "小型普通客车", "exempt": False}),
        ("vehicle", MOTHER, {"plate": "宁A·D0001", "kind": "残疾人专用机动轮椅车", "exempt": True}),
        ("business", FATHER, {"name": "银川市兴庆区建国便利店", "uscc": "92640104MA00000001", "status": "active"}),
        ("business", MOTHER, {"name": "银川市兴庆区秀兰小吃店", "uscc": "92640104MA00000002", "status": "cancelled"}),
        ("real_estate", FATHER, {"address": ADDRESS, "use": "residential", "area_m2": 68}),
        ("real_estate", MOTHER, {"address": "兴庆区胜利南街8号", "use": "residential", "area_m2": 40}),
        ("real_estate", MOTHER, {"address": "兴庆区胜利南街8号商铺", "use": "commercial", "area_m2": 30}),
        ("deposits", FATHER, {"institution": "宁夏银行营业部", "kind": "deposit", "balance": "10000.50"}),
        ("deposits", FATHER, {"institution": "银川证券营业部", "kind": "securities", "balance": "2500.25"}),
        ("deposits", MOTHER, {"institution": "中国农业银行", "kind": "deposit", "balance": "1234.575"}),
        ("housing_fund", FATHER, {"monthly_deposit": "480.00", "balance": "8000.00"}),
        ("tax", FATHER, {"year": 2025, "annual_wage_income": "36001.00"}),
        ("tax", FATHER, {"year": 2024, "annual_wage_income": "60000.00"}),  # older year: not counted
        ("social_insurance", FATHER, {"kind": "employment", "wage_base": "2800.00"}),
        ("tax", MOTHER, {"year": 2025, "annual_wage_income": "30000.00"}),
        ("social_insurance", MOTHER, {"kind": "employment", "wage_base": "3500.00"}),
        ("social_insurance", GRANNY, {"kind": "pension", "scheme": "employee", "monthly_amount": "2100.00"}),
        ("social_insurance", GRANNY, {"kind": "pension", "scheme": "resident", "monthly_amount": "200.00"}),
    ]
    for source, person, record in rows:
        add_record(session, source, person["id_no"], record)


def test_summary_of_a_household(session):
    _add_household(session)
    result = run_check(SimulatorAdapter(session), HOUSEHOLD, CHECKED_AT)
    summary = result["summary"]
    assert (result["checked_at"], result["adapter"]) == (CHECKED_AT, "simulator")
    assert {key: summary[key] for key in ("vehicles", "businesses", "homes", "commercial_properties")} == {
        "vehicles": 1, "businesses": 1, "homes": 2, "commercial_properties": 1,  # no 代步车, no cancelled firm
    }
    # 10000.50 + 2500.25 + 1234.575 = 13735.325 → half-up (half-even would give .32)
    assert (summary["financial_assets"], summary["housing_fund_balance"]) == ("13735.33", "8000.00")


def test_monthly_income_per_person(session):
    _add_household(session)
    income = run_check(SimulatorAdapter(session), HOUSEHOLD, CHECKED_AT)["summary"]["income_by_person"]
    assert income == {
        FATHER["id_no"]: "3000.08",  # max(36001 / 12, 2800): latest tax year only
        MOTHER["id_no"]: "3500.00",  # max(30000 / 12, 3500)
        CHILD["id_no"]: "0.00",
        GRANNY["id_no"]: "2100.00",  # the 城乡居民 basic pension is excluded income
    }


def test_findings_are_sentences_about_each_person(session):
    _add_household(session)
    findings = run_check(SimulatorAdapter(session), HOUSEHOLD, CHECKED_AT)["summary"]["findings"]
    assert "李建国 名下登记机动车 1 辆（宁A·12345）" in findings
    assert "张秀兰 名下有残疾人功能性补偿代步车 1 辆（宁A·D0001），不计入车辆" in findings
    assert "张秀兰 名下登记商业用房 1 处（兴庆区胜利南街8号商铺）" in findings
    assert "王桂英 领取城乡居民基本养老金 200.00 元/月，不计入收入" in findings
    assert not [line for line in findings if line.startswith("李小明")]


def test_every_source_is_recorded_with_its_records(session):
    _add_household(session)
    sources = run_check(SimulatorAdapter(session), [CHILD], CHECKED_AT)["sources"]
    assert list(sources) == list(SOURCES)
    assert sources["hukou"]["records"] == [
        {"id_no": CHILD["id_no"], "name": "李小明", "hukou_address": ADDRESS, "hukou_type": "urban"},
    ]
    assert all(sources[source]["records"] == [] for source in SOURCES if source != "hukou")


def test_a_missing_hukou_record_and_a_different_name_are_findings(session):
    add_record(session, "hukou", FATHER["id_no"], {"name": "李建军", "hukou_address": ADDRESS, "hukou_type": "urban"})
    findings = run_check(SimulatorAdapter(session), [FATHER, MOTHER], CHECKED_AT)["summary"]["findings"]
    assert findings == ["李建国 户籍登记姓名为 李建军，与申报不一致", "张秀兰 未查到户籍登记"]


def test_the_result_is_plain_json(session):
    _add_household(session)
    result = run_check(SimulatorAdapter(session), HOUSEHOLD, CHECKED_AT)
    assert json.loads(json.dumps(result, ensure_ascii=False)) == result


class Recording:
    """An adapter that fails some sources and remembers every source it was asked about."""

    name = "recording"

    def __init__(self, failing=(), answers=None):
        self.failing, self.answers, self.asked = set(failing), answers or {}, []

    def query(self, source, people):
        self.asked.append(source)
        if source in self.failing:
            raise SourceUnavailable(source, "连接超时")
        return self.answers.get(source, [])


def test_failing_sources_are_all_named_and_the_others_still_asked():
    adapter = Recording(failing={"tax", "vehicle"})
    with pytest.raises(CheckFailed) as caught:
        run_check(adapter, HOUSEHOLD, CHECKED_AT)
    assert caught.value.errors == {"tax": "连接超时", "vehicle": "连接超时"}
    assert "纳税" in str(caught.value) and "车辆登记" in str(caught.value)
    assert adapter.asked == list(SOURCES)


def test_the_simulator_fails_the_sources_it_is_told_to(session):
    _add_household(session)
    with pytest.raises(CheckFailed) as caught:
        run_check(SimulatorAdapter(session, failing_sources=("deposits", "hukou")), HOUSEHOLD, CHECKED_AT)
    assert set(caught.value.errors) == {"hukou", "deposits"}
    assert "户籍" in str(caught.value) and "银行存款/证券" in str(caught.value)


@pytest.mark.parametrize(("source", "records"), [
    ("vehicle", [{"id_no": "640104000000000000", "plate": "宁A·99999"}]),  # someone not asked about
    ("vehicle", [{"plate": "宁A·99999"}]),  # no id_no
    ("deposits", [{"id_no": FATHER["id_no"], "balance": "一万"}]),
    ("tax", [{"id_no": FATHER["id_no"], "year": "2025", "annual_wage_income": "1000"}]),
    ("deposits", {"id_no": FATHER["id_no"]}),  # not a list
    ("deposits", [{"id_no": FATHER["id_no"], "balance": float("nan")}]),
])
def test_unusable_records_fail_their_source(source, records):
    with pytest.raises(CheckFailed) as caught:
        run_check(Recording(answers={source: records}), [FATHER], CHECKED_AT)
    assert list(caught.value.errors) == [source]


def test_an_empty_household_finds_nothing():
    summary = run_check(Recording(), [], CHECKED_AT)["summary"]
    assert summary == {
        "vehicles": 0, "businesses": 0, "homes": 0, "commercial_properties": 0, "financial_assets": "0.00",
        "housing_fund_balance": "0.00", "income_by_person": {}, "findings": [],
    }


def test_add_record_refuses_an_unknown_source(session):
    with pytest.raises(ValueError, match="unknown economic data source"):
        add_record(session, "lottery", FATHER["id_no"], {})


def _people(n: int) -> list[dict]:
    rng = random.Random(1)
    people = []
    for i in range(n):
        age = rng.randrange(1, 90)
        people.append({"id_no": f.id_number(date(2026 - age, 6, 1), i % 1000), "name": f"居民{i}", "age": age})
    return people


def _stored(session) -> list[tuple]:
    rows = session.scalars(select(SimEconomicRecord).order_by(SimEconomicRecord.id))
    return [(row.source, row.id_no, row.record) for row in rows]


def test_seeding_is_deterministic_and_finds_some_property(session):
    people = _people(300)
    with clock.frozen(f.MONDAY):
        written = seed_simulator(session, people, random.Random(42))
        first = _stored(session)
        session.rollback()
        assert seed_simulator(session, people, random.Random(42)) == written == len(first)
    assert _stored(session) == first
    by_source = {source: [row for row in first if row[0] == source] for source in SOURCES}
    assert len(by_source["hukou"]) == len(people)
    assert all(len(by_source[source]) > 0 for source in ("vehicle", "business", "deposits", "tax"))
    children = {p["id_no"] for p in people if p["age"] < 18}
    assert all(row[0] == "hukou" for row in first if row[1] in children)


def test_seeded_records_check_cleanly(session):
    people = _people(60)
    with clock.frozen(f.MONDAY):
        seed_simulator(session, people, random.Random(7))
    result = run_check(SimulatorAdapter(session), people, CHECKED_AT)
    assert json.loads(json.dumps(result, ensure_ascii=False)) == result
    assert len(result["sources"]["hukou"]["records"]) == len(people)


def test_seeding_reads_the_age_from_the_id_number(session):
    child = {"id_no": f.id_number(date(2020, 5, 5), 7), "name": "小朋友"}
    with clock.frozen(f.MONDAY):
        assert seed_simulator(session, [child] * 20, random.Random(3)) == 20  # hukou only: a child owns nothing
