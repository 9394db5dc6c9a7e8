"""探访 (visits to key people): targets from the benefit register and by hand, visits (recorded through their
visit cases: tests/workflows/test_visit_cases.py for the process), the monthly rate."""

from datetime import date, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from tests import factories as f
from tests.workflows.test_engine_flow import user
from tests.workflows.test_reviews import approved
from workflows import clock, visit_cases, visits
from workflows.errors import Forbidden, Invalid
from workflows.store import Benefit, VisitTarget, unit_of_work

TOWN = "640104001"
DEC10 = datetime(2026, 12, 10, 9, 0, tzinfo=clock.CHINA_TZ)  # after the approval of 8 December


def month_targets(factory, month: str) -> dict[str, tuple[str, str]]:
    with unit_of_work(factory) as sess:
        return {t.name: (t.category, t.source) for t in visits.targets_of_month(sess, TOWN, month)}


def target_id(factory, name: str) -> int:
    with unit_of_work(factory) as sess:
        return next(t.id for t in visits.targets_of_month(sess, TOWN, "2026-12") if t.name == name)


def visit(factory, services, name: str, who: str = "investigator-001", on: date = date(2026, 12, 10),
          method: str = "home"):
    """Record a visit through the person's visit case (the month's, or a further one)."""
    form = {"visited_on": on.isoformat(), "method": method, "notes": "生活情况良好。"}
    with unit_of_work(factory) as sess, clock.frozen(DEC10):
        return visit_cases.record_visit(sess, user(sess, who), target_id(factory, name), form, services)


def rate(factory, month: str = "2026-12") -> dict:
    with unit_of_work(factory) as sess:
        return visits.monthly_rate(sess, TOWN, month)


def test_key_people_are_visited_monthly_and_the_rate_is_reported(factory, services, at_monday):
    sub = f.registration()
    sub["members"][1].update(disability_level="1", disability_kind="physical")  # 李建国: 重度残疾
    approved(factory, services, sub)
    with unit_of_work(factory) as sess, clock.frozen(DEC10):
        assert visits.sync_targets(sess, TOWN) == {"added": 2, "ended": 0}
        assert visits.sync_targets(sess, TOWN) == {"added": 0, "ended": 0}  # repeatable
        visits.register_target(sess, user(sess, "clerk-001"), TOWN, f.id_number(date(1940, 1, 1), 5), "马老汉",
                               "elderly", "孤寡老人，独居")
        for who in ("clerk-002", "auditor"):
            with pytest.raises(Forbidden):
                visits.register_target(sess, user(sess, who), TOWN, f.id_number(date(1941, 1, 1), 7), "某某", "other")
        with pytest.raises(Invalid) as twice:  # already a target
            visits.register_target(sess, user(sess, "clerk-001"), TOWN, f.id_number(date(1940, 1, 1), 5), "马老汉",
                                   "elderly", "孤寡老人，独居")
        assert twice.value.details == {"id_no": "该人员已是本乡镇（街道）的探访对象"}
    assert month_targets(factory, "2026-12") == {
        "李建国": ("severe", "register"), "李小明": ("minor", "register"), "马老汉": ("elderly", "manual")}
    assert rate(factory) | {"target_rate": None} == {
        "month": "2026-12", "targets": 3, "visited": 0, "rate": Decimal("0"), "target_rate": None, "met": False}
    visit(factory, services, "李建国")
    visit(factory, services, "李小明", who="investigator2-001", method="phone")
    visit(factory, services, "李小明")  # a second visit in the month counts once
    with unit_of_work(factory) as sess, clock.frozen(DEC10):  # 马老汉 has no case yet (the worker makes it)
        assert [t.name for t in visit_cases.unscheduled(sess, TOWN, "2026-12", clock.today())] == ["马老汉"]
    assert (rate(factory)["visited"], rate(factory)["rate"], rate(factory)["met"]) == (2, Decimal("0.6667"), False)
    visit(factory, services, "马老汉")
    december = rate(factory)
    assert (december["rate"], december["target_rate"], december["met"]) == (Decimal("1.0000"), Decimal("1.00"), True)
    assert (rate(factory, "2027-01")["targets"], rate(factory, "2027-01")["visited"]) == (3, 0)  # due again


