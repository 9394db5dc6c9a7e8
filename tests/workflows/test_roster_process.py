"""The payment roster's process: drawn up by the township's reviewer, approved (or sent back) by its
leader, issued on approval; one roster per township and month; separation of duties; due times and
escalation across months on a set clock; replay of the case with its issued documents."""

import json
from datetime import datetime, timedelta

import pytest
from sqlalchemy import select, text, update

from tests import drive
from tests import factories as f
from tests.workflows.test_roster import CN, JAN_5, TOWN, add_benefit, households, user
from workflows import clock, queries, replay, roster, roster_process
from workflows.errors import Conflict, Forbidden, Invalid
from workflows.store import Case, CaseEvent, HumanTask, PaymentRoster, User, unit_of_work

START = {"month": "2027-01", "roster_confirm": True}


def start(factory, services, who="reviewer-001", at=JAN_5, **form) -> str:
    """Draw up a roster as ``who``; the case number."""
    with clock.frozen(at), unit_of_work(factory) as sess:
        return roster_process.start(sess, user(sess, who), {**START, **form}, services).case.case_no


def act(factory, services, case_no: str, who: str, answers: dict, at=JAN_5 + timedelta(hours=2)) -> Case:
    """Complete the roster case's open task as ``who``."""
    with clock.frozen(at):
        return drive.do(factory, services, case_no, who, answers)


def task_of(factory, case_no: str) -> HumanTask:
    return drive.open_task(factory, case_no)


def data_of(factory, case_no: str) -> dict:
    with unit_of_work(factory) as sess:
        return queries.case_data(sess, drive.case_row(factory, case_no))


def test_drawn_up_approved_and_issued_as_one_case(factory, services):
    households(factory)
    case_no = start(factory, services)
    case = drive.case_row(factory, case_no)
    assert (case.process_id, case.status, case.applicant_name, case.household_size) == (
        "payment_roster", "ROSTER_REVIEWING", "2027-01 发放花名册", 4)
    task = task_of(factory, case_no)
    assert (task.task_spec, task.role, task.township_code, task.title) == ("approve", "leader", TOWN, "审核花名册")
    assert task.due_on == datetime(2027, 1, 8).date()  # 3 working days after Tuesday 5 January
    data = data_of(factory, case_no)
    assert data["roster_totals"] == {"households": 2, "persons": 4, "amount": "1700.00"}
    assert data["prepared_by"] == "凤凰北街街道审核员" and len(data["roster_lines_sha256"]) == 64
    with unit_of_work(factory) as sess:
        assert roster.find(sess, TOWN, "2027-01") is None  # nothing is issued before the leader's approval

    act(factory, services, case_no, "leader-001", f.roster_approval())
    with unit_of_work(factory) as sess:
        case = sess.scalars(select(Case).where(Case.case_no == case_no)).one()
        issued = roster.find(sess, TOWN, "2027-01")
        assert (case.status, case.decided_on, queries.case_open_tasks(sess, case)) == (
            "ROSTER_ISSUED", JAN_5.date(), [])
        assert (issued.households, issued.persons, str(issued.total)) == (2, 4, "1700.00")
        assert sess.get(User, issued.issued_by_id).username == "leader-001"
        assert roster_process.case_of(sess, issued).id == case.id and roster_process.roster_of(sess, case) == issued
        kinds = [(e.kind, e.task_spec) for e in sess.scalars(
            select(CaseEvent).where(CaseEvent.case_id == case.id).order_by(CaseEvent.seq))]
        assert kinds == [("roster_started", "start"), ("task_completed", "approve"), ("document_issued", None)]
        assert roster.reconcile(sess, issued) == []


def test_sent_back_drawn_up_again_from_the_register_then_approved(factory, services):
    households(factory)
    case_no = start(factory, services)
    refused = dict(f.roster_approval("send_back"), roster_comment="")
    with pytest.raises(Invalid) as err:  # sending back needs the reason
        act(factory, services, case_no, "leader-001", refused)
    assert "roster_comment" in err.value.details
    act(factory, services, case_no, "leader-001", f.roster_approval("send_back", "漏发周杰一户。"))
    task = task_of(factory, case_no)
    assert (task.task_spec, task.role, drive.case_row(factory, case_no).status) == (
        "prepare", "reviewer", "ROSTER_PREPARING")
    data = data_of(factory, case_no)
    assert (data["return_reason"], data["roster_decision"], data["returned_count"]) == ("漏发周杰一户。", "", 1)

    with unit_of_work(factory) as sess:  # the register is corrected meanwhile
        add_benefit(sess, 7, "周杰", "2027-01", "610.00")
    act(factory, services, case_no, "reviewer-001", f.roster_redo(), at=JAN_5 + timedelta(days=1))
    task = task_of(factory, case_no)
    assert (task.task_spec, drive.case_row(factory, case_no).status) == ("approve", "ROSTER_REVIEWING")
    assert data_of(factory, case_no)["roster_totals"] == {"households": 3, "persons": 5, "amount": "2310.00"}
    with unit_of_work(factory) as sess:  # the redo's completion records what it computed, for replay
        redo = sess.scalars(select(CaseEvent).where(CaseEvent.task_spec == "prepare")).one()
        assert json.loads(redo.data)["computed"]["roster_totals"]["households"] == 3

    act(factory, services, case_no, "leader-001", f.roster_approval(), at=JAN_5 + timedelta(days=1, hours=2))
    with unit_of_work(factory) as sess:
        issued = roster.find(sess, TOWN, "2027-01")
        assert [line.holder_name for line in issued.lines] == ["王伟", "赵丽", "周杰"]
        assert str(issued.total) == "2310.00" and roster.reconcile(sess, issued) == []


