"""County spot checks (抽查, process dibao_spot_check): the draw, the check, and a finding that reopens a case."""

import json
from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import select

from tests import factories as f
from tests.workflows.test_engine_flow import case_row, do, open_task, to_review, user
from tests.workflows.test_reviews import approved
from workflows import access, clock, numbers, queries, replay, reviews, rules, settings, specs, spot_checks
from workflows.errors import Conflict, Forbidden, Invalid, NotFound
from workflows.store import Benefit, Case, HumanTask, SpotCheckDraw, unit_of_work

TOWN = "640104001"
NOVEMBER = (date(2026, 11, 1), date(2026, 11, 27))  # drawn on Monday 30 November 2026
SEED = 20261130
DRAW_DAY = datetime(2026, 12, 21, 9, 0, tzinfo=clock.CHINA_TZ)  # a Monday, after the December decisions
DECEMBER = (date(2026, 11, 30), date(2026, 12, 18))


def decided(factory, n: int, *, near: int = 0, status: str = "APPROVED", on: date | None = date(2026, 11, 16),
            township: str = TOWN, process: str = "dibao_application") -> list[str]:
    """``n`` cases written straight into the case table (the population reads only these columns);
    the first ``near`` are 近亲属 cases. Returns their case numbers."""
    with unit_of_work(factory) as sess:
        version = specs.current_version(sess, process)
        clerk = user(sess, "clerk-001")
        nos = []
        for i in range(n):
            case_no = numbers.case_number(sess, township, 2026)
            sess.add(Case(
                case_no=case_no, process_id=process, spec_hash=version.hash, township_code=township, status=status,
                applicant_name=f"申请人{i}", applicant_id_no=f.id_number(date(1970, 1, 1), i + 1), household_size=2,
                applied_on=date(2026, 10, 1), decided_on=on, created_by_id=clerk.id, near_relative=i < near))
            nos.append(case_no)
    return nos


def draw(factory, services, period=NOVEMBER, seed=SEED, who="auditor", township=TOWN) -> int:
    with unit_of_work(factory) as sess:
        return spot_checks.draw(sess, user(sess, who), township, *period, services, seed=seed).id


def draw_row(factory, draw_id: int) -> SpotCheckDraw:
    with unit_of_work(factory) as sess:
        return sess.get(SpotCheckDraw, draw_id)


def checks(factory, draw_id: int) -> list[Case]:
    with unit_of_work(factory) as sess:
        return spot_checks.checks_of(sess, sess.get(SpotCheckDraw, draw_id))


def finding(result: str = "confirmed", detail: str = "") -> dict:
    return {"visit_date": clock.today().isoformat(), "method": "home_visit", "finding": result,
            "finding_detail": detail}


def events(factory, case_no: str) -> list[tuple[str, dict]]:
    with unit_of_work(factory) as sess:
        case = sess.scalars(select(Case).where(Case.case_no == case_no)).one()
        return [(e.kind, json.loads(e.data)) for e in queries.case_events(sess, case)]


def verified(factory, *case_nos: str) -> bool:
    with unit_of_work(factory) as sess:
        return all(replay.verify_case(sess, sess.scalars(select(Case).where(Case.case_no == no)).one()).verified
                   for no in case_nos)


def test_every_near_relative_case_and_30_percent_of_the_others_are_drawn(factory, services, at_monday):
    others = decided(factory, 7)
    near = decided(factory, 2, near=2, status="REFUSED")
    decided(factory, 1, on=date(2026, 10, 30))  # before the period
    decided(factory, 1, status="REVIEWING", on=None)  # not decided
    decided(factory, 1, township="640104002")  # another township
    decided(factory, 1, status="REVIEWED", process="dibao_review")  # a review, not an application
    row = draw_row(factory, draw(factory, services))
    assert row.population == sorted(others + near) and row.near_relative == near
    assert len(row.sample) == 2 + 3  # ceil(0.30 × 7) = ceil(2.1)
    assert set(near) <= set(row.sample) and row.sample == sorted(row.sample)
    assert (row.ratio, row.seed, row.decided_from, row.decided_to) == ("0.30", str(SEED), *NOVEMBER)
    assert spot_checks.reproduce(row) == row.sample
    due = rules.add_working_days(date(2026, 11, 30), 20)
    for check in checks(factory, row.id):
        assert (check.process_id, check.status, check.township_code, check.is_active) == (
            "dibao_spot_check", "SPOT_CHECK", TOWN, True)
        task = open_task(factory, check.case_no)
        assert (task.task_spec, task.role, task.due_on) == ("spot_check", "county_auditor", due)
        kind, started = events(factory, check.case_no)[0]
        assert kind == "spot_check_started" and started["form"]["draw"]["seed"] == str(SEED)
        subject = started["form"]["subject_case_no"]
        assert subject in row.sample and case_row(factory, subject).id == check.subject_case_id
        assert started["form"]["sampled_as"] == ("near_relative" if subject in near else "random")
    assert sorted(events(factory, c.case_no)[0][1]["form"]["subject_case_no"] for c in checks(factory, row.id)) == \
        row.sample
    with unit_of_work(factory) as sess:
        assert spot_checks.check_draw(sess, sess.get(SpotCheckDraw, row.id)) == []
        assert [d.id for d in spot_checks.draws(sess, user(sess, "auditor"))] == [row.id]
        with pytest.raises(Forbidden):
            spot_checks.draws(sess, user(sess, "leader-001"))


