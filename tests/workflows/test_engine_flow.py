"""The application process end to end on the engine (no web): real BPMN, DMN, database, PDFs."""

import io
from datetime import date, datetime, timedelta
from decimal import Decimal

import pytest
from pypdf import PdfReader
from sqlalchemy import select

from tests import factories as f
from tests.drive import case_row, do, open_task, publish, start, tick, user
from workflows import benefits, clock, engine, history, procedure, queries, replay, rules, settings
from workflows.adapters.simulator import SimulatorAdapter, add_record
from workflows.errors import Conflict, Forbidden, Invalid, NotFound
from workflows.store import Benefit, Case, CaseEvent, Document, HumanTask, OutsideCall, PersonIndex, unit_of_work


def check(factory, services, case_no: str, failing=()) -> bool:
    """The worker's 核对 call for the case, against the local simulator."""
    with unit_of_work(factory) as sess:
        case = sess.scalars(select(Case).where(Case.case_no == case_no)).one()
        call_id = sess.scalars(select(OutsideCall.id).where(OutsideCall.case_id == case.id)).one()
        return procedure.run_call(sess, call_id, SimulatorAdapter(sess, failing), services)


def visit(factory, services, case_no: str, sub: dict, town="001", **overrides) -> None:
    """The paired home visit: the first investigator records it, the second signs it."""
    do(factory, services, case_no, f"investigator-{town}", f.investigate(sub["members"], **overrides))
    do(factory, services, case_no, f"investigator2-{town}", f.cosign())


def to_review(factory, services, sub=None, **overrides) -> str:
    sub = sub or f.registration()
    case_no = start(factory, services, sub)
    do(factory, services, case_no, "clerk-001", f.accept(materials=[*f.CORE_MATERIALS, "health_proof"]))
    assert check(factory, services, case_no)
    visit(factory, services, case_no, sub, **overrides)
    return case_no


def to_decision(factory, services, sub=None) -> str:
    """A case proposed for approval and published: it waits for the end of its notice."""
    case_no = to_review(factory, services, sub)
    do(factory, services, case_no, "reviewer-001", f.review())
    publish(factory, services)
    return case_no


def data_of(factory, case_no: str) -> dict:
    with unit_of_work(factory) as sess:
        return queries.case_data(sess, case_row(factory, case_no))


def test_approval_path_runs_to_notice_and_certificate(factory, services, at_monday):
    sub = f.registration()
    case_no = start(factory, services, sub)
    task = open_task(factory, case_no)
    assert (task.task_spec, task.role, task.township_code) == ("accept", "clerk", "640104001")
    assert task.due_on == date(2026, 12, 3)  # 3 working days after Monday 30 Nov

    do(factory, services, case_no, "clerk-001", f.accept())
    case = case_row(factory, case_no)
    assert case.status == "VERIFYING"
    assert case.case_deadline == date(2027, 1, 12)  # 30 working days after 30 Nov 2026 (1 Jan a holiday)
    assert check(factory, services, case_no)
    assert open_task(factory, case_no).task_spec == "investigate"
    visit(factory, services, case_no, sub)
    task = open_task(factory, case_no)
    assert task.task_spec == "review" and task.due_on == date(2026, 12, 14)  # 10 working days after acceptance
    do(factory, services, case_no, "reviewer-001", f.review())
    assert case_row(factory, case_no).status == "AWAITING_NOTICE"
    batch, published = publish(factory, services)
    assert published == [case_no] and batch.startswith("GS-640104001-2026-")
    case = case_row(factory, case_no)
    # (620 − 900/3) × 3 = 960, plus 10% × 620 for the 14-year-old child = 62 → 1022.00
    assert case.status == "PUBLICIZING" and str(case.amount_total) == "1022.00"

    assert tick(factory, services, at_monday + timedelta(days=6)) == 0  # notice runs 30 Nov – 6 Dec
    assert tick(factory, services, at_monday + timedelta(days=7, hours=-8)) == 1  # 7 Dec 00:00 China time
    assert case_row(factory, case_no).status == "PENDING_DECISION"
    with clock.frozen(at_monday + timedelta(days=7)):
        do(factory, services, case_no, "leader-001", f.leader())
    case = case_row(factory, case_no)
    assert case.status == "APPROVED" and case.decided_on == date(2026, 12, 7)
    with unit_of_work(factory) as sess:
        docs = sess.scalars(select(Document).where(Document.case_id == case.id)).all()
        data = queries.case_data(sess, case)
        assert history.verify_chain(sess, case) == []
        kinds = [e.kind for e in queries.case_events(sess, case)]
    assert [d.kind for d in docs] == ["approval_notice"]
    assert services.store.get(docs[0].sha256).startswith(b"%PDF")
    assert data["start_month"] == "2027-01" and data["filed_on"] == "2026-12-07"
    assert data["review_cycle"] == "yearly" and data["next_review_on"] == "2027-12-07"
    with unit_of_work(factory) as sess:  # the household is now on the benefit register
        benefit = sess.scalars(select(Benefit)).one()
        assert (benefit.status, benefit.start_month, str(benefit.amount), benefit.persons) == (
            "ACTIVE", "2027-01", "1022.00", 3)
        assert benefit.certificate_no.startswith("ZS-640104001-2026-")
        assert benefits.amount_in_month(sess, benefit, "2026-12") is None  # paid from the month after
        assert benefits.amount_in_month(sess, benefit, "2027-03") == (Decimal("1022.00"), 3)
    assert data["filing_deadline"] == "2026-12-14"  # 备案 within 5 working days
    assert kinds == ["application_submitted", "task_completed", "outside_data_received", "task_completed",
                     "task_completed", "task_completed", "message_received", "document_issued", "timer_fired",
                     "task_completed", "document_issued"]