def test_a_register_changed_after_drawing_up_is_not_issued_until_drawn_up_again(factory, services):
    households(factory)
    case_no = start(factory, services)
    with unit_of_work(factory) as sess:
        add_benefit(sess, 7, "周杰", "2027-01", "610.00")
        view = roster_process.view(sess, drive.case_row(factory, case_no), data_of(factory, case_no))
        assert view["changed"] and view["totals"]["households"] == 3 and view["recorded"]["households"] == 2
    with pytest.raises(Conflict) as err:
        act(factory, services, case_no, "leader-001", f.roster_approval())
    assert "请退回重新制表" in err.value.message_zh
    with unit_of_work(factory) as sess:
        assert sess.scalars(select(PaymentRoster)).first() is None
    assert task_of(factory, case_no).task_spec == "approve"  # the step was refused as a whole
    act(factory, services, case_no, "leader-001", f.roster_approval("send_back"))
    act(factory, services, case_no, "reviewer-001", f.roster_redo())
    act(factory, services, case_no, "leader-001", f.roster_approval())
    assert drive.case_row(factory, case_no).status == "ROSTER_ISSUED"


def test_a_withdrawn_roster_frees_the_month(factory, services):
    households(factory)
    case_no = start(factory, services)
    act(factory, services, case_no, "leader-001", f.roster_approval("send_back", "月份选错了。"))
    with pytest.raises(Invalid) as err:  # resubmitting needs the confirmation
        act(factory, services, case_no, "reviewer-001", dict(f.roster_redo(), prepare_confirm=False))
    assert "prepare_confirm" in err.value.details
    act(factory, services, case_no, "reviewer-001", f.roster_redo("withdraw"))
    assert drive.case_row(factory, case_no).status == "ROSTER_WITHDRAWN"
    again = start(factory, services, at=JAN_5 + timedelta(days=1))
    assert again != case_no and drive.case_row(factory, again).status == "ROSTER_REVIEWING"


def test_one_roster_per_township_and_month(factory, services):
    households(factory)
    first = start(factory, services)
    with pytest.raises(Conflict) as err:  # under way
        start(factory, services)
    assert first in err.value.message_zh and "已在办理中" in err.value.message_zh
    other = start(factory, services, month="2027-02")  # another month is another roster
    act(factory, services, first, "leader-001", f.roster_approval())
    with pytest.raises(Conflict) as err:  # issued
        start(factory, services, at=JAN_5 + timedelta(days=1))
    assert err.value.message_zh == "每月花名册只能生成一次，已生成的不能修改"
    start(factory, services, who="reviewer-002")  # another township's month is its own (杨勇 is paid there)
    assert drive.case_row(factory, other).status == "ROSTER_REVIEWING"


def test_a_roster_approved_at_the_same_moment_as_another_is_refused_by_the_database(factory, services,
                                                                                   monkeypatch):
    households(factory)
    monkeypatch.setattr(roster_process, "running_case", lambda *_args: None)  # as if both started at once
    first, second = start(factory, services), start(factory, services)
    act(factory, services, first, "leader-001", f.roster_approval())
    monkeypatch.setattr(roster, "find", lambda *_args: None)
    with pytest.raises(Conflict):
        act(factory, services, second, "leader-001", f.roster_approval())
    with unit_of_work(factory) as sess:
        assert len(sess.scalars(select(PaymentRoster)).all()) == 1


@pytest.mark.parametrize("month", ["2027-03", "2027-13", "27-01", "2027-1"])
def test_a_malformed_or_too_distant_month_is_refused(factory, services, month):
    households(factory)
    with pytest.raises(Invalid) as err:
        start(factory, services, month=month)
    assert "month" in err.value.details


def test_an_empty_roster_and_an_unconfirmed_one_are_refused(factory, services):
    households(factory)
    with pytest.raises(Invalid) as err:
        start(factory, services, month="2025-01")
    assert "空花名册" in err.value.message_zh
    with pytest.raises(Invalid) as err:
        start(factory, services, roster_confirm=False)
    assert "roster_confirm" in err.value.details
    with unit_of_work(factory) as sess:
        assert not sess.scalars(select(Case).where(Case.process_id == "payment_roster")).all()


@pytest.mark.parametrize("who", ["clerk-001", "investigator-001", "leader-001", "auditor", "admin"])
def test_only_the_townships_reviewer_draws_up_the_roster(factory, services, who):
    households(factory)
    with pytest.raises(Forbidden):
        start(factory, services, who=who)