def test_the_seed_decides_the_sample_and_is_recorded(factory, services, at_monday):
    population = [f"640104001-2026-{i:05d}" for i in range(1, 21)]
    first = spot_checks.sample_of(population, [], "0.30", "1")
    assert first == spot_checks.sample_of(population, [], "0.30", "1") and len(first) == 6
    assert spot_checks.sample_of(population, [], "0.30", "2") != first
    many = [f"640104001-2026-{i:05d}" for i in range(1, 26)]
    assert len(spot_checks.sample_of(many, [], "0.28", "7")) == 7  # exact: as a float, 0.28 × 25 is 7.000…01 → 8
    decided(factory, 4)
    draw_id = draw(factory, services, seed=None)
    with unit_of_work(factory) as sess:
        row = sess.get(SpotCheckDraw, draw_id)
        assert row.seed.isdigit() and int(row.seed) < 2 ** 64
        assert spot_checks.reproduce(row) == row.sample and len(row.sample) == 2
        row.sample = sorted(set(row.population) - set(row.sample))  # an edited record is found out
        problems = spot_checks.check_draw(sess, row)
        sess.rollback()
    assert "按记录的随机种子和比例抽取，结果与记录的样本不一致" in problems
    assert any("未启动抽查核查" in p for p in problems)


@pytest.mark.parametrize("who", ["clerk-001", "reviewer-001", "leader-001", "admin"])
def test_only_county_auditors_draw(factory, services, at_monday, who):
    decided(factory, 3)
    with pytest.raises(Forbidden):
        draw(factory, services, who=who)
    with unit_of_work(factory) as sess:
        assert sess.scalars(select(SpotCheckDraw)).all() == []
        assert sess.scalars(select(Case).where(Case.process_id == "dibao_spot_check")).all() == []


def test_periods_that_cannot_be_drawn(factory, services, at_monday):
    with pytest.raises(Conflict):  # nothing decided
        draw(factory, services)
    decided(factory, 3, on=date(2026, 11, 30))
    with pytest.raises(Invalid):  # not over yet: decisions made later today would be left out
        draw(factory, services, period=(date(2026, 11, 1), date(2026, 11, 30)))
    with pytest.raises(Invalid):
        draw(factory, services, period=(date(2026, 11, 20), date(2026, 11, 10)))
    with pytest.raises(NotFound):
        draw(factory, services, township="640104999")
    decided(factory, 3)
    draw(factory, services)
    with pytest.raises(Conflict):  # the same cases may not be drawn again until the sample suits
        draw(factory, services, period=(date(2026, 11, 10), date(2026, 11, 29)), seed=1)


def test_a_confirmed_finding_ends_the_check(factory, services, at_monday):
    subject = decided(factory, 1)[0]
    check = checks(factory, draw(factory, services))[0]
    with pytest.raises(Invalid) as err:  # a problem must be described
        do(factory, services, check.case_no, "auditor", finding("problem"))
    assert "finding_detail" in err.value.details
    with pytest.raises(Forbidden):
        do(factory, services, check.case_no, "leader-001", finding())
    do(factory, services, check.case_no, "auditor", finding())
    done = case_row(factory, check.case_no)
    assert done.status == "CHECKED" and not done.is_active
    with unit_of_work(factory) as sess:
        assert sess.scalars(select(HumanTask).where(HumanTask.case_id == done.id)).all() == []
    assert [k for k, _ in events(factory, check.case_no)] == ["spot_check_started", "task_completed"]
    assert events(factory, subject) == []  # nothing to refer
    assert verified(factory, check.case_no)


