"""动态管理: reviews of households on 低保 (process dibao_review), on the engine with a set clock."""

import io
from datetime import date, datetime, timedelta
from decimal import Decimal

import pytest
from pypdf import PdfReader
from sqlalchemy import select

from tests import factories as f
from tests.workflows.test_engine_flow import check, do, open_task, tick, to_decision, user
from workflows import benefits, clock, queries, replay, reviews
from workflows.adapters.simulator import add_record
from workflows.errors import Conflict, Forbidden
from workflows.store import Benefit, BenefitChange, Case, Document, PersonIndex, unit_of_work

DECIDED = f.MONDAY + timedelta(days=8)  # the approval: Tue 8 Dec 2026, paid from January 2027
REVIEW_DAY = f.MONDAY + timedelta(days=360)  # late November 2027, a year on


def approved(factory, services, sub=None) -> int:
    """A household approved through the real application procedure; returns its benefit id."""
    sub = sub or f.registration()
    case_no = to_decision(factory, services, sub)
    tick(factory, services, DECIDED)
    with clock.frozen(DECIDED):
        do(factory, services, case_no, "leader-001", f.leader())
    with unit_of_work(factory) as sess:
        return sess.scalars(select(Benefit.id)).one()


def run_review(factory, services, benefit_id: int, sub: dict, at=REVIEW_DAY, **visit) -> str:
    """Start the review, answer the 核对, visit, review and confirm; returns the review's case number."""
    with clock.frozen(at):
        with unit_of_work(factory) as sess:
            case_no = reviews.start_review(sess, user(sess, "clerk-001"), benefit_id,
                                           {"review_reason": "scheduled", "change_report": ""}, services).case.case_no
        assert check(factory, services, case_no)
        inv = f.investigate(sub["members"], **visit.pop("overrides", {}))
        inv.pop("neighbours")
        for row, changes in zip(inv["members_verified"], visit.pop("rows", []), strict=False):
            row.update(changes)
        do(factory, services, case_no, "investigator-001", inv)
        do(factory, services, case_no, "reviewer-001", {"review_opinion": "agree", "review_comment": "复核属实。"})
        do(factory, services, case_no, "leader-001", {"leader_decision": "confirm", "meeting_ref": "2027年第40次",
                                                      "change_reason": "家庭收入情况发生变化。"})
    return case_no


def benefit_row(factory, benefit_id):
    with unit_of_work(factory) as sess:
        return sess.get(Benefit, benefit_id)


def paid(factory, benefit_id, month):
    with unit_of_work(factory) as sess:
        return benefits.amount_in_month(sess, sess.get(Benefit, benefit_id), month)


def test_due_reviews_are_listed_and_one_runs_at_a_time(factory, services, at_monday):
    benefit_id = approved(factory, services)
    with unit_of_work(factory) as sess, clock.frozen(DECIDED + timedelta(days=300)):
        assert reviews.reviews_due(sess, user(sess, "clerk-001")) == []  # due 8 Dec 2027
    with unit_of_work(factory) as sess, clock.frozen(REVIEW_DAY):
        assert [b.id for b in reviews.reviews_due(sess, user(sess, "clerk-001"))] == [benefit_id]
        assert reviews.reviews_due(sess, user(sess, "clerk-002")) == []  # another township
    start = {"review_reason": "scheduled", "change_report": ""}
    with unit_of_work(factory) as sess, clock.frozen(REVIEW_DAY), pytest.raises(Forbidden):
        reviews.start_review(sess, user(sess, "investigator-001"), benefit_id, start, services)
    with unit_of_work(factory) as sess, clock.frozen(REVIEW_DAY):
        reviews.start_review(sess, user(sess, "clerk-001"), benefit_id, start, services)
    with unit_of_work(factory) as sess, clock.frozen(REVIEW_DAY), pytest.raises(Conflict):
        reviews.start_review(sess, user(sess, "clerk-001"), benefit_id, start, services)
    with unit_of_work(factory) as sess, clock.frozen(REVIEW_DAY):
        assert reviews.reviews_due(sess, user(sess, "clerk-001")) == []  # under way


def test_unchanged_household_keeps_its_amount_and_gets_its_next_review(factory, services, at_monday):
    sub = f.registration()
    benefit_id = approved(factory, services, sub)
    case_no = run_review(factory, services, benefit_id, sub)
    benefit = benefit_row(factory, benefit_id)
    assert benefit.status == "ACTIVE" and str(benefit.amount) == "1022.00"
    assert benefit.next_review_on == date(2028, 11, 25)  # a year after the review's decision
    with unit_of_work(factory) as sess:
        case = sess.scalars(select(Case).where(Case.case_no == case_no)).one()
        assert case.status == "REVIEWED" and case.benefit_id == benefit_id
        doc = sess.scalars(select(Document).where(Document.case_id == case.id)).one()
        assert doc.kind == "change_notice"
        printed = [e.data for e in queries.case_events(sess, case) if e.kind == "document_issued"][0]
        assert "保障金额不变" in printed
        assert replay.verify_case(sess, case).verified


