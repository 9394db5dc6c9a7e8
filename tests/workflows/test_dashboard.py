"""统计看板 figures (workflows.dashboard) against cases driven through the real procedure, on both databases.

The world (``built``), township 640104001 with a case limit of 2 working days (a dated setting of the
township), so that its decisions are late and its open case overdue:
- A: applied Mon 30 Nov 2026, approved Tue 8 Dec (6 working days; deadline 2 Dec: late); on 低保 from January;
- B: applied 30 Nov, refused Thu 3 Dec (3 working days; late);
- C: applied 30 Nov, checked, waiting for the home visit (due 7 Dec): open, overdue since 2 Dec;
and township 640104002 (the district's 30 working days): D, applied 30 Nov, waiting for its 核对, deadline
12 Jan 2027. Two 探访 targets of 640104001 registered on 10 Dec, one visited.
"""

from datetime import date, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from tests import drive
from tests import factories as f
from tests.workflows.test_roster import add_benefit
from workflows import benefits, clock, dashboard, dashboard_queries, settings, visit_cases, visits
from workflows.errors import Forbidden, Invalid, NotFound
from workflows.store import Benefit, Case, unit_of_work

TOWN, OTHER = "640104001", "640104002"
DEC3 = datetime(2026, 12, 3, 10, 0, tzinfo=clock.CHINA_TZ)
DEC10 = datetime(2026, 12, 10, 10, 0, tzinfo=clock.CHINA_TZ)
JAN20 = datetime(2027, 1, 20, 10, 0, tzinfo=clock.CHINA_TZ)


def household(name: str, born: date, seq: int, income: str, town: str = TOWN) -> dict:
    return f.registration([f.member(name, born, "self", income, seq=seq)], responsible_township=town)


@pytest.fixture
def built(factory, services, at_monday):
    """The cases of the module docstring; the case numbers by letter."""
    with unit_of_work(factory) as sess:
        settings.set_value(sess, "dibao.deadline.case_wd", TOWN, date(2020, 1, 1), 2, "test: a short limit")
    cases = {"A": drive.approved(factory, services, at_monday)}
    cases["B"] = drive.to_review(factory, services, household("王建军", date(1970, 3, 1), 11, "5000"))
    drive.do(factory, services, cases["B"], "reviewer-001", f.review("propose_refuse"))
    with clock.frozen(DEC3):
        drive.do(factory, services, cases["B"], "leader-001", f.leader("reject", "经集体研究不予批准"))
    cases["C"] = drive.accepted(factory, services, household("赵桂英", date(1955, 6, 1), 12, "100"))
    assert drive.run_calls(factory, services) == 1
    cases["D"] = drive.accepted(factory, services, household("孙红梅", date(1982, 9, 9), 14, "200", OTHER), "002")
    with unit_of_work(factory) as sess, clock.frozen(DEC10):
        clerk = drive.user(sess, "clerk-001")
        first = visits.register_target(sess, clerk, TOWN, f.id_number(date(1940, 1, 1), 5), "马老汉", "elderly", "独居")
        visits.register_target(sess, clerk, TOWN, f.id_number(date(1942, 2, 2), 7), "杨大爷", "elderly", "独居")
        visit_cases.record_visit(sess, drive.user(sess, "investigator-001"), first.id,
                                 {"visited_on": "2026-12-10", "method": "home", "notes": "身体尚好。"}, services)
    return cases


def report(factory, who: str, kind: str, value: str, at: datetime, township: str | None = None) -> dict:
    with unit_of_work(factory) as sess, clock.frozen(at):
        return dashboard.report(sess, drive.user(sess, who), dashboard.period_of(kind, value), township)


def row_of(data: dict, code: str) -> dict:
    return next(r for r in data["rows"] if r["township_code"] == code)


