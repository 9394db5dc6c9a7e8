"""The application process end to end on the engine (no web): real BPMN, DMN, database, PDFs."""

from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import select

from tests import factories as f
from workflows import clock, engine, history, queries, settings
from workflows.errors import Conflict, Forbidden, Invalid, NotFound
from workflows.store import Case, CaseEvent, Document, HumanTask, PersonIndex, User, unit_of_work


def user(sess, name: str) -> User:
    return sess.scalars(select(User).where(User.username == name)).one()


def start(factory, services, sub=None, clerk="clerk-001") -> str:
    with unit_of_work(factory) as sess:
        return engine.start_case(sess, user(sess, clerk), sub or f.registration(), services).case.case_no


def open_task(factory, case_no: str) -> HumanTask:
    with unit_of_work(factory) as sess:
        case = sess.scalars(select(Case).where(Case.case_no == case_no)).one()
        tasks = queries.case_open_tasks(sess, case)
        assert len(tasks) == 1
        return tasks[0]


def do(factory, services, case_no: str, username: str, answers: dict) -> Case:
    task = open_task(factory, case_no)
    with unit_of_work(factory) as sess:
        return engine.complete_task(sess, user(sess, username), task.id, answers, services).case


def case_row(factory, case_no: str) -> Case:
    with unit_of_work(factory) as sess:
        return sess.scalars(select(Case).where(Case.case_no == case_no)).one()


def to_decision(factory, services, sub, *, decision="approve", comment="", inv=None) -> str:
    case_no = start(factory, services, sub)
    do(factory, services, case_no, "clerk-001", f.accept())
    do(factory, services, case_no, "investigator-001", inv or f.investigate(sub["members"]))
    do(factory, services, case_no, "reviewer-001", f.review())
    do(factory, services, case_no, "leader-001", f.leader(decision, comment))
    return case_no


def tick(factory, services, at) -> int:
    moved = 0
    with clock.frozen(at):
        with unit_of_work(factory) as sess:
            due = engine.due_timer_cases(sess)
        for case_id in due:
            with unit_of_work(factory) as sess:
                moved += engine.fire_timers(sess, case_id, services) is not None
    return moved


def test_approval_path_runs_to_notice_and_certificate(factory, services, at_monday):
    sub = f.registration()
    case_no = start(factory, services, sub)
    task = open_task(factory, case_no)
    assert (task.task_spec, task.role, task.township_code) == ("accept", "clerk", "640104001")
    assert task.due_on == date(2026, 12, 3)  # 3 working days after Monday 30 Nov

    do(factory, services, case_no, "clerk-001", f.accept())
    case = case_row(factory, case_no)
    assert case.status == "INVESTIGATING"
    assert case.case_deadline == date(2027, 1, 12)  # 30 working days after 30 Nov 2026 (1 Jan a holiday)
    do(factory, services, case_no, "investigator-001", f.investigate(sub["members"]))
    assert case_row(factory, case_no).status == "REVIEWING"
    do(factory, services, case_no, "reviewer-001", f.review())
    do(factory, services, case_no, "leader-001", f.leader())
    case = case_row(factory, case_no)
    # (620 − 900/3) × 3 = 960, plus 10% × 620 for the 14-year-old child = 62 → 1022.00
    assert case.status == "PUBLICIZING" and str(case.amount_total) == "1022.00"

    assert tick(factory, services, at_monday + timedelta(days=6)) == 0  # notice runs 30 Nov – 6 Dec
    assert tick(factory, services, at_monday + timedelta(days=7, hours=-8)) == 1  # 7 Dec 00:00 China time
    case = case_row(factory, case_no)
    assert case.status == "APPROVED" and case.decided_on == date(2026, 12, 7)
    with unit_of_work(factory) as sess:
        docs = sess.scalars(select(Document).where(Document.case_id == case.id)).all()
        data = queries.case_data(sess, case)
        assert history.verify_chain(sess, case) == []
        kinds = [e.kind for e in queries.case_events(sess, case)]
    assert [d.kind for d in docs] == ["approval_notice"]
    assert services.store.get(docs[0].sha256).startswith(b"%PDF")
    assert data["start_month"] == "2027-01"
    assert kinds == ["application_submitted", *["task_completed"] * 4, "timer_fired", "document_issued"]


def test_not_accepted_ends_and_frees_the_people(factory, services, at_monday):
    case_no = start(factory, services)
    do(factory, services, case_no, "clerk-001", f.accept("not_accept", "户籍不在本辖区"))
    case = case_row(factory, case_no)
    assert case.status == "NOT_ACCEPTED"
    with unit_of_work(factory) as sess:
        assert queries.case_open_tasks(sess, case) == []
        assert sess.scalars(select(PersonIndex).where(PersonIndex.case_id == case.id)).all() == []
    start(factory, services)  # the same household may apply again