@pytest.mark.parametrize(("changes", "error_field"), [
    ({"on": date(2026, 12, 11)}, "visited_on"),  # in the future
    ({"on": date(2026, 11, 30)}, "visited_on"),  # before the person became a target
    ({"method": "email"}, "method"),
])
def test_a_wrong_visit_record_is_refused(factory, services, at_monday, changes, error_field):
    with unit_of_work(factory) as sess, clock.frozen(DEC10):
        visits.register_target(sess, user(sess, "clerk-001"), TOWN, f.id_number(date(1940, 1, 1), 5), "马老汉",
                               "elderly", "孤寡老人，独居")
    with pytest.raises(Invalid) as refused:
        visit(factory, services, "马老汉", **changes)
    assert error_field in refused.value.details
    for who in ("leader-002", "clerk-001"):  # another township; not the investigators' (the 探访 task's lane)
        with pytest.raises(Forbidden):
            visit(factory, services, "马老汉", who=who)


def test_who_is_a_key_person():
    on = date(2026, 12, 10)

    def member(name, born, seq, **extra):
        return {"name": name, "id_no": f.id_number(born, seq), "disability_level": "0", "disability_kind": "",
                "serious_illness": False, **extra}

    old_couple = [member("甲", date(1950, 1, 1), 1), member("乙", date(1955, 1, 1), 2)]
    assert visits.categories_of(old_couple, on, 60, 18) == {
        m["id_no"]: (m["name"], "elderly") for m in old_couple}  # 空巢: everyone counted is elderly
    with_son = [*old_couple, member("丙", date(1985, 1, 1), 3)]
    assert visits.categories_of(with_son, on, 60, 18) == {}  # living with a younger adult: not a key person
    mixed = [member("丁", date(1985, 1, 1), 5, serious_illness=True), member("戊", date(2010, 1, 1), 7),
             member("己", date(2015, 1, 1), 9, disability_level="3", disability_kind="mental")]
    assert [c for _name, c in visits.categories_of(mixed, on, 60, 18).values()] == ["severe", "minor", "severe"]


def test_targets_end_when_the_household_leaves_the_register(factory, services, at_monday):
    approved(factory, services)
    with unit_of_work(factory) as sess, clock.frozen(DEC10):
        visits.sync_targets(sess, TOWN)
        visits.register_target(sess, user(sess, "clerk-001"), TOWN, f.id_number(date(1940, 1, 1), 5), "马老汉",
                               "elderly", "孤寡老人，独居")
    assert set(month_targets(factory, "2026-12")) == {"李小明", "马老汉"}
    with unit_of_work(factory) as sess:
        sess.scalars(select(Benefit)).one().status = "TERMINATED"
    with unit_of_work(factory) as sess, clock.frozen(DEC10 + timedelta(days=36)):  # 15 January 2027
        assert visits.sync_targets(sess, TOWN, date(2027, 1, 15)) == {"added": 0, "ended": 1}
        gone = sess.get(VisitTarget, target_id(factory, "李小明"))
        assert (gone.until, gone.ended_by_id, gone.end_reason) == (date(2027, 1, 14), None, visits.SYNC_END_REASON)
        assert gone.ended_at == DEC10 + timedelta(days=36)
        visits.end_target(sess, user(sess, "clerk-001"), target_id(factory, "马老汉"), date(2027, 1, 31),
                          "迁往外地子女家居住")
    assert set(month_targets(factory, "2027-01")) == {"李小明", "马老汉"}  # still due for part of January
    assert month_targets(factory, "2027-02") == {}
    with pytest.raises(Invalid):
        rate(factory, "2027-13")
    assert rate(factory, "2027-02")["rate"] == Decimal("1.0000")  # nobody to visit