def test_amounts_follow_the_domain_examples(factory, services, at_monday):
    """DOMAIN.md §3: 3 people, 620 standard, 900 income → 960; 20% × 620 = 124 for a severely disabled member."""
    sub = f.registration()
    sub["members"][1].update(disability_level="1", disability_kind="physical")
    case_no = to_review(factory, services, sub)
    amount = data_of(factory, case_no)["amount"]
    assert amount["base"] == "960.00" and amount["per_capita_income"] == "300.00"
    assert sorted((u["category"], u["amount"]) for u in amount["uplifts"]) == [
        ("minor", "62.00"), ("severe_disability", "124.00")]
    assert amount["total"] == "1146.00"


def test_a_member_able_to_work_means_a_review_every_six_months(factory, services, at_monday):
    sub = f.registration()
    case_no = start(factory, services, sub)
    do(factory, services, case_no, "clerk-001", f.accept())
    check(factory, services, case_no)
    inv = f.investigate(sub["members"])
    inv["members_verified"][1]["labor_capacity"] = "full"
    do(factory, services, case_no, "investigator-001", inv)
    do(factory, services, case_no, "investigator2-001", f.cosign())
    do(factory, services, case_no, "reviewer-001", f.review())
    publish(factory, services)
    tick(factory, services, at_monday + timedelta(days=8))
    with clock.frozen(at_monday + timedelta(days=8)):
        do(factory, services, case_no, "leader-001", f.leader())
    data = data_of(factory, case_no)
    assert data["review_cycle"] == "half_yearly" and data["next_review_on"] == "2027-06-08"


def test_rigid_expenses_and_excluded_members_change_the_household(factory, services, at_monday):
    sub = f.registration()
    inv = f.investigate(sub["members"], medical_expense="150.00")
    inv["members_verified"][1].update(excluded=True, exclusion_reason="prison", wage_income="300")
    inv["members_verified"][0].update(wage_income="500", excluded_income="200")  # e.g. 优待抚恤金: not counted
    case_no = start(factory, services, sub)
    do(factory, services, case_no, "clerk-001", f.accept())
    check(factory, services, case_no)
    do(factory, services, case_no, "investigator-001", inv)
    do(factory, services, case_no, "investigator2-001", f.cosign())
    data = data_of(factory, case_no)
    # 2 counted people; income 500 − 150 medical = 350 → per capita 175; (620 × 2) − 350 = 890
    assert data["household"]["persons"] == 2 and data["household"]["total_income"] == "350.00"
    assert data["amount"]["base"] == "890.00"


def test_single_household_needs_a_severely_ill_or_disabled_applicant(factory, services, at_monday):
    sub = f.registration(household_type="single")
    case_no = to_review(factory, services, sub)
    data = data_of(factory, case_no)
    assert data["eligible"] is False and data["eligibility_reason"] == "single_not_qualified"
    sub2 = f.registration(household_type="single", members=[
        f.member("赵强", date(1970, 2, 2), "self", "200", seq=5, serious_illness=True),
        f.member("赵母", date(1945, 3, 3), "parent", "3000", seq=6)])
    case_no = to_review(factory, services, sub2)
    data = data_of(factory, case_no)
    # only the applicant counts: (620 − 200) × 1 = 420, plus 20% × 620 for the serious illness
    assert data["household"]["persons"] == 1 and data["amount"]["total"] == "544.00"


