"""探访 as a process (dibao_visit), on the engine with a set clock across months: the month's cases
scheduled once per target (and guarded by the database), visits recorded through the task, the due day
escalated to the leader, the month closed as 未探访, further visits, a change found sent to a review or a
follow-up, the rate counted from the visits the cases wrote, and replay of visit cases."""

import json
from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from tests import drive
from tests import factories as f
from tests.workflows.test_reviews import approved
from workflows import clock, queries, replay, visit_cases, visits
from workflows.errors import Conflict, Forbidden, Invalid
from workflows.store import (
    Benefit,
    Case,
    CaseEvent,
    HumanTask,
    User,
    Visit,
    VisitCase,
    VisitScheduleRun,
    VisitTarget,
    unit_of_work,
)

TOWN = "640104001"
CN = clock.CHINA_TZ
DEC10 = datetime(2026, 12, 10, 9, 0, tzinfo=CN)  # after the approval of Tuesday 8 December
HOME = {"visited_on": "2026-12-10", "method": "home", "notes": "生活情况良好。"}
MA = f.id_number(date(1940, 1, 1), 5)


def household(factory, services) -> int:
    """An approved household with two key people (李建国 severely disabled, 李小明 a minor); its benefit."""
    sub = f.registration()
    sub["members"][1].update(disability_level="1", disability_kind="physical")
    return approved(factory, services, sub)


def schedule(factory, services, at=DEC10) -> int:
    """The township's visits scheduled at ``at``; how many cases started."""
    with clock.frozen(at):
        return visit_cases.schedule_township(factory, TOWN, services)["started"]


def target_id(factory, name: str) -> int:
    with unit_of_work(factory) as sess:
        return sess.scalars(select(VisitTarget.id).where(VisitTarget.name == name)).first()


def record(factory, services, name: str, who="investigator-001", at=DEC10, task_id=None, **form):
    with clock.frozen(at), unit_of_work(factory) as sess:
        return visit_cases.record_visit(sess, drive.user(sess, who), target_id(factory, name), {**HOME, **form},
                                        services, task_id).case.case_no


def cases(factory, name: str) -> list[tuple[str, int, str, str]]:
    """The person's visit cases: (month, number in the month, status, case number)."""
    with unit_of_work(factory) as sess:
        rows = sess.execute(select(VisitCase.month, VisitCase.seq, Case.status, Case.case_no)
                            .join(Case, Case.id == VisitCase.case_id).where(VisitCase.target_id == target_id(
                                factory, name)).order_by(VisitCase.month, VisitCase.seq))
        return [tuple(r) for r in rows]


def open_tasks(factory) -> list[HumanTask]:
    with unit_of_work(factory) as sess:
        return list(sess.scalars(select(HumanTask).order_by(HumanTask.created_at, HumanTask.id)))


def rate(factory, month="2026-12") -> tuple[int, int, str]:
    with unit_of_work(factory) as sess:
        found = visits.monthly_rate(sess, TOWN, month)
        return found["targets"], found["visited"], str(found["rate"])


def test_the_month_s_visits_are_scheduled_once_and_recorded_through_their_task(factory, services, at_monday):
    household(factory, services)
    assert schedule(factory, services) == 2
    with unit_of_work(factory) as sess, clock.frozen(DEC10):
        assert visit_cases.townships_due(sess, clock.today()) == [
            t for t in visit_cases.townships_due(sess, clock.today()) if t != TOWN]  # done for the day
        assert sess.get(VisitScheduleRun, TOWN).scheduled_on == date(2026, 12, 10)
    assert schedule(factory, services) == 0  # idempotent: every target has its case
    tasks = open_tasks(factory)
    assert [(t.task_spec, t.role, t.township_code, t.title, t.due_on) for t in tasks] == [
        ("visit", "investigator", TOWN, "探访", date(2026, 12, 25))] * 2
    with unit_of_work(factory) as sess:
        case = sess.get(Case, tasks[0].case_id)
        assert (case.process_id, case.status, case.household_size) == ("dibao_visit", "VISIT_DUE", 1)
        assert sess.get(User, case.created_by_id).username == visit_cases.SCHEDULER
        assert queries.case_data(sess, case)["visit_month"] == "2026-12"
    with pytest.raises(IntegrityError), unit_of_work(factory) as sess:  # the database's guard
        other = sess.scalars(select(Case.id).where(Case.process_id == "dibao_application")).one()
        sess.add(VisitCase(case_id=other, target_id=target_id(factory, "李建国"), township_code=TOWN,
                           month="2026-12", seq=1))
        sess.flush()
    with pytest.raises(Conflict), unit_of_work(factory) as sess, clock.frozen(DEC10):  # a second one of the month
        target = sess.get(VisitTarget, target_id(factory, "李建国"))
        visit_cases.start_case(sess, drive.user(sess, "clerk-001"), target, "2026-12", services)

    assert rate(factory) == (2, 0, "0.0000")
    with pytest.raises(Forbidden):  # the visit is the investigators' lane
        record(factory, services, "李建国", who="clerk-001")
    with pytest.raises(Forbidden):
        record(factory, services, "李建国", who="investigator-002")
    case_no = record(factory, services, "李建国")
    assert cases(factory, "李建国") == [("2026-12", 1, "VISITED", case_no)]
    with unit_of_work(factory) as sess:
        (visit,) = sess.scalars(select(Visit))
        assert (visit.visited_on, visit.method, visit.notes) == (date(2026, 12, 10), "home", "生活情况良好。")
        assert sess.get(User, visit.staff_id).username == "investigator-001"
        assert sess.get(Case, visit.case_id).case_no == case_no
    assert rate(factory) == (2, 1, "0.5000")
    assert [t.task_spec for t in open_tasks(factory)] == ["visit"]  # 李小明 still due


