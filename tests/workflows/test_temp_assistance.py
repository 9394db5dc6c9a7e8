"""临时救助 (process temp_assistance) and the township reserve fund, on the engine with a set clock."""

import io
import threading
from datetime import date, datetime, time, timedelta
from decimal import Decimal

import pytest
from pypdf import PdfReader
from sqlalchemy import select, text
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm.exc import StaleDataError

from tests import factories as f
from tests.workflows.test_engine_flow import case_row, check, do, open_task, tick, user
from workflows import clock, engine, queries, replay, reserve, rules, temp_assistance
from workflows.errors import Conflict, Forbidden, Invalid
from workflows.store import Case, CaseEvent, Document, HumanTask, OutsideCall, ReserveEntry, unit_of_work

TOWN = "640104001"
# 4 × the urban standard 620 = 2480.00 (township); 10 × 620 = 6200.00 (county cap)
TOWNSHIP_LIMIT, COUNTY_LIMIT = Decimal("2480.00"), Decimal("6200.00")


def application(kind: str = "emergency", amount: str = "2000.00", **overrides) -> dict:
    data = {
        "assistance_type": kind, "cause": "fire" if kind == "emergency" else "medical",
        "event_date": "2026-11-28", "cause_detail": "住房失火，家中财物全部烧毁。", "amount_requested": amount,
        "applicant_phone": "13900002222", "address": "兴庆区凤凰北街幸福小区5号楼101", "bank_account_last4": "1234",
        "members": [{"name": "王桂芳", "id_no": f.id_number(date(1975, 4, 2), 2), "relation": "self"},
                    {"name": "赵小军", "id_no": f.id_number(date(2010, 6, 1), 3), "relation": "child"}],
    }
    data.update(overrides)
    return data


def start(factory, services, sub=None, clerk="clerk-001") -> str:
    with unit_of_work(factory) as sess:
        return temp_assistance.start(sess, user(sess, clerk), sub or application(), services).case.case_no


def deposit(factory, amount: str, who: str = "leader-001", town: str = TOWN) -> None:
    with unit_of_work(factory) as sess:
        reserve.deposit(sess, user(sess, who), town, amount, note="区财政拨付备用金")


def balance(factory, town: str = TOWN) -> Decimal:
    with unit_of_work(factory) as sess:
        return reserve.balance(sess, town)


def ledger(factory, town: str = TOWN) -> list[tuple[str, Decimal, Decimal, int | None]]:
    with unit_of_work(factory) as sess:
        rows = sess.scalars(select(ReserveEntry).where(ReserveEntry.township_code == town).order_by(ReserveEntry.id))
        return [(r.kind, r.amount, r.balance_after, r.case_id) for r in rows]


def decide(decision: str = "approve", amount: str = "2000.00", comment: str = "情况属实，同意救助。") -> dict:
    return {"decision": decision, "approved_amount": amount if decision == "approve" else "",
            "decision_comment": comment}


def paperwork(result: str = "consistent") -> dict:
    today = clock.today().isoformat()
    return {"check_result": result, "deliberation_date": today, "publicity_start": today, "publicity_end": today,
            "paperwork_note": ""}


def notice_text(factory, services, case_no: str) -> str:
    with unit_of_work(factory) as sess:
        case = sess.scalars(select(Case).where(Case.case_no == case_no)).one()
        doc = sess.scalars(select(Document).where(Document.case_id == case.id)).one()
    assert doc.kind == "temp_assistance_notice" and doc.number.startswith(f"LS-{TOWN}-2026-")
    return "".join(p.extract_text() for p in PdfReader(io.BytesIO(services.store.get(doc.sha256))).pages).replace(
        " ", "")


def verified(factory, services, case_no: str) -> bool:
    with unit_of_work(factory) as sess:
        case = sess.scalars(select(Case).where(Case.case_no == case_no)).one()
        result = replay.verify_case(sess, case, services.render, services.store)
    assert result.verified, result.as_dict()
    return True


def data_of(factory, case_no: str) -> dict:
    with unit_of_work(factory) as sess:
        return queries.case_data(sess, case_row(factory, case_no))