def test_incomplete_materials_notice_then_supplied(factory, services, at_monday):
    sub = f.registration(channel="committee", agent_name="幸福社区居委会", entrustment_ref="委托书2026-18")
    case_no = start(factory, services, sub)
    with pytest.raises(Invalid) as err:  # five core materials, but an entrusted application also needs its 委托书
        do(factory, services, case_no, "clerk-001", f.accept())
    assert "materials" in err.value.details
    incomplete = f.accept("incomplete", materials=f.CORE_MATERIALS[:3], other="近三个月工资流水")
    do(factory, services, case_no, "clerk-001", incomplete)
    case = case_row(factory, case_no)
    assert case.status == "WAITING_MATERIALS"
    with unit_of_work(factory) as sess:
        doc = sess.scalars(select(Document).where(Document.case_id == case.id)).one()
        ctx = [e for e in queries.case_events(sess, case) if e.kind == "document_issued"][0]
    assert doc.kind == "missing_materials_notice"
    printed = ctx.data
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(services.store.get(doc.sha256))).pages)
    text = text.replace(" ", "").replace("\n", "")
    for label in ("家庭经济状况核对授权书", "收入、财产申报及诚信承诺", "代办委托书", "近三个月工资流水"):
        assert label in printed and label in text, label
    assert "2026年12月14日" in text and "视为撤回申请" in text
    assert open_task(factory, case_no).due_on == date(2026, 12, 14)  # 10 working days to supply
    supplied = f.supplement(supplied=["income_declaration", "authorization", "entrustment"])
    do(factory, services, case_no, "clerk-001", supplied)
    assert open_task(factory, case_no).task_spec == "accept"
    do(factory, services, case_no, "clerk-001", f.accept(materials=[*f.CORE_MATERIALS, "entrustment"]))
    assert case_row(factory, case_no).status == "VERIFYING"


def test_missing_materials_not_supplied_in_time_withdraws_the_application(factory, services, at_monday):
    case_no = start(factory, services)
    do(factory, services, case_no, "clerk-001", f.accept("incomplete", materials=f.CORE_MATERIALS[:4]))
    assert tick(factory, services, at_monday + timedelta(days=14)) == 0  # last day to supply: 14 Dec
    assert tick(factory, services, at_monday + timedelta(days=15)) == 1  # lapsed at midnight
    case = case_row(factory, case_no)
    assert case.status == "WITHDRAWN"
    with unit_of_work(factory) as sess:
        assert queries.case_open_tasks(sess, case) == []
        assert sess.scalars(select(PersonIndex).where(PersonIndex.case_id == case.id)).all() == []


def test_applicant_withdraws_while_supplying(factory, services, at_monday):
    case_no = start(factory, services)
    do(factory, services, case_no, "clerk-001", f.accept("incomplete", materials=[]))
    do(factory, services, case_no, "clerk-001", f.supplement("withdrawn"))
    assert case_row(factory, case_no).status == "WITHDRAWN"