@pytest.mark.parametrize(
    ("incomes", "inv_overrides", "reason"),
    [
        (("1500", "900", "0"), {}, "income"),
        (("600", "300", "0"), {"has_vehicle": True}, "vehicle"),
        (("600", "300", "0"), {"has_business": True}, "business"),
        (("600", "300", "0"), {"financial_assets": "50000.00"}, "assets"),  # > 24 × 620 per person
    ],
)
def test_ineligible_household_is_refused_with_reasons(factory, services, at_monday, incomes, inv_overrides, reason):
    sub = f.registration()
    for m, income in zip(sub["members"], incomes, strict=True):
        m["monthly_income"] = income
    inv = f.investigate(sub["members"], **inv_overrides)
    case_no = start(factory, services, sub)
    do(factory, services, case_no, "clerk-001", f.accept())
    do(factory, services, case_no, "investigator-001", inv)
    do(factory, services, case_no, "reviewer-001", f.review("disagree"))
    with pytest.raises(Invalid) as err:  # the leader cannot approve an ineligible household
        do(factory, services, case_no, "leader-001", f.leader("approve"))
    assert "leader_decision" in err.value.details
    do(factory, services, case_no, "leader-001", f.leader("reject", "经集体研究不予批准"))
    case = case_row(factory, case_no)
    assert case.status == "REFUSED" and case.amount_total is None
    with unit_of_work(factory) as sess:
        data = queries.case_data(sess, case)
        docs = sess.scalars(select(Document).where(Document.case_id == case.id)).all()
    assert data["eligibility_reason"] == reason
    assert [d.kind for d in docs] == ["refusal_notice"]
    assert len(data["refusal_reasons"]) == 2


def test_bad_input_is_refused_and_nothing_is_saved(factory, services, at_monday):
    sub = f.registration()
    sub["members"][1]["monthly_income"] = "-5"
    good = sub["members"][2]["id_no"]
    sub["members"][2]["id_no"] = good[:-1] + ("0" if good[-1] != "0" else "1")
    with unit_of_work(factory) as sess, pytest.raises(Invalid) as err:
        engine.start_case(sess, user(sess, "clerk-001"), sub, services)
    assert set(err.value.details) >= {"members.1.monthly_income", "members.2.id_no"}
    with unit_of_work(factory) as sess:
        assert sess.scalars(select(Case)).all() == []


def test_roles_townships_and_double_completion(factory, services, at_monday):
    case_no = start(factory, services)
    task = open_task(factory, case_no)
    with unit_of_work(factory) as sess, pytest.raises(Forbidden):
        engine.complete_task(sess, user(sess, "reviewer-001"), task.id, f.accept(), services)
    with unit_of_work(factory) as sess, pytest.raises(NotFound):
        engine.complete_task(sess, user(sess, "clerk-002"), task.id, f.accept(), services)
    with unit_of_work(factory) as sess, pytest.raises(Forbidden):
        engine.start_case(sess, user(sess, "investigator-001"), f.registration(), services)
    do(factory, services, case_no, "clerk-001", f.accept())
    with unit_of_work(factory) as sess, pytest.raises(Conflict):  # the task is done: a double submit
        engine.complete_task(sess, user(sess, "clerk-001"), task.id, f.accept(), services)


def test_claims_keep_colleagues_off_a_task(factory, services, at_monday):
    case_no = start(factory, services)
    task = open_task(factory, case_no)
    with unit_of_work(factory) as sess:
        engine.claim_task(sess, user(sess, "clerk-001"), task.id)
    with unit_of_work(factory) as sess:
        kinds = [e.kind for e in sess.scalars(select(CaseEvent).order_by(CaseEvent.seq))]
    assert kinds[-1] == "task_claimed"
    with unit_of_work(factory) as sess:
        engine.unclaim_task(sess, user(sess, "clerk-001"), task.id)
        assert sess.get(HumanTask, task.id).claimed_by_id is None


def test_separation_of_duties_follows_the_person(factory, services, at_monday):
    sub = f.registration()
    case_no = start(factory, services, sub)
    do(factory, services, case_no, "clerk-001", f.accept())
    do(factory, services, case_no, "investigator-001", f.investigate(sub["members"]))
    with unit_of_work(factory) as sess:  # the investigator is moved to the review post
        user(sess, "investigator-001").role = "reviewer"
    with pytest.raises(Forbidden):
        do(factory, services, case_no, "investigator-001", f.review())
    do(factory, services, case_no, "reviewer-001", f.review())


def test_one_person_cannot_be_in_two_active_cases(factory, services, at_monday):
    sub = f.registration()
    start(factory, services, sub)
    with unit_of_work(factory) as sess, pytest.raises(Invalid) as err:
        engine.start_case(sess, user(sess, "clerk-002"), f.registration(), services)
    assert "members.0.id_no" in err.value.details
    assert "640104001-2026-00001" in err.value.details["members.0.id_no"]


def test_dated_setting_applies_from_its_date(factory, services):
    with unit_of_work(factory) as sess:
        settings.set_value(sess, "dibao.standard.urban", "6401", date(2027, 1, 1), "700.00", "test: raised standard")
    sub = f.registration()
    with clock.frozen(f_dt(2026, 12, 28)):
        case_no = start(factory, services, sub)
        do(factory, services, case_no, "clerk-001", f.accept())
    with clock.frozen(f_dt(2027, 1, 4)):
        do(factory, services, case_no, "investigator-001", f.investigate(sub["members"]))
    with unit_of_work(factory) as sess:
        data = queries.case_data(sess, case_row(factory, case_no))
    assert data["standard"] == "700.00"
    assert data["amount"]["base"] == "1200.00"  # (700 − 300) × 3


def f_dt(y, m, d):
    return datetime(y, m, d, 10, 0, tzinfo=clock.CHINA_TZ)