def test_only_a_leader_who_did_not_draw_it_up_approves(factory, services):
    households(factory)
    case_no = start(factory, services)
    for who in ("reviewer-001", "clerk-001"):  # another role's step
        with pytest.raises(Forbidden):
            act(factory, services, case_no, who, f.roster_approval())
    with unit_of_work(factory) as sess:  # the reviewer who drew it up becomes a leader of the township
        sess.execute(update(User).where(User.username == "reviewer-001").values(role="leader"))
    with pytest.raises(Forbidden) as err:
        act(factory, services, case_no, "reviewer-001", f.roster_approval())
    assert "职责分离" in err.value.message_zh
    act(factory, services, case_no, "leader-001", f.roster_approval("send_back"))
    with unit_of_work(factory) as sess:  # and back: the redo is drawn up by another reviewer
        sess.execute(update(User).where(User.username == "reviewer-001").values(role="reviewer"))
        sess.execute(update(User).where(User.username == "investigator-001").values(role="reviewer"))
    act(factory, services, case_no, "investigator-001", f.roster_redo())
    with unit_of_work(factory) as sess:
        sess.execute(update(User).where(User.username == "reviewer-001").values(role="leader"))
    with pytest.raises(Forbidden):  # drew up the first version: still separated
        act(factory, services, case_no, "reviewer-001", f.roster_approval())
    act(factory, services, case_no, "leader-001", f.roster_approval())
    assert drive.case_row(factory, case_no).status == "ROSTER_ISSUED"


def test_months_issued_in_turn_with_due_times_and_escalation_on_a_set_clock(factory, services):
    """December's roster is issued late in November, January's in December: numbers run per year of issue;
    an approval left waiting past its due day is escalated to the township's leaders."""
    households(factory)
    with unit_of_work(factory) as sess:
        add_benefit(sess, 8, "孙丽", "2026-11", "480.00")
    nov_27 = datetime(2026, 11, 27, 10, 0, tzinfo=CN)  # a Friday
    december = start(factory, services, at=nov_27, month="2026-12")
    assert task_of(factory, december).due_on == datetime(2026, 12, 2).date()  # Wed: 3 working days on
    assert drive.tick(factory, services, datetime(2026, 12, 2, 23, 0, tzinfo=CN)) == 0
    assert drive.tick(factory, services, datetime(2026, 12, 3, 0, 5, tzinfo=CN)) == 1
    task = task_of(factory, december)
    assert task.task_spec == "approve" and task.escalated_at is not None
    act(factory, services, december, "leader-001", f.roster_approval(), at=datetime(2026, 12, 3, 9, tzinfo=CN))

    january = start(factory, services, at=datetime(2026, 12, 28, 9, tzinfo=CN))
    act(factory, services, january, "leader-001", f.roster_approval("send_back"),
        at=datetime(2026, 12, 28, 15, tzinfo=CN))
    assert task_of(factory, january).due_on == datetime(2026, 12, 30).date()  # 2 working days for the redo
    act(factory, services, january, "reviewer-001", f.roster_redo(), at=datetime(2027, 1, 4, 9, tzinfo=CN))
    act(factory, services, january, "leader-001", f.roster_approval(), at=datetime(2027, 1, 4, 11, tzinfo=CN))
    with unit_of_work(factory) as sess:
        numbers = {r.month: r.pdf_number for r in roster.issued(sess, TOWN)}
        assert numbers == {"2026-12": "FF-640104001-2026-000001", "2027-01": "FF-640104001-2027-000001"}
        assert [x.holder_name for x in roster.find(sess, TOWN, "2026-12").lines] == ["刘芳", "赵丽", "孙丽"]
    with pytest.raises(Invalid):  # March is too far ahead in January
        start(factory, services, at=datetime(2027, 1, 4, 12, tzinfo=CN), month="2027-03")


def test_the_roster_case_replays_with_its_documents_and_its_workbook(factory, services):
    households(factory)
    case_no = start(factory, services)
    act(factory, services, case_no, "leader-001", f.roster_approval("send_back"))
    act(factory, services, case_no, "reviewer-001", f.roster_redo())
    act(factory, services, case_no, "leader-001", f.roster_approval())
    with unit_of_work(factory) as sess:
        case = sess.scalars(select(Case).where(Case.case_no == case_no)).one()
        result = replay.verify_case(sess, case, services.render, services.store)
        assert result.verified, result.as_dict()
        assert result.steps == 5  # start, send back, redo, approve, the PDF; the workbook is checked beside
        assert [v.status for v in replay.trace(sess, case)][-1] == "ROSTER_ISSUED"
    with unit_of_work(factory) as sess:  # an edit behind the ORM's back
        sess.execute(text("UPDATE payment_roster_line SET amount = amount + 1 WHERE seq = 1"))
    with unit_of_work(factory) as sess:
        case = sess.scalars(select(Case).where(Case.case_no == case_no)).one()
        problems = replay.verify_case(sess, case, services.render, services.store).problems
    assert any("明细被改动" in p for p in problems), problems