def test_not_accepted_ends_and_frees_the_people(factory, services, at_monday):
    case_no = start(factory, services)
    do(factory, services, case_no, "clerk-001", f.accept("not_accept", "户籍不在本辖区"))
    case = case_row(factory, case_no)
    assert case.status == "NOT_ACCEPTED"
    with unit_of_work(factory) as sess:
        docs = sess.scalars(select(Document).where(Document.case_id == case.id)).all()
        printed = [e.data for e in queries.case_events(sess, case) if e.kind == "document_issued"][0]
    assert [d.kind for d in docs] == ["not_accepted_notice"] and "户籍不在本辖区" in printed
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(services.store.get(docs[0].sha256))).pages)
    for words in ("不予受理通知书", "张秀兰", "户籍不在本辖区", "兴庆区人民政府", "行政复议", "六个月"):
        assert words in text.replace(" ", "").replace("\n", ""), words
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
        (("600", "300", "0"), {"homes": 2}, "homes"),
        (("600", "300", "0"), {"commercial_property": True}, "commercial_property"),
    ],
)
def test_ineligible_household_is_refused_with_reasons(factory, services, at_monday, incomes, inv_overrides, reason):
    sub = f.registration()
    for m, income in zip(sub["members"], incomes, strict=True):
        m["monthly_income"] = income
    case_no = to_review(factory, services, sub, **inv_overrides)
    with pytest.raises(Invalid):  # an ineligible household cannot be proposed for approval
        do(factory, services, case_no, "reviewer-001", f.review())
    do(factory, services, case_no, "reviewer-001", f.review("propose_refuse"))
    with pytest.raises(Invalid) as err:  # nor approved
        do(factory, services, case_no, "leader-001", f.leader("approve"))
    assert "leader_decision" in err.value.details
    do(factory, services, case_no, "leader-001", f.leader("reject", "经集体研究不予批准"))
    case = case_row(factory, case_no)
    assert case.status == "REFUSED" and case.amount_total is None
    with unit_of_work(factory) as sess:
        docs = sess.scalars(select(Document).where(Document.case_id == case.id)).all()
    data = data_of(factory, case_no)
    assert data["eligibility_reason"] == reason
    assert [d.kind for d in docs] == ["refusal_notice"]
    assert len(data["refusal_reasons"]) == 2


def test_a_vehicle_found_by_the_economic_check_makes_the_household_ineligible(factory, services, at_monday):
    sub = f.registration()
    case_no = start(factory, services, sub)
    do(factory, services, case_no, "clerk-001", f.accept())
    with unit_of_work(factory) as sess:
        spouse = sub["members"][1]["id_no"]
        car = {"id_no": spouse, "plate": "宁A·8K123", "kind": "小型轿车", "exempt": False}
        add_record(sess, "vehicle", spouse, car)
    assert check(factory, services, case_no)
    visit(factory, services, case_no, sub)  # the visit saw no car: the check's evidence still counts
    data = data_of(factory, case_no)
    assert data["eligibility_reason"] == "vehicle"
    assert data["economic_check"]["summary"]["vehicles"] == 1


def test_a_failing_data_source_is_a_visible_incident_and_can_be_retried(factory, services, at_monday):
    case_no = start(factory, services)
    do(factory, services, case_no, "clerk-001", f.accept())
    assert not check(factory, services, case_no, failing=("tax", "vehicle"))
    with unit_of_work(factory) as sess:
        call = sess.scalars(select(OutsideCall)).one()
        assert call.status == "incident" and call.attempts == 1
        assert "纳税" in call.last_error and "车辆" in call.last_error
    assert case_row(factory, case_no).status == "VERIFYING"  # the case waits, nothing lost
    with unit_of_work(factory) as sess:
        procedure.retry_call(sess, user(sess, "clerk-001"), case_no)
    assert check(factory, services, case_no)
    assert case_row(factory, case_no).status == "INVESTIGATING"
    with unit_of_work(factory) as sess, pytest.raises(Conflict):
        procedure.retry_call(sess, user(sess, "clerk-001"), case_no)


def test_the_second_investigator_must_be_someone_else(factory, services, at_monday):
    sub = f.registration()
    case_no = start(factory, services, sub)
    do(factory, services, case_no, "clerk-001", f.accept())
    check(factory, services, case_no)
    do(factory, services, case_no, "investigator-001", f.investigate(sub["members"]))
    with pytest.raises(Forbidden):
        do(factory, services, case_no, "investigator-001", f.cosign())
    do(factory, services, case_no, "investigator2-001", f.cosign("redo"))
    assert open_task(factory, case_no).task_spec == "investigate"  # back for more investigation


def test_objection_sends_the_case_back_and_to_a_fresh_notice(factory, services, at_monday):
    sub = f.registration()
    case_no = to_review(factory, services, sub)
    do(factory, services, case_no, "reviewer-001", f.review())
    publish(factory, services)
    with unit_of_work(factory) as sess, pytest.raises(Forbidden):
        procedure.record_objection(sess, user(sess, "investigator-001"), case_no, f.objection(), services)
    with unit_of_work(factory) as sess:
        procedure.record_objection(sess, user(sess, "clerk-001"), case_no, f.objection(), services)
    case = case_row(factory, case_no)
    assert case.status == "INVESTIGATING" and case.objection_count == 1
    assert open_task(factory, case_no).task_spec == "investigate"
    visit(factory, services, case_no, sub)
    do(factory, services, case_no, "reviewer-001", f.review())
    task = open_task(factory, case_no)  # an objection case is checked by the district before a new notice
    assert (task.task_spec, task.role) == ("county_check", "county_auditor")
    do(factory, services, case_no, "auditor", f.county_check())
    with clock.frozen(at_monday + timedelta(days=2)):
        publish(factory, services)
    data = data_of(factory, case_no)
    assert data["notice_round"] == 2 and data["notice_start"] == "2026-12-02"
    assert data["objections"][0]["content"].startswith("反映该户")
    assert tick(factory, services, at_monday + timedelta(days=9)) == 1
    assert case_row(factory, case_no).status == "PENDING_DECISION"
    assert verified(factory, case_no)  # messages replay: the objection and both batches