def test_a_township_sees_its_own_month(factory, built):
    data = report(factory, "reviewer-001", "month", "2026-12", DEC10)
    assert data["scope"].single and data["scope"].name == "凤凰北街街道" and data["ranking"] == []
    (row,) = data["rows"]
    assert {k: row[k] for k in ("received", "approved", "refused", "decided", "late", "open", "overdue_open",
                                "overdue_tasks", "working_days", "households", "visit_targets", "visited")} == {
        "received": 0, "approved": 1, "refused": 1, "decided": 2, "late": 2, "open": 1, "overdue_open": 1,
        "overdue_tasks": 1, "working_days": 9, "households": 0, "visit_targets": 2, "visited": 1}
    assert (row["approval_rate"], row["average_days"]) == (Decimal("0.5000"), Decimal("4.5"))
    assert (row["visit_rate"], row["visit_target_rate"]) == (Decimal("0.5000"), Decimal("1.00"))
    assert row["visit_met"] is False
    assert row["stages"] == {"INVESTIGATING": 1}
    # C's deadline was 2 Dec: 3, 4, 7, 8, 9 and 10 Dec are the working days past it
    assert [(c["case_no"], c["status"], c["case_deadline"], c["days_overdue"]) for c in data["overdue"]] == [
        (built["C"], "INVESTIGATING", date(2026, 12, 2), 6)]
    assert data["monthly"][-1] == {"month": "2026-12", "approved": 1, "refused": 1}
    assert [m["month"] for m in data["monthly"]] == [f"2026-{n:02d}" for n in range(1, 13)]
    assert sum(m["approved"] + m["refused"] for m in data["monthly"]) == 2
    assert data["totals"]["received"] == 0 and data["totals"]["decided"] == 2


def test_another_townships_cases_are_not_counted_for_township_staff(factory, built):
    november = report(factory, "leader-001", "month", "2026-11", DEC10)
    assert [(r["township_code"], r["received"], r["open"]) for r in november["rows"]] == [(TOWN, 3, 1)]
    assert {c["case_no"] for c in report(factory, "leader-001", "month", "2026-12", JAN20)["overdue"]} == {built["C"]}
    with pytest.raises(NotFound):
        report(factory, "reviewer-001", "month", "2026-11", DEC10, OTHER)
    for who in ("clerk-001", "investigator-001"):
        with pytest.raises(Forbidden):
            report(factory, who, "month", "2026-11", DEC10)


def test_the_district_sees_every_township_and_can_pick_one(factory, built):
    district = report(factory, "auditor", "month", "2026-11", DEC10)
    assert len(district["rows"]) == 15 and not district["scope"].single
    assert (district["scope"].code, district["scope"].issuer) == ("640104", "兴庆区民政局")
    assert [(r["township_code"], r["received"]) for r in district["rows"] if r["received"]] == [(TOWN, 3), (OTHER, 1)]
    totals = district["totals"]
    assert (totals["received"], totals["open"], totals["overdue_open"], totals["townships"]) == (4, 2, 1, 15)
    assert totals["stages"]["INVESTIGATING"] == 1 and totals["stages"]["VERIFYING"] == 1
    # ranked: fewest overdue first, then the shortest average time; 001 (C overdue) comes last
    assert district["ranking"][-1]["township_code"] == TOWN and district["ranking"][-1]["overdue"] == 1
    picked = report(factory, "admin", "month", "2026-11", DEC10, OTHER)
    assert [(r["township_code"], r["received"], r["open"]) for r in picked["rows"]] == [(OTHER, 1, 1)]
    with pytest.raises(NotFound):
        report(factory, "auditor", "month", "2026-11", DEC10, "640104999")


def test_overdue_and_the_register_a_month_later(factory, built):
    data = report(factory, "auditor", "month", "2027-01", JAN20)
    # D's deadline: 30 working days after 30 Nov = 12 Jan; 13, 14, 15, 18, 19 and 20 Jan past it
    overdue = {c["case_no"]: (c["township_name"], c["days_overdue"]) for c in data["overdue"]}
    with unit_of_work(factory) as sess, clock.frozen(JAN20):
        since_c = sess.scalars(select(Case.case_deadline).where(Case.case_no == built["C"])).one()
        amount = sess.scalars(select(Benefit.amount)).one()
    assert since_c == date(2026, 12, 2)
    assert overdue == {built["C"]: ("凤凰北街街道", 34), built["D"]: ("解放西街街道", 6)}
    assert [c["case_no"] for c in data["overdue"]] == [built["C"], built["D"]]  # the longest overdue first
    town = row_of(data, TOWN)
    assert (town["households"], town["persons"], town["amount"]) == (1, 3, amount)
    assert amount == Decimal("1022.00")
    assert data["register_trend"][-2:] == [
        {"month": "2026-12", "households": 0, "persons": 0, "amount": Decimal("0.00")},
        {"month": "2027-01", "households": 1, "persons": 3, "amount": Decimal("1022.00")}]
    assert (data["totals"]["visit_targets"], data["totals"]["visited"]) == (2, 0)  # due again in January