def test_an_emergency_is_paid_first_from_the_reserve_then_the_paperwork_is_done(factory, services, at_monday):
    deposit(factory, "5000.00")
    case_no = start(factory, services)
    task = open_task(factory, case_no)
    assert (task.task_spec, task.role, task.due_on) == ("emergency_decide", "leader", date(2026, 12, 1))
    assert case_row(factory, case_no).status == "EMERGENCY_DECISION"
    do(factory, services, case_no, "leader-001", decide())
    case = case_row(factory, case_no)
    assert (case.status, case.amount_total, case.decided_on) == ("PAPERWORK", Decimal("2000.00"), date(2026, 11, 30))
    assert balance(factory) == Decimal("3000.00")
    assert ledger(factory) == [("deposit", Decimal("5000.00"), Decimal("5000.00"), None),
                               ("payment", Decimal("2000.00"), Decimal("3000.00"), case.id)]
    data = data_of(factory, case_no)
    deadline = rules.add_working_days(date(2026, 11, 30), 20)
    assert (data["township_limit"], data["county_limit"]) == (str(TOWNSHIP_LIMIT), str(COUNTY_LIMIT))
    assert (data["paid_by"], data["advance"], data["paperwork_deadline"]) == ("township_reserve", True,
                                                                             deadline.isoformat())
    assert check(factory, services, case_no)  # the 核对 after the payment
    task = open_task(factory, case_no)
    assert (task.task_spec, task.role, task.due_on) == ("paperwork", "reviewer", deadline)
    do(factory, services, case_no, "reviewer-001", paperwork())
    assert case_row(factory, case_no).status == "PAID"
    words = notice_text(factory, services, case_no)
    for phrase in ("临时救助审批决定通知书", "王桂芳", "急难型", "批准", "2000.00", "先行救助", "行政复议",
                   "兴庆区人民政府"):
        assert phrase in words, phrase
    with unit_of_work(factory) as sess:
        assert reserve.check_ledger(sess, TOWN) == []
    assert verified(factory, services, case_no)


def test_a_missed_paperwork_deadline_is_escalated_to_the_leader(factory, services, at_monday):
    deposit(factory, "5000.00")
    case_no = start(factory, services)
    do(factory, services, case_no, "leader-001", decide(amount="1000.00"))
    check(factory, services, case_no)
    deadline = rules.add_working_days(date(2026, 11, 30), 20)
    assert tick(factory, services, datetime.combine(deadline, time(23, 0), clock.CHINA_TZ)) == 0
    assert open_task(factory, case_no).escalated_at is None
    assert tick(factory, services, datetime.combine(deadline + timedelta(days=1), time(0, 1), clock.CHINA_TZ)) == 1
    task = open_task(factory, case_no)
    assert task.task_spec == "paperwork" and task.escalated_at is not None
    assert case_row(factory, case_no).status == "PAPERWORK"  # the task stays with the reviewer
    with clock.frozen(datetime.combine(deadline + timedelta(days=1), time(9), clock.CHINA_TZ)):
        do(factory, services, case_no, "reviewer-001", paperwork())
    assert case_row(factory, case_no).status == "PAID"
    assert verified(factory, services, case_no)


def test_a_payment_the_reserve_cannot_cover_refuses_the_step_and_writes_nothing(factory, services, at_monday):
    deposit(factory, "1000.00")
    case_no = start(factory, services)
    task = open_task(factory, case_no)
    with unit_of_work(factory) as sess:
        events_before = sess.scalar(select(CaseEvent.seq).where(CaseEvent.case_id == case_row(factory, case_no).id)
                                    .order_by(CaseEvent.seq.desc()).limit(1))
    with pytest.raises(Invalid) as refused:
        do(factory, services, case_no, "leader-001", decide(amount="1500.00"))
    assert "备用金余额不足" in refused.value.details["approved_amount"]
    with pytest.raises(Invalid) as over:  # above the township's authority limit (2480.00)
        do(factory, services, case_no, "leader-001", decide(amount="2500.00"))
    assert "超过乡镇（街道）审批权限" in over.value.details["approved_amount"]
    assert open_task(factory, case_no).id == task.id
    assert case_row(factory, case_no).status == "EMERGENCY_DECISION"
    assert ledger(factory) == [("deposit", Decimal("1000.00"), Decimal("1000.00"), None)]
    with unit_of_work(factory) as sess:
        case = sess.scalars(select(Case).where(Case.case_no == case_no)).one()
        assert sess.scalars(select(Document).where(Document.case_id == case.id)).all() == []
        assert case.last_event_seq == events_before
    do(factory, services, case_no, "leader-001", decide(amount="1000.00"))  # what the reserve holds
    assert balance(factory) == Decimal("0.00") and case_row(factory, case_no).status == "PAPERWORK"
    assert verified(factory, services, case_no)