def test_a_person_registered_by_hand_gets_the_month_s_case_at_once(factory, services, at_monday):
    with unit_of_work(factory) as sess, clock.frozen(DEC10):
        target, result = visit_cases.register_target(
            sess, drive.user(sess, "clerk-001"), TOWN,
            {"id_no": MA, "name": "马老汉", "category": "elderly", "note": "孤寡老人，独居"}, services)
        assert (result.case.status, result.case.applicant_name, target.source) == ("VISIT_DUE", "马老汉", "manual")
    assert [(c[0], c[1], c[2]) for c in cases(factory, "马老汉")] == [("2026-12", 1, "VISIT_DUE")]
    assert schedule(factory, services) == 0  # nothing more to start
    with pytest.raises(Invalid) as early:  # the month's case: the date must be within the person's period
        record(factory, services, "马老汉", visited_on="2026-12-09")
    assert early.value.details == {"visited_on": "探访日期不在该对象的探访期间内"}
    with pytest.raises(Invalid) as future:
        record(factory, services, "马老汉", visited_on="2026-12-11")
    assert future.value.details == {"visited_on": "探访日期不能晚于今天"}


def test_an_open_visit_is_escalated_on_its_due_day_and_closed_as_missed_after_the_month(factory, services,
                                                                                        at_monday):
    household(factory, services)
    schedule(factory, services)
    assert drive.tick(factory, services, datetime(2026, 12, 25, 18, 0, tzinfo=CN)) == 0  # due that day
    assert drive.tick(factory, services, datetime(2026, 12, 26, 0, 5, tzinfo=CN)) == 2
    tasks = open_tasks(factory)
    assert [(t.due_on, t.escalated_at is not None) for t in tasks] == [(date(2026, 12, 25), True)] * 2
    with unit_of_work(factory) as sess, clock.frozen(datetime(2026, 12, 26, 9, 0, tzinfo=CN)):
        escalated = queries.task_queue(sess, drive.user(sess, "investigator-001"), "overdue")
        assert len(escalated) == 2 and all(r.urgency == "overdue" for r in escalated)
    # recorded in the days after the month: counts for December (closes 3 working days after 31 Dec:
    # 1 January 2027 is a holiday, so at the end of Wednesday 6 January)
    record(factory, services, "李建国", at=datetime(2027, 1, 5, 10, tzinfo=CN), visited_on="2026-12-30")
    assert drive.tick(factory, services, datetime(2027, 1, 6, 23, 0, tzinfo=CN)) == 0
    assert drive.tick(factory, services, datetime(2027, 1, 7, 0, 5, tzinfo=CN)) == 1
    assert [c[2] for c in cases(factory, "李小明")] == ["VISIT_MISSED"]
    assert [c[2] for c in cases(factory, "李建国")] == ["VISITED"]
    assert open_tasks(factory) == []
    assert rate(factory) == (2, 1, "0.5000")  # final
    with pytest.raises(Invalid) as closed:
        record(factory, services, "李小明", at=datetime(2027, 1, 7, 9, tzinfo=CN), visited_on="2026-12-31")
    assert closed.value.details == {"visited_on": "该月探访已结案，不能再登记"}
    # January: the worker's first pass of a later day starts January's cases
    assert schedule(factory, services, datetime(2027, 1, 7, 0, 10, tzinfo=CN)) == 2
    assert [t.due_on for t in open_tasks(factory)] == [date(2027, 1, 25)] * 2
    assert rate(factory, "2027-01") == (2, 0, "0.0000")