def verified(factory, case_no: str) -> bool:
    with unit_of_work(factory) as sess:
        result = replay.verify_case(sess, case_row(factory, case_no))
    assert result.verified, result.as_dict()
    return True


def test_when_the_notice_does_not_count_the_time_limit_moves(factory, services, at_monday):
    with unit_of_work(factory) as sess:
        settings.set_value(sess, "dibao.deadline.notice_counts", "", date(2020, 1, 1), False, "test: notice excluded")
    case_no = to_decision(factory, services)
    # 30 Nov – 6 Dec holds 5 working days: 12 Jan + 5 working days = 19 Jan
    assert case_row(factory, case_no).case_deadline == date(2027, 1, 19)
    with unit_of_work(factory) as sess:  # an extension keeps the notice days excluded
        procedure.extend_deadline(sess, user(sess, "leader-001"), case_no, {"reason": "需函询外地单位"}, services)
    assert case_row(factory, case_no).case_deadline == rules.add_working_days(date(2026, 11, 30), 45 + 5)


def test_a_case_not_yet_publicised_cannot_be_approved(factory, services, at_monday):
    case_no = to_review(factory, services)
    do(factory, services, case_no, "reviewer-001", f.review("propose_refuse"))
    with pytest.raises(Invalid) as err:
        do(factory, services, case_no, "leader-001", f.leader("approve"))
    assert "公示" in err.value.details["leader_decision"]
    do(factory, services, case_no, "leader-001", f.leader("reinvestigate", "需补充核实收入"))
    assert open_task(factory, case_no).task_spec == "investigate"


def test_deliberation_returns_to_the_review(factory, services, at_monday):
    case_no = to_review(factory, services)
    do(factory, services, case_no, "reviewer-001", f.review("deliberate"))
    assert case_row(factory, case_no).status == "DELIBERATING"
    do(factory, services, case_no, "reviewer-001", f.deliberation())
    assert open_task(factory, case_no).task_spec == "review"


def test_near_relative_case_is_flagged_and_checked_by_the_district(factory, services, at_monday):
    sub = f.registration(near_relative_declared=True, near_relative_details="申请人之兄为凤凰北街街道民政办工作人员")
    case_no = to_review(factory, services, sub)
    assert case_row(factory, case_no).near_relative is True
    do(factory, services, case_no, "reviewer-001", f.review())
    task = open_task(factory, case_no)
    assert (task.task_spec, task.role, task.township_code) == ("county_check", "county_auditor", "640104001")
    with pytest.raises(Forbidden):
        do(factory, services, case_no, "leader-001", f.county_check())
    do(factory, services, case_no, "auditor", f.county_check("reinvestigate"))
    assert open_task(factory, case_no).task_spec == "investigate"


def test_application_at_another_window_is_routed_to_the_responsible_township(factory, services, at_monday):
    sub = f.registration(responsible_township="640104002", residence_basis="residence",
                         residence_proof_note="居住证 64010420261234")
    case_no = start(factory, services, sub, clerk="clerk-001")
    case = case_row(factory, case_no)
    assert (case.township_code, case.received_by) == ("640104002", "640104001")
    task = open_task(factory, case_no)
    assert task.township_code == "640104002"
    with pytest.raises(NotFound):
        do(factory, services, case_no, "clerk-001", f.accept())
    do(factory, services, case_no, "clerk-002", f.accept(materials=[*f.CORE_MATERIALS, "residence_proof"]))
    assert case_row(factory, case_no).status == "VERIFYING"
    assert verified(factory, case_no)  # replayed with each step's township settings