def test_the_reserve_never_goes_negative(factory, at_monday):
    deposit(factory, "1000.00")
    with unit_of_work(factory) as sess:
        reserve.pay(sess, user(sess, "leader-001"), TOWN, "600.00", note="测试支付")
    with unit_of_work(factory) as sess, pytest.raises(Invalid):
        reserve.pay(sess, user(sess, "leader-001"), TOWN, "600.00")
    with unit_of_work(factory) as sess, pytest.raises(Invalid):
        reserve.pay(sess, user(sess, "leader-001"), "640104002", "1.00")  # no reserve at all
    for who, town in (("clerk-001", TOWN), ("reviewer-001", TOWN), ("leader-002", TOWN), ("admin", TOWN)):
        with unit_of_work(factory) as sess, pytest.raises(Forbidden):
            reserve.deposit(sess, user(sess, who), town, "100.00")
    with unit_of_work(factory) as sess, pytest.raises(Invalid):
        reserve.deposit(sess, user(sess, "leader-001"), TOWN, "-5")
    assert balance(factory) == Decimal("400.00")
    with unit_of_work(factory) as sess:
        reserve.refund(sess, user(sess, "leader-001"), TOWN, "50.00", note="追回")
        assert reserve.check_ledger(sess, TOWN) == []
        assert [e.kind for e in reserve.entries(sess, user(sess, "auditor"), TOWN)] == ["deposit", "payment", "refund"]
        with pytest.raises(Forbidden):
            reserve.entries(sess, user(sess, "leader-002"), TOWN)
    with pytest.raises(Conflict), unit_of_work(factory) as sess:  # the ledger is append-only
        sess.scalars(select(ReserveEntry)).first().amount = Decimal("1.00")
    with pytest.raises(IntegrityError), unit_of_work(factory) as sess:  # the database refuses it too
        sess.execute(text("UPDATE reserve_account SET balance = -1 WHERE township_code = :t"), {"t": TOWN})
    assert balance(factory) == Decimal("450.00")