def test_a_further_visit_in_the_month_is_a_case_of_its_own_and_a_double_submit_is_refused(factory, services,
                                                                                         at_monday):
    household(factory, services)
    schedule(factory, services)
    (task,) = [t for t in open_tasks(factory) if t.case_id == drive.open_task(
        factory, cases(factory, "李建国")[0][3]).case_id]
    record(factory, services, "李建国", task_id=task.id)
    with pytest.raises(Conflict):  # the same form posted again (the page names its task)
        record(factory, services, "李建国", task_id=task.id)
    later = datetime(2026, 12, 14, 9, tzinfo=CN)
    record(factory, services, "李建国", who="investigator2-001", at=later, visited_on="2026-12-14", method="phone")
    assert [(c[0], c[1], c[2]) for c in cases(factory, "李建国")] == [
        ("2026-12", 1, "VISITED"), ("2026-12", 2, "VISITED")]
    with unit_of_work(factory) as sess:
        assert [(v.visited_on.day, v.method) for v in sess.scalars(select(Visit).order_by(Visit.id))] == [
            (10, "home"), (14, "phone")]
    assert rate(factory) == (2, 1, "0.5000")  # one person visited twice counts once


def test_a_change_found_starts_a_review_of_a_household_on_the_benefit(factory, services, at_monday):
    benefit_id = household(factory, services)
    schedule(factory, services)
    case_no = record(factory, services, "李小明", change_found=True, change_detail="李建国已外出务工，月收入约3000元。")
    with unit_of_work(factory) as sess:
        visit_case = sess.scalars(select(Case).where(Case.case_no == case_no)).one()
        review = sess.scalars(select(Case).where(Case.process_id == "dibao_review")).one()
        assert (visit_case.status, review.status, review.benefit_id) == ("VISITED_REFERRED", "VERIFYING",
                                                                        benefit_id)
        data = queries.case_data(sess, review)
        assert (data["review_reason"], data["visit_case_no"]) == ("reported_change", case_no)
        assert data["change_report"] == f"探访发现（{case_no}）：李建国已外出务工，月收入约3000元。"
        kinds = [e.kind for e in sess.scalars(select(CaseEvent).where(CaseEvent.case_id == visit_case.id)
                                              .order_by(CaseEvent.seq))]
        assert kinds == ["visit_started", "task_completed", "visit_change_referred"]
        assert queries.case_data(sess, visit_case)["on_benefit"] is True
        assert replay.verify_case(sess, visit_case).verified
    # another change while the review is under way: noted for it, no second review
    record(factory, services, "李建国", change_found=True, change_detail="同上。")
    with unit_of_work(factory) as sess:
        assert len(list(sess.scalars(select(Case).where(Case.process_id == "dibao_review")))) == 1
        last = sess.scalars(select(CaseEvent).where(CaseEvent.kind == "visit_change_referred")
                            .order_by(CaseEvent.id.desc())).first()
        assert json.loads(last.data)["outcome"] == "review_under_way"
    with pytest.raises(Invalid) as missing:  # a change needs its description
        record(factory, services, "李建国", change_found=True, change_detail="")
    assert set(missing.value.details) == {"change_detail"}


def test_a_change_found_on_a_person_not_on_the_benefit_goes_to_the_window_for_a_follow_up(factory, services,
                                                                                          at_monday):
    with unit_of_work(factory) as sess, clock.frozen(DEC10):
        visit_cases.register_target(sess, drive.user(sess, "clerk-001"), TOWN, {
            "id_no": MA, "name": "马老汉", "category": "elderly", "note": "孤寡老人，独居"}, services)
    case_no = record(factory, services, "马老汉", change_found=True, change_detail="老人摔伤住院，无人照料。")
    task = drive.open_task(factory, case_no)
    assert (task.task_spec, task.role, task.due_on) == ("follow_up", "clerk", date(2026, 12, 17))  # 5 working days
    assert drive.case_row(factory, case_no).status == "VISIT_FOLLOW_UP"
    assert rate(factory) == (1, 1, "1.0000")  # visited: the follow-up does not undo that
    with clock.frozen(DEC10 + timedelta(days=1)):
        drive.do(factory, services, case_no, "clerk-001", {"follow_up_action": "temp_assistance",
                                                           "follow_up_note": "已受理临时救助申请。"})
    assert drive.case_row(factory, case_no).status == "VISITED"
    with unit_of_work(factory) as sess:
        assert replay.verify_case(sess, drive.case_row(factory, case_no)).verified