LEFT_BEHIND = f.id_number(date(2015, 3, 4), 9)


def end(factory, who: str = "clerk-001", last_day: date | None = date(2026, 12, 20), reason: str = "随父母迁往外地"):
    with unit_of_work(factory) as sess, clock.frozen(DEC10):
        return visits.end_target(sess, user(sess, who), target_id(factory, "小芳"), last_day, reason)


@pytest.mark.parametrize(("changes", "error_field"), [
    ({"note": ""}, "note"),  # a reason is required
    ({"category": "rich"}, "category"),
    ({"id_no": "640104201503040000"}, "id_no"),  # wrong check character
    ({"name": " "}, "name"),
])
def test_a_target_registered_by_hand_needs_a_category_and_a_reason(factory, at_monday, changes, error_field):
    given = {"id_no": LEFT_BEHIND, "name": "小芳", "category": "left_behind", "note": "村委会报告：父母外出务工"}
    given |= changes
    with unit_of_work(factory) as sess, pytest.raises(Invalid) as refused:
        visits.register_target(sess, user(sess, "clerk-001"), TOWN, **given)
    assert set(refused.value.details) == {error_field}


def test_a_target_is_registered_and_ended_by_hand_with_who_when_and_why(factory, services, at_monday):
    approved(factory, services)
    with unit_of_work(factory) as sess, clock.frozen(DEC10):
        visits.sync_targets(sess, TOWN)
        made = visits.register_target(sess, user(sess, "investigator-001"), TOWN, LEFT_BEHIND.lower(), "小芳",
                                      "left_behind", "村委会报告：父母外出务工，随祖母生活")
        assert (made.source, made.since, made.registered_by_id) == ("manual", date(2026, 12, 10),
                                                                     user(sess, "investigator-001").id)
        assert made.id_no == LEFT_BEHIND  # normalised
    visit(factory, services, "小芳", on=date(2026, 12, 10))
    with unit_of_work(factory) as sess, clock.frozen(DEC10), pytest.raises(Invalid) as register:
        visits.end_target(sess, user(sess, "clerk-001"), target_id(factory, "李小明"), reason="已成年")
    assert "在保登记簿" in register.value.message("zh")  # register-derived targets end with the register
    with pytest.raises(Forbidden):
        end(factory, who="clerk-002")
    for last_day, reason, field in ((date(2026, 12, 9), "迁出", "last_day"), (date(2026, 12, 20), " ", "reason")):
        with pytest.raises(Invalid) as refused:
            end(factory, last_day=last_day, reason=reason)
        assert set(refused.value.details) == {field}
    ended = end(factory)
    assert (ended.until, ended.ended_at, ended.end_reason) == (date(2026, 12, 20), DEC10, "随父母迁往外地")
    assert ended.note == "村委会报告：父母外出务工，随祖母生活"  # the registration's reason, unchanged
    with unit_of_work(factory) as sess:
        assert ended.ended_by_id == user(sess, "clerk-001").id
    assert month_targets(factory, "2026-12")["小芳"] == ("left_behind", "manual")  # due in December still
    assert "小芳" not in month_targets(factory, "2027-01")
    with unit_of_work(factory) as sess, clock.frozen(datetime(2026, 12, 21, 9, tzinfo=clock.CHINA_TZ)):
        with pytest.raises(Invalid):  # ended already
            visits.end_target(sess, user(sess, "clerk-001"), ended.id, reason="重复")
        page = visits.targets_of_township(sess, user(sess, "leader-001"), TOWN, date(2026, 12, 1))
        assert [t.name for t in page["ended"]] == ["小芳"] and "小芳" not in [t.name for t in page["active"]]
        assert page["staff"][ended.registered_by_id].username == "investigator-001"
        assert page["staff"][ended.ended_by_id].username == "clerk-001"
        with pytest.raises(Forbidden):
            visits.targets_of_township(sess, user(sess, "auditor"), TOWN, date(2026, 12, 1))