def test_the_time_limit_is_extended_once_with_a_reason(factory, services, at_monday):
    case_no = to_review(factory, services)
    with unit_of_work(factory) as sess, pytest.raises(Forbidden):
        procedure.extend_deadline(sess, user(sess, "reviewer-001"), case_no, {"reason": "x"}, services)
    with unit_of_work(factory) as sess, pytest.raises(Invalid):
        procedure.extend_deadline(sess, user(sess, "leader-001"), case_no, {"reason": ""}, services)
    with unit_of_work(factory) as sess:
        reason = {"reason": "家庭成员在外地，需函询核实"}
        procedure.extend_deadline(sess, user(sess, "leader-001"), case_no, reason, services)
    case = case_row(factory, case_no)
    assert case.deadline_extended and case.case_deadline == date(2027, 2, 2)  # 45 working days after 30 Nov
    with unit_of_work(factory) as sess, pytest.raises(Conflict):
        procedure.extend_deadline(sess, user(sess, "leader-001"), case_no, {"reason": "再次延期"}, services)
    assert case_row(factory, case_no).case_deadline == date(2027, 2, 2)
    assert open_task(factory, case_no).task_spec == "review"  # the case itself did not move
    assert verified(factory, case_no)


def test_overdue_task_is_escalated_to_the_leader(factory, services, at_monday):
    case_no = start(factory, services)
    assert tick(factory, services, at_monday + timedelta(days=3)) == 0  # due 3 Dec: not yet overdue
    assert tick(factory, services, at_monday + timedelta(days=4)) == 1  # 4 Dec 00:00
    task = open_task(factory, case_no)
    assert task.task_spec == "accept" and task.escalated_at is not None
    with unit_of_work(factory) as sess:
        fired = [e for e in queries.case_events(sess, case_row(factory, case_no)) if e.kind == "timer_fired"]
    assert "accept_due" in fired[0].data
    do(factory, services, case_no, "clerk-001", f.accept())  # the task still works normally


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
    case_no = to_review(factory, services, sub)
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
    assert "members.0.id_no" in err.value.details  # another township's case is not named
    assert err.value.details["members.0.id_no"] == "该人员已在其他乡镇（街道）的在办或在保案件中，不能重复申请"
    with unit_of_work(factory) as sess, pytest.raises(Invalid) as err:
        engine.start_case(sess, user(sess, "clerk-001"), f.registration(), services)
    assert "640104001-2026-00001" in err.value.details["members.0.id_no"]  # the township's own case is


def test_dated_setting_applies_from_its_date(factory, services):
    with unit_of_work(factory) as sess:
        settings.set_value(sess, "dibao.standard.urban", "6401", date(2027, 1, 1), "700.00", "test: raised standard")
    sub = f.registration()
    with clock.frozen(f_dt(2026, 12, 28)):
        case_no = start(factory, services, sub)
        do(factory, services, case_no, "clerk-001", f.accept())
        check(factory, services, case_no)
    with clock.frozen(f_dt(2027, 1, 4)):
        visit(factory, services, case_no, sub)
    with unit_of_work(factory) as sess:
        data = queries.case_data(sess, case_row(factory, case_no))
    assert data["standard"] == "700.00"
    assert data["amount"]["base"] == "1200.00"  # (700 − 300) × 3


def f_dt(y, m, d):
    return datetime(y, m, d, 10, 0, tzinfo=clock.CHINA_TZ)


def test_a_batch_list_is_kept_once_and_every_case_verifies_against_it(factory, services, at_monday):
    first, second = to_review(factory, services), to_review(factory, services, f.registration(members=[
        f.member("周立新", date(1965, 4, 4), "self", "200", seq=7)]))
    for case_no in (first, second):
        do(factory, services, case_no, "reviewer-001", f.review())
    number, published = publish(factory, services)
    assert published == [first, second]
    with unit_of_work(factory) as sess:
        kept = [[e for e in queries.case_events(sess, case_row(factory, no)) if e.kind == "document_issued"][0]
                for no in (first, second)]
        assert '"rows"' in kept[0].data and '"rows"' not in kept[1].data  # the list is stored once
        assert '"context_in"' in kept[1].data and "周*新" in kept[1].data  # its own row, name masked as posted
        for no in (first, second):
            result = replay.verify_case(sess, case_row(factory, no), services.render, services.store)
            assert result.verified, result.as_dict()
        doc = sess.scalars(select(Document).where(Document.number == number)).one()
        assert doc.case_id is None and doc.kind == "public_notice_list"