def test_a_week(factory, built):
    week = report(factory, "reviewer-001", "week", "2026-W49", DEC10)  # Mon 30 Nov – Sun 6 Dec
    assert (week["period"].first, week["period"].last) == (date(2026, 11, 30), date(2026, 12, 6))
    assert week["period"].label == "2026年第49周（11月30日至12月6日）"
    (row,) = week["rows"]
    assert (row["received"], row["approved"], row["refused"], row["average_days"]) == (3, 0, 1, Decimal("3.0"))


@pytest.mark.parametrize(("kind", "value", "field"), [
    ("month", "2026-13", "month"), ("month", "2027-01", "month"), ("week", "2026-W54", "week"),
    ("week", "2026-49", "week"), ("year", "2026", "period"),
])
def test_a_wrong_period_is_refused(kind, value, field):
    with pytest.raises(Invalid) as err:
        dashboard.period_of(kind, value, date(2026, 12, 10))
    assert field in err.value.details


def test_the_current_period_by_default():
    assert dashboard.period_of("month", "", date(2026, 12, 10)).key == "2026-12"
    assert dashboard.period_of("week", "", date(2026, 12, 10)).key == "2026-W50"
    january = dashboard.period_of("month", "2027-01", date(2027, 1, 20))
    assert (january.first, january.last, january.label) == (date(2027, 1, 1), date(2027, 1, 31), "2027年1月")
    assert dashboard.period_of("week", "2026-W53", date(2027, 1, 20)).first == date(2026, 12, 28)
    assert timedelta(days=6) == dashboard.period_of("week", "2026-W53", date(2027, 1, 20)).last - date(2026, 12, 28)


def test_the_register_of_each_month_is_what_the_month_pays(factory):
    """register_by_month (grouped in SQL) agrees with benefits.amount_in_month (one benefit at a time)."""
    with unit_of_work(factory) as sess:
        add_benefit(sess, 4, "赵丽", "2026-06", "900.00", 2, changes=[("reduce", "2027-02", "500.00", 2)])
        add_benefit(sess, 2, "王伟", "2027-01", "800.00", 2)
        stopped = add_benefit(sess, 3, "刘芳", "2026-10", "620.00", 1, changes=[("stop", "2027-01", "0.00", 1)])
        twice = add_benefit(sess, 5, "陈静", "2026-11", "700.00", 3,  # two changes from one month: the later holds
                            changes=[("increase", "2027-01", "760.00", 3), ("reduce", "2027-01", "640.00", 2),
                                     ("phase_out", "2027-03", "640.00", 2)])
        add_benefit(sess, 6, "杨勇", "2026-01", "650.00", 1, town=OTHER)
        stopped.status, stopped.end_month = "TERMINATED", "2026-12"
        twice.status, twice.end_month = "TERMINATED", "2027-02"  # ended by a later step: nothing after February
        sess.flush()
        months = [f"2026-{n:02d}" for n in range(5, 13)] + [f"2027-{n:02d}" for n in range(1, 6)]
        by_month = dashboard_queries.register_by_month(sess, None, months)
        expected = {month: {} for month in months}
        for benefit in sess.scalars(select(Benefit)):
            for month in months:
                paid = benefits.amount_in_month(sess, benefit, month)
                if paid:
                    row = expected[month].setdefault(benefit.township_code, {"households": 0, "persons": 0,
                                                                             "amount": Decimal("0.00")})
                    row["households"] += 1
                    row["persons"] += paid[1]
                    row["amount"] += paid[0]
        township = dashboard_queries.register_by_month(sess, [OTHER], ["2027-01"])
    assert by_month == expected
    assert by_month["2027-01"][TOWN] == {"households": 3, "persons": 6, "amount": Decimal("2340.00")}
    assert by_month["2027-03"][TOWN] == {"households": 2, "persons": 4, "amount": Decimal("1300.00")}
    assert township == {"2027-01": {OTHER: {"households": 1, "persons": 1, "amount": Decimal("650.00")}}}