def test_replay_reproduces_visit_cases_and_finds_an_edited_visit(factory, services, at_monday):
    household(factory, services)
    schedule(factory, services)
    visited = record(factory, services, "李建国", method="phone")
    drive.tick(factory, services, datetime(2026, 12, 26, 0, 5, tzinfo=CN))
    drive.tick(factory, services, datetime(2027, 1, 7, 0, 5, tzinfo=CN))
    missed = cases(factory, "李小明")[0][3]
    with unit_of_work(factory) as sess:
        for case_no in (visited, missed):
            result = replay.verify_case(sess, drive.case_row(factory, case_no))
            assert result.verified, result.as_dict()
        sess.scalars(select(Visit)).one().notes = "改过的记录"
    with unit_of_work(factory) as sess:
        problems = replay.verify_case(sess, drive.case_row(factory, visited)).problems
        assert problems == [f"探访案件 {visited}：探访记录与办结时登记的不一致（探访记录被改动、增加或删除）"]


def test_ending_a_person_cancels_the_open_case_of_a_later_month(factory, services, at_monday):
    with unit_of_work(factory) as sess, clock.frozen(DEC10):
        visit_cases.register_target(sess, drive.user(sess, "clerk-001"), TOWN, {
            "id_no": MA, "name": "马老汉", "category": "elderly", "note": "孤寡老人，独居"}, services)
    record(factory, services, "马老汉")
    jan4 = datetime(2027, 1, 4, 9, tzinfo=CN)
    assert schedule(factory, services, jan4) == 1
    with unit_of_work(factory) as sess, clock.frozen(jan4):  # reported late: moved away at the end of December
        ended = visit_cases.end_target(sess, drive.user(sess, "clerk-001"), target_id(factory, "马老汉"),
                                       date(2026, 12, 31), "随子女迁往外地", services)
        assert (ended.until, ended.end_reason, ended.ended_at) == (date(2026, 12, 31), "随子女迁往外地", jan4)
        assert ended.ended_by_id == drive.user(sess, "clerk-001").id
    assert [(c[0], c[2]) for c in cases(factory, "马老汉")] == [("2026-12", "VISITED"), ("2027-01", "VISIT_CANCELLED")]
    assert open_tasks(factory) == []
    assert rate(factory, "2027-01") == (0, 0, "1.0000")


def test_a_person_registered_after_the_due_day_is_overdue_and_escalated_at_once(factory, services, at_monday):
    dec28 = datetime(2026, 12, 28, 9, 0, tzinfo=CN)
    with unit_of_work(factory) as sess, clock.frozen(dec28):
        visit_cases.register_target(sess, drive.user(sess, "clerk-001"), TOWN, {
            "id_no": MA, "name": "马老汉", "category": "elderly", "note": "孤寡老人，独居"}, services)
    (task,) = open_tasks(factory)
    assert (task.due_on, task.escalated_at) == (date(2026, 12, 25), dec28)  # the leader chases it from the start
    with unit_of_work(factory) as sess, clock.frozen(dec28):
        (row,) = queries.task_queue(sess, drive.user(sess, "investigator-001"), "overdue")
        assert row.task.id == task.id


def test_a_household_leaving_the_register_on_a_month_s_first_day_cancels_that_month_s_visits(factory, services,
                                                                                              at_monday):
    household(factory, services)
    feb1 = datetime(2027, 2, 1, 0, 10, tzinfo=CN)
    assert schedule(factory, services, feb1) == 2
    with unit_of_work(factory) as sess:
        sess.scalars(select(Benefit)).one().status = "TERMINATED"
    with clock.frozen(feb1 + timedelta(hours=9)):  # the 探访 page's update, later that day
        assert visit_cases.schedule_township(factory, TOWN, services) == {"added": 0, "ended": 2, "started": 0}
    assert [c[2] for name in ("李建国", "李小明") for c in cases(factory, name)] == ["VISIT_CANCELLED"] * 2
    assert rate(factory, "2027-02") == (0, 0, "1.0000")