def test_two_payments_racing_cannot_overdraw_the_reserve(factory, at_monday):
    deposit(factory, "1000.00")
    barrier, out = threading.Barrier(2), []

    def pay():
        try:
            with clock.frozen(at_monday), unit_of_work(factory) as sess:
                leader = user(sess, "leader-001")
                barrier.wait()
                out.append(reserve.pay(sess, leader, TOWN, "600.00").id)
        except (Invalid, StaleDataError, OperationalError) as err:  # PostgreSQL waits, then sees 400.00
            out.append(err)

    threads = [threading.Thread(target=pay) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len([r for r in out if isinstance(r, int)]) == 1, out
    assert balance(factory) == Decimal("400.00")
    assert [row[0] for row in ledger(factory)] == ["deposit", "payment"]


def expense_to_review(factory, services, amount: str) -> str:
    sub = application("expense", amount, cause_detail="患重病住院，自付医疗费用超出承受能力。")
    case_no = start(factory, services, sub)
    assert case_row(factory, case_no).status == "VERIFYING"
    assert check(factory, services, case_no)
    assert open_task(factory, case_no).task_spec == "review"
    return case_no


def review(amount: str = "", opinion: str = "approve") -> dict:
    return {"review_opinion": opinion, "proposed_amount": amount, "review_comment": "核对属实，医疗支出较大。"}


def test_an_expense_case_within_the_limit_is_approved_and_paid_by_the_township(factory, services, at_monday):
    deposit(factory, "5000.00")
    case_no = expense_to_review(factory, services, "1500.00")
    do(factory, services, case_no, "reviewer-001", review("1500.00"))
    task = open_task(factory, case_no)
    assert (task.task_spec, task.role, task.due_on) == ("leader_decide", "leader", date(2026, 12, 3))
    do(factory, services, case_no, "leader-001", decide(amount="1500.00"))
    case = case_row(factory, case_no)
    assert (case.status, case.amount_total) == ("PAID", Decimal("1500.00"))
    assert ledger(factory)[-1] == ("payment", Decimal("1500.00"), Decimal("3500.00"), case.id)
    assert data_of(factory, case_no)["advance"] is False
    words = notice_text(factory, services, case_no)
    assert "支出型" in words and "1500.00" in words and "先行救助" not in words
    assert verified(factory, services, case_no)


def test_an_expense_case_above_the_township_limit_is_approved_and_paid_by_the_county(factory, services, at_monday):
    case_no = expense_to_review(factory, services, "6000.00")
    with pytest.raises(Invalid) as over:  # above the cap of 10 × 620
        do(factory, services, case_no, "reviewer-001", review("6500.00"))
    assert "临时救助最高限额" in over.value.details["proposed_amount"]
    do(factory, services, case_no, "reviewer-001", review("5000.00"))
    task = open_task(factory, case_no)
    assert (task.task_spec, task.role) == ("county_decide", "county_auditor")
    assert case_row(factory, case_no).status == "COUNTY_APPROVAL"
    with pytest.raises(Forbidden):
        do(factory, services, case_no, "leader-001", decide(amount="5000.00"))
    do(factory, services, case_no, "auditor", decide(amount="5000.00"))
    case = case_row(factory, case_no)
    assert (case.status, case.amount_total) == ("PAID", Decimal("5000.00"))
    assert data_of(factory, case_no)["paid_by"] == "county"
    assert ledger(factory) == []  # the county pays: the township reserve is untouched
    assert "区民政局" in notice_text(factory, services, case_no)
    assert verified(factory, services, case_no)


def test_a_refusal_is_notified_with_reasons_and_the_appeal_clause(factory, services, at_monday):
    case_no = expense_to_review(factory, services, "3000.00")
    do(factory, services, case_no, "reviewer-001", review(opinion="refuse"))
    assert open_task(factory, case_no).task_spec == "leader_decide"
    with pytest.raises(Invalid):
        do(factory, services, case_no, "leader-001", decide("refuse", comment=""))
    reason = "家庭人均可支配收入高于上年度当地居民人均可支配收入。"
    do(factory, services, case_no, "leader-001", decide("refuse", comment=reason))
    case = case_row(factory, case_no)
    assert (case.status, case.amount_total, case.decided_on) == ("REFUSED", None, date(2026, 11, 30))
    words = notice_text(factory, services, case_no)
    for phrase in ("不予批准", "家庭人均可支配收入高于上年度", "六十日内", "行政复议", "人民法院", "3000.00"):
        assert phrase in words, phrase
    assert verified(factory, services, case_no)


def test_the_window_registers_and_an_applicant_has_one_case_at_a_time(factory, services, at_monday):
    with pytest.raises(Forbidden):
        start(factory, services, clerk="leader-001")
    with pytest.raises(Invalid):
        start(factory, services, application(amount="0"))
    case_no = start(factory, services)
    with pytest.raises(Conflict):
        start(factory, services)
    do(factory, services, case_no, "leader-001", decide("normal"))  # not for 先行救助: the normal procedure
    assert case_row(factory, case_no).status == "VERIFYING"
    with unit_of_work(factory) as sess:
        case = sess.scalars(select(Case).where(Case.case_no == case_no)).one()
        assert sess.scalars(select(OutsideCall.kind).where(OutsideCall.case_id == case.id)).all() == ["economic_check"]
        assert sess.scalars(select(HumanTask).where(HumanTask.case_id == case.id)).all() == []
    assert verified(factory, services, case_no)


def follow_up() -> dict:
    return {"follow_up": "chased", "follow_up_note": "已电话督促区核对中心，预计两个工作日内出具结果。"}


def open_tasks(factory, case_no: str) -> list[HumanTask]:
    with unit_of_work(factory) as sess:
        return queries.case_open_tasks(sess, case_row(factory, case_no))


def test_a_check_unanswered_at_the_paperwork_deadline_opens_a_follow_up_for_the_leader(factory, services, at_monday):
    deposit(factory, "5000.00")
    case_no = start(factory, services)
    do(factory, services, case_no, "leader-001", decide(amount="1000.00"))
    assert not check(factory, services, case_no, failing=("tax",))  # the 核对 fails: an incident, no task
    assert open_tasks(factory, case_no) == []
    deadline = rules.add_working_days(date(2026, 11, 30), 20)
    assert tick(factory, services, datetime.combine(deadline, time(23, 0), clock.CHINA_TZ)) == 0
    after = datetime.combine(deadline + timedelta(days=1), time(0, 1), clock.CHINA_TZ)
    assert tick(factory, services, after) == 1
    (task,) = open_tasks(factory, case_no)
    assert (task.task_spec, task.role, task.title) == ("check_overdue", "leader", "督办：补办核对逾期")
    assert task.escalated_at == after  # listed on 逾期督办 at once
    case = case_row(factory, case_no)
    assert case.status == "PAPERWORK" and case.amount_total == Decimal("1000.00")
    with pytest.raises(Forbidden):
        do(factory, services, case_no, "reviewer-001", follow_up())
    with clock.frozen(after + timedelta(hours=9)):
        do(factory, services, case_no, "leader-001", follow_up())
        assert open_tasks(factory, case_no) == []
        with unit_of_work(factory) as sess:  # the case still waits for its 核对
            call = sess.scalars(select(OutsideCall).where(OutsideCall.case_id == case.id)).one()
            assert call.status == "incident"
        assert check(factory, services, case_no)  # the incident's retry succeeds
    (task,) = open_tasks(factory, case_no)
    assert task.task_spec == "paperwork"
    assert task.escalated_at is not None  # its deadline has passed too: flagged as it opens
    do(factory, services, case_no, "reviewer-001", paperwork())
    assert case_row(factory, case_no).status == "PAID"
    assert verified(factory, services, case_no)


def test_a_follow_up_still_open_when_the_case_is_paid_is_closed_with_it(factory, services, at_monday):
    deposit(factory, "5000.00")
    case_no = start(factory, services)
    do(factory, services, case_no, "leader-001", decide(amount="1000.00"))
    deadline = rules.add_working_days(date(2026, 11, 30), 20)
    later = datetime.combine(deadline + timedelta(days=1), time(9), clock.CHINA_TZ)
    assert tick(factory, services, later) == 1
    with clock.frozen(later):
        assert check(factory, services, case_no)  # the answer comes before the leader followed up
    tasks = {t.task_spec: t for t in open_tasks(factory, case_no)}
    assert set(tasks) == {"check_overdue", "paperwork"}
    assert data_of(factory, case_no)["economic_check"]  # the case's data is the main path's
    with clock.frozen(later), unit_of_work(factory) as sess:
        engine.complete_task(sess, user(sess, "reviewer-001"), tasks["paperwork"].id, paperwork(), services)
    case = case_row(factory, case_no)
    assert case.status == "PAID" and open_tasks(factory, case_no) == []
    with unit_of_work(factory) as sess:
        assert sess.scalars(select(HumanTask).where(HumanTask.case_id == case.id)).all() == []
    assert verified(factory, services, case_no)


def test_the_follow_up_opens_again_while_the_check_stays_unanswered_and_stops_once_it_answers(
        factory, services, at_monday):
    deposit(factory, "5000.00")
    case_no = start(factory, services)
    do(factory, services, case_no, "leader-001", decide(amount="1000.00"))
    assert not check(factory, services, case_no, failing=("tax",))
    first_day = rules.add_working_days(date(2026, 11, 30), 20) + timedelta(days=1)
    assert tick(factory, services, datetime.combine(first_day, time(0, 1), clock.CHINA_TZ)) == 1
    with clock.frozen(datetime.combine(first_day, time(9), clock.CHINA_TZ)):
        do(factory, services, case_no, "leader-001", follow_up())
    assert open_tasks(factory, case_no) == []
    again = rules.add_working_days(first_day, 5)  # temp.deadline.check_followup_wd working days later
    assert tick(factory, services, datetime.combine(again, time(23), clock.CHINA_TZ)) == 0
    assert tick(factory, services, datetime.combine(again + timedelta(days=1), time(0, 1), clock.CHINA_TZ)) == 1
    (task,) = open_tasks(factory, case_no)
    assert (task.task_spec, task.role) == ("check_overdue", "leader") and task.escalated_at is not None
    second_day = again + timedelta(days=1)
    with clock.frozen(datetime.combine(second_day, time(9), clock.CHINA_TZ)):
        do(factory, services, case_no, "leader-001", follow_up())
        assert check(factory, services, case_no)  # the 核对 answers while the next follow-up waits
    (task,) = open_tasks(factory, case_no)
    assert task.task_spec == "paperwork"
    third = rules.add_working_days(second_day, 5) + timedelta(days=1)
    assert tick(factory, services, datetime.combine(third, time(0, 1), clock.CHINA_TZ)) == 1  # the wait ends…
    assert [t.task_spec for t in open_tasks(factory, case_no)] == ["paperwork"]  # …and no follow-up opens
    with clock.frozen(datetime.combine(third, time(9), clock.CHINA_TZ)):
        do(factory, services, case_no, "reviewer-001", paperwork())
    assert case_row(factory, case_no).status == "PAID"
    with unit_of_work(factory) as sess:
        kinds = [e.task_spec for e in sess.scalars(select(CaseEvent).where(
            CaseEvent.case_id == case_row(factory, case_no).id, CaseEvent.kind == "task_completed"))]
    assert kinds.count("check_overdue") == 2
    assert verified(factory, services, case_no)