def test_more_income_reduces_the_amount_from_the_next_month(factory, services, at_monday):
    sub = f.registration()
    benefit_id = approved(factory, services, sub)
    # the spouse now earns 600 (was 300): income 1,200 over 3 → (620 − 400) × 3 = 660, + 62 for the child
    run_review(factory, services, benefit_id, sub, rows=[{}, {"wage_income": "600"}])
    benefit = benefit_row(factory, benefit_id)
    assert str(benefit.amount) == "722.00"
    assert paid(factory, benefit_id, "2027-11") == (Decimal("1022.00"), 3)  # the review decided in November
    assert paid(factory, benefit_id, "2027-12") == (Decimal("722.00"), 3)
    with unit_of_work(factory) as sess:
        kinds = [c.kind for c in sess.scalars(select(BenefitChange).order_by(BenefitChange.id))]
    assert kinds == ["granted", "reduce"]


def test_a_car_found_by_the_check_stops_the_benefit_and_frees_the_members(factory, services, at_monday):
    sub = f.registration()
    benefit_id = approved(factory, services, sub)
    holder = sub["members"][0]["id_no"]
    with unit_of_work(factory) as sess:
        car = {"id_no": holder, "plate": "宁A·5Z678", "kind": "小型轿车", "exempt": False}
        add_record(sess, "vehicle", holder, car)
    case_no = run_review(factory, services, benefit_id, sub)
    benefit = benefit_row(factory, benefit_id)
    assert benefit.status == "TERMINATED" and benefit.end_month == "2027-11"
    assert paid(factory, benefit_id, "2027-12") is None
    with unit_of_work(factory) as sess:
        assert sess.scalars(select(PersonIndex)).all() == []  # they may apply again
        case = sess.scalars(select(Case).where(Case.case_no == case_no)).one()
        printed = [e.data for e in queries.case_events(sess, case) if e.kind == "document_issued"][0]
    assert "停发" in printed and '"appeal":true' in printed  # the notice carries the appeal clause
    with unit_of_work(factory) as sess:
        doc = sess.scalars(select(Document).where(Document.case_id == case.id)).one()
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(services.store.get(doc.sha256))).pages)
    for words in ("复核决定通知书", "停发", "1022.00", "0.00", "2027年12月", "兴庆区人民政府", "行政复议"):
        assert words in text.replace(" ", ""), words


def test_income_from_work_over_the_standard_phases_out_over_twelve_months(factory, services, at_monday):
    sub = f.registration()
    benefit_id = approved(factory, services, sub)
    # the spouse found a job: 1,900 a month → per capita 833 ≥ 620, by wages: 渐退
    case_no = run_review(factory, services, benefit_id, sub, rows=[{}, {"wage_income": "1900"}])
    benefit = benefit_row(factory, benefit_id)
    assert benefit.status == "PHASING_OUT" and benefit.end_month == "2028-11"  # Dec 2027 – Nov 2028
    for month in ("2027-12", "2028-06", "2028-11"):
        assert paid(factory, benefit_id, month) == (Decimal("1022.00"), 3)  # the amount goes on meanwhile
    with unit_of_work(factory) as sess:
        assert sess.scalars(select(Case.status).where(Case.case_no == case_no)).one() == "PHASING_OUT"
    assert tick(factory, services, datetime_cn(2028, 11, 30, 12)) == 0
    assert tick(factory, services, datetime_cn(2028, 12, 1, 9)) == 1  # the period ended at midnight
    benefit = benefit_row(factory, benefit_id)
    assert benefit.status == "TERMINATED" and paid(factory, benefit_id, "2028-12") is None
    with unit_of_work(factory) as sess:
        case = sess.scalars(select(Case).where(Case.case_no == case_no)).one()
        docs = sess.scalars(select(Document.kind).where(Document.case_id == case.id)).all()
        assert case.status == "EXITED" and docs == ["change_notice", "change_notice"]  # at start and at end
        assert replay.verify_case(sess, case).verified


def test_the_review_task_goes_to_another_person(factory, services, at_monday):
    sub = f.registration()
    benefit_id = approved(factory, services, sub)
    with clock.frozen(REVIEW_DAY):
        with unit_of_work(factory) as sess:
            case_no = reviews.start_review(sess, user(sess, "clerk-001"), benefit_id,
                                           {"review_reason": "reported_change", "change_report": "配偶就业"},
                                           services).case.case_no
        check(factory, services, case_no)
        inv = f.investigate(sub["members"])
        inv.pop("neighbours")
        do(factory, services, case_no, "investigator-001", inv)
        with unit_of_work(factory) as sess:
            user(sess, "investigator-001").role = "reviewer"
        with pytest.raises(Forbidden):
            do(factory, services, case_no, "investigator-001", {"review_opinion": "agree", "review_comment": "x"})
        assert open_task(factory, case_no).task_spec == "review"


def datetime_cn(y, m, d, h):
    return datetime(y, m, d, h, tzinfo=clock.CHINA_TZ)