def test_a_problem_on_an_approved_case_starts_a_review_of_its_benefit(factory, services, at_monday):
    benefit_id = approved(factory, services)  # decided on Tuesday 8 December 2026
    with clock.frozen(DRAW_DAY):
        with unit_of_work(factory) as sess, pytest.raises(Invalid):  # a clerk cannot claim a spot check's reason
            reviews.start_review(sess, user(sess, "clerk-001"), benefit_id,
                                 {"review_reason": "spot_check", "change_report": "x"}, services)
        check = checks(factory, draw(factory, services, period=DECEMBER))[0]
        problem = "入户发现家中新购小型轿车一辆，与认定情况不符。"
        do(factory, services, check.case_no, "auditor", finding("problem", problem))
    with unit_of_work(factory) as sess:
        application = sess.get(Case, sess.get(Benefit, benefit_id).case_id)
        review = sess.scalars(select(Case).where(Case.benefit_id == benefit_id)).one()
        assert (review.process_id, review.status, review.is_active) == ("dibao_review", "VERIFYING", True)
        assert queries.case_data(sess, case_row(factory, check.case_no))["spot_check_problem"] is True
    assert case_row(factory, check.case_no).status == "CHECK_PROBLEM"
    kind, started = events(factory, review.case_no)[0]
    assert kind == "review_started"
    assert (started["form"]["review_reason"], started["form"]["change_report"],
            started["form"]["spot_check_case_no"]) == ("spot_check", problem, check.case_no)
    assert events(factory, check.case_no)[-1] == ("finding_referred", {
        "subject_case_no": application.case_no, "outcome": "review_started", "review_case_no": review.case_no})
    kind, recorded = events(factory, application.case_no)[-1]
    assert kind == "spot_check_problem_recorded" and recorded["finding_detail"] == problem
    assert verified(factory, check.case_no, review.case_no, application.case_no)


def test_a_problem_while_a_review_is_under_way_goes_with_that_review(factory, services, at_monday):
    benefit_id = approved(factory, services)
    with clock.frozen(DRAW_DAY):
        with unit_of_work(factory) as sess:
            running = reviews.start_review(sess, user(sess, "clerk-001"), benefit_id,
                                           {"review_reason": "reported_change", "change_report": "配偶就业"},
                                           services).case.case_no
        check = checks(factory, draw(factory, services, period=DECEMBER))[0]
        do(factory, services, check.case_no, "auditor", finding("problem", "家庭人口与认定不符。"))
    assert events(factory, check.case_no)[-1][1] | {"subject_case_no": None} == {
        "subject_case_no": None, "outcome": "review_under_way", "review_case_no": running}
    with unit_of_work(factory) as sess:
        assert sess.scalars(select(Case.case_no).where(Case.benefit_id == benefit_id)).all() == [running]
    assert verified(factory, check.case_no, running)


def test_a_problem_on_a_refused_case_is_recorded_for_the_township(factory, services, at_monday):
    sub = f.registration()
    for m, income in zip(sub["members"], ("1500", "900", "0"), strict=True):
        m["monthly_income"] = income
    refused = to_review(factory, services, sub)
    do(factory, services, refused, "reviewer-001", f.review("propose_refuse"))
    do(factory, services, refused, "leader-001", f.leader("reject", "经集体研究不予批准"))
    with clock.frozen(DRAW_DAY):
        check = checks(factory, draw(factory, services, period=DECEMBER))[0]
        do(factory, services, check.case_no, "auditor", finding("problem", "申报收入中含一次性补偿，应予重新认定。"))
    assert case_row(factory, check.case_no).status == "CHECK_PROBLEM"
    assert events(factory, check.case_no)[-1][1]["outcome"] == "recorded"
    with unit_of_work(factory) as sess:
        assert sess.scalars(select(Case).where(Case.process_id == "dibao_review")).all() == []
        subject = access.case_for(sess, user(sess, "clerk-001"), refused)  # the township sees it
        assert [c.case_no for c in spot_checks.checks_about(sess, subject)] == [check.case_no]
    assert events(factory, refused)[-1][0] == "spot_check_problem_recorded"
    assert verified(factory, check.case_no, refused)


def test_a_later_ratio_does_not_change_an_earlier_draw(factory, services, at_monday):
    decided(factory, 7)
    first = draw(factory, services)
    with unit_of_work(factory) as sess:
        settings.set_value(sess, "dibao.spot_check.ratio", "640104", date(2026, 12, 1), "0.50", "test")
    decided(factory, 7, on=date(2026, 12, 2))
    with clock.frozen(f.MONDAY + timedelta(days=7)):
        second = draw(factory, services, period=(date(2026, 12, 1), date(2026, 12, 4)))
        with unit_of_work(factory) as sess:
            before, after = sess.get(SpotCheckDraw, first), sess.get(SpotCheckDraw, second)
            assert (before.ratio, len(before.sample)) == ("0.30", 3)
            assert spot_checks.reproduce(before) == before.sample and spot_checks.check_draw(sess, before) == []
            assert (after.ratio, len(after.sample)) == ("0.50", 4)  # ceil(3.5)
