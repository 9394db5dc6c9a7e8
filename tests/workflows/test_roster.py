"""The monthly payment roster: who is paid in a month, issued once, exported for the bank, reconciled.

Rosters are issued through their process (drawn up by the reviewer, approved by the leader:
``tests.drive.roster``); the process itself is tested in ``test_roster_process``."""

import hashlib
import io
import json
import shutil
import zipfile
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal

import pytest
from openpyxl import load_workbook
from pypdf import PdfReader
from sqlalchemy import delete, select, text, update

from tests import drive
from tests import factories as f
from tests.workflows.test_engine_flow import do, tick, to_decision
from webapp.documents import render_pdf
from workflows import clock, roster, roster_process, store
from workflows.documents import DocumentIntegrityError, DocumentStore
from workflows.errors import Conflict, Forbidden
from workflows.step import Services
from workflows.store import (
    Benefit,
    BenefitChange,
    Case,
    CaseEvent,
    Document,
    PaymentRoster,
    PaymentRosterLine,
    ProcessSpec,
    User,
    unit_of_work,
)

CN = timezone(timedelta(hours=8))
JAN_5 = datetime(2027, 1, 5, 9, 30, tzinfo=CN)  # a working Tuesday: January's roster is issued
TOWN, OTHER_TOWN = "640104001", "640104002"
SPEC = "0" * 64


def user(sess, name: str) -> User:
    return sess.scalars(select(User).where(User.username == name)).one()


def add_benefit(sess, no: int, name: str, start: str, amount: str, persons: int = 1, town: str = TOWN,
                changes=()) -> Benefit:
    """A household on the register without running its case: a bare case row, the benefit, its changes.

    Households of the 街道 under test are urban; those of the other township rural.
    """
    standard_class = "urban" if town == TOWN else "rural"
    if sess.get(ProcessSpec, SPEC) is None:
        sess.add(ProcessSpec(hash=SPEC, process_id="dibao_application", sources="{}"))
    id_no = f.id_number(date(1960, 1, 1) + timedelta(days=no), seq=no)
    case = Case(case_no=f"{town}-2026-9{no:04d}", process_id="dibao_application", spec_hash=SPEC,
                township_code=town, status="APPROVED", applicant_name=name, applicant_id_no=id_no,
                household_size=persons, applied_on=date(2026, 1, 5), created_by_id=user(sess, "clerk-001").id)
    sess.add(case)
    sess.flush()
    benefit = Benefit(case_id=case.id, township_code=town, certificate_no=f"ZS-{town}-2026-9{no:05d}",
                      holder_name=name, holder_id_no=id_no, persons=persons, amount=Decimal(amount),
                      standard_class=standard_class, review_cycle="yearly", next_review_on=date(2027, 6, 1),
                      start_month=start)
    sess.add(benefit)
    sess.flush()
    for seq, (kind, month, new_amount, new_persons) in enumerate([("granted", start, amount, persons), *changes], 1):
        sess.add(BenefitChange(benefit_id=benefit.id, case_id=case.id, event_seq=seq, kind=kind,
                               effective_month=month, amount=Decimal(new_amount), persons=new_persons,
                               reason=kind, at=datetime(2026, 1, 5, tzinfo=CN)))
    sess.flush()
    return benefit


def households(factory) -> None:
    """The register the month tests use (inserted out of certificate order on purpose)."""
    with unit_of_work(factory) as sess:
        add_benefit(sess, 4, "赵丽", "2026-06", "900.00", 2, changes=[("reduce", "2027-02", "500.00", 2)])
        add_benefit(sess, 2, "王伟", "2027-01", "800.00", 2)
        add_benefit(sess, 3, "刘芳", "2026-10", "620.00", 1, changes=[("stop", "2027-01", "0.00", 1)])
        add_benefit(sess, 5, "陈静", "2027-02", "700.00", 3)
        add_benefit(sess, 6, "杨勇", "2026-01", "650.00", 1, town=OTHER_TOWN)


def issue(factory, services, month="2027-01", town=TOWN, at=JAN_5) -> int:
    """Issue the month's roster through its process (reviewer draws it up, leader approves); its id."""
    with clock.frozen(at):
        case_no = drive.roster(factory, services, month, town[-3:])
    with unit_of_work(factory) as sess:
        found = roster.find(sess, town, month)
        assert roster_process.case_of(sess, found).case_no == case_no
        return found.id


def certificates(lines) -> list[str]:
    return [line["certificate_no"] for line in lines]


def test_draft_lists_the_households_with_an_amount_that_month(factory):
    households(factory)
    with unit_of_work(factory) as sess:
        december, january, february = (roster.draft(sess, TOWN, m) for m in ("2026-12", "2027-01", "2027-02"))
        assert sess.scalars(select(PaymentRoster)).first() is None  # a preview writes nothing
    # 刘芳 is paid until her stop; 王伟 and 陈静 from their start month; 赵丽's reduction from February.
    assert [(x["holder_name"], str(x["amount"])) for x in december] == [("刘芳", "620.00"), ("赵丽", "900.00")]
    assert [(x["holder_name"], str(x["amount"])) for x in january] == [("王伟", "800.00"), ("赵丽", "900.00")]
    assert [(x["holder_name"], str(x["amount"])) for x in february] == [
        ("王伟", "800.00"), ("赵丽", "500.00"), ("陈静", "700.00")]
    assert certificates(february) == sorted(certificates(february)) and [x["seq"] for x in february] == [1, 2, 3]
    wang = january[0]
    assert wang["holder_id_masked"] == f.id_number(date(1960, 1, 3), seq=2)[:6] + "********" + \
        f.id_number(date(1960, 1, 3), seq=2)[-4:]
    assert (wang["persons"], wang["standard_class_label"]) == (2, "城市低保")
    assert roster.totals(february) == {"households": 3, "persons": 7, "amount": Decimal("2000.00")}


@pytest.mark.slow
def test_a_real_approved_case_is_paid_on_the_roster_from_its_start_month(factory, services, at_monday):
    """The engine's approval gives the certificate number and amount; the roster pays it from January."""
    case_no = to_decision(factory, services)
    tick(factory, services, at_monday + timedelta(days=7, hours=-8))
    with clock.frozen(at_monday + timedelta(days=7)):
        do(factory, services, case_no, "leader-001", f.leader())
    households(factory)
    with unit_of_work(factory) as sess:
        granted = sess.scalars(
            select(Benefit).join(Case, Benefit.case_id == Case.id).where(Case.case_no == case_no)).one()
        assert [x["holder_name"] for x in roster.draft(sess, TOWN, "2026-12")] == ["刘芳", "赵丽"]
        assert granted.holder_id_no not in str(roster.draft(sess, TOWN, "2027-01"))
    roster_id = issue(factory, services)

    with unit_of_work(factory) as sess:
        issued = sess.get(PaymentRoster, roster_id)
        lines = issued.lines
        assert [(x.holder_name, str(x.amount), x.persons) for x in lines] == [
            ("张秀兰", "1022.00", 3), ("王伟", "800.00", 2), ("赵丽", "900.00", 2)]  # by certificate number
        assert lines[0].certificate_no == granted.certificate_no and lines[0].benefit_id == granted.id
        assert (issued.households, issued.persons, str(issued.total)) == (3, 7, "2722.00")
        assert issued.total == sum(x.amount for x in lines) and issued.persons == sum(x.persons for x in lines)
        assert issued.pdf_number == "FF-640104001-2027-000001" and issued.month == "2027-01"
        doc = roster.pdf_document(sess, issued)
        case = roster_process.case_of(sess, issued)
        assert (doc.kind, doc.case_id, doc.township_code, case.status) == ("payment_roster", case.id, TOWN,
                                                                          "ROSTER_ISSUED")
        pdf = services.store.get(doc.sha256)
        recorded = sess.scalars(select(CaseEvent).where(CaseEvent.case_id == case.id,
                                                        CaseEvent.kind == "document_issued")).one()
        context = json.loads(recorded.data)["context"]
        assert (recorded.seq, context["number"]) == (doc.event_seq, doc.number)
        printed = roster.document_context(sess, issued, doc.verify_code)
        assert context == {**printed, "prepared_by": "凤凰北街街道审核员"}
        assert roster.reconcile(sess, issued) == []
        full_ids = [b.holder_id_no for b in sess.scalars(select(Benefit))]

    assert hashlib.sha256(render_pdf("payment_roster", context)).hexdigest() == doc.sha256  # re-rendered: same bytes
    reader = PdfReader(io.BytesIO(pdf))
    assert float(reader.pages[0].mediabox.width) > float(reader.pages[0].mediabox.height)  # A4 landscape
    words = "".join("".join(page.extract_text() for page in reader.pages).split())
    for expected in ("凤凰北街街道", "2027年1月", "王伟", "赵丽", "张秀兰", "2722.00", "FF-640104001-2027-000001",
                     "制表人：凤凰北街街道审核员", "审核人：凤凰北街街道分管领导"):
        assert expected in words
    assert not [id_no for id_no in full_ids if id_no in words]


def test_the_workbook_has_the_lines_numeric_amounts_and_a_checked_total(factory, services):
    households(factory)
    roster_id = issue(factory, services, month="2027-02")
    with unit_of_work(factory) as sess:
        issued = sess.get(PaymentRoster, roster_id)
        content = roster.xlsx_bytes(sess, issued, services.store)
        assert hashlib.sha256(content).hexdigest() == issued.xlsx_sha256
        masked = [x.holder_id_masked for x in issued.lines]
    ws = load_workbook(io.BytesIO(content)).active
    assert "凤凰北街街道" in ws["A1"].value and "2027年2月" in ws["D2"].value and "2027年1月5日" in ws["F2"].value
    assert [c.value for c in ws[4]] == ["序号", "低保证号", "户主姓名", "身份证号（脱敏）", "保障人数",
                                        "月保障金额（元）", "类别"]
    rows = [[c.value for c in row] for row in ws.iter_rows(min_row=5, max_row=7)]
    assert [(r[0], r[2], r[4], r[5]) for r in rows] == [(1, "王伟", 2, 800), (2, "赵丽", 2, 500), (3, "陈静", 3, 700)]
    assert [r[3] for r in rows] == masked and all(len(m) == 18 and m[6:14] == "*" * 8 for m in masked)
    assert all(isinstance(r[5], int | float) for r in rows) and ws["F5"].number_format == "0.00"
    assert (ws["A8"].value, ws["E8"].value, ws["F8"].value) == ("合计", "=SUM(E5:E7)", "=SUM(F5:F7)")
    assert (ws["A9"].value, ws["B9"].value, ws["E9"].value) == ("核定合计", 3, 7)
    assert Decimal(str(ws["F9"].value)) == sum(Decimal(str(r[5])) for r in rows) == Decimal("2000")
    assert ws.freeze_panes == "A5" and ws.column_dimensions["B"].width > 20


def test_the_workbook_bytes_are_the_same_whenever_and_wherever_they_are_made(template_db, tmp_path):
    """Same data, two fresh databases, issued at different times of the same day: the same SHA-256."""
    digests = []
    for n, at in enumerate((JAN_5, JAN_5 + timedelta(hours=6, seconds=7))):
        path = tmp_path / f"db{n}.sqlite3"
        shutil.copy(template_db, path)
        engine = store.make_engine(f"sqlite:///{path}")
        factory = store.make_session_factory(engine)
        services = Services(render=render_pdf, store=DocumentStore(tmp_path / f"documents{n}"))
        households(factory)
        roster_id = issue(factory, services, at=at)
        with clock.frozen(at + timedelta(days=40)), unit_of_work(factory) as sess:  # built again, later
            issued = sess.get(PaymentRoster, roster_id)
            again = roster.workbook(sess, issued)
            digests += [issued.xlsx_sha256, hashlib.sha256(again).hexdigest()]
        engine.dispose()
    assert len(set(digests)) == 1
    with zipfile.ZipFile(io.BytesIO(again)) as archive:
        assert {entry.date_time for entry in archive.infolist()} == {(2027, 1, 5, 0, 0, 0)}
        core = archive.read("docProps/core.xml").decode()
    assert "<dc:creator" in core and ">dibao<" in core and core.count("2027-01-04T16:00:00Z") == 2


def test_the_county_auditor_may_see_the_rosters_but_a_clerk_may_not(factory):
    with unit_of_work(factory) as sess:
        for name in ("auditor", "admin", "leader-001", "reviewer-001"):
            roster.check_can_view(user(sess, name), TOWN)
        for name in ("clerk-001", "investigator-001", "leader-002"):
            with pytest.raises(Forbidden):
                roster.check_can_view(user(sess, name), TOWN)


def add_line(issued: PaymentRoster) -> None:
    issued.lines.append(PaymentRosterLine(
        seq=9, benefit_id=issued.lines[0].benefit_id, certificate_no="X", holder_name="X", holder_id_masked="X",
        persons=1, amount=Decimal("1.00"), standard_class="urban"))


def test_an_issued_roster_cannot_be_changed_or_deleted(factory, services):
    households(factory)
    roster_id = issue(factory, services)
    attempts = {
        "line amount": lambda s: setattr(s.scalars(select(PaymentRosterLine)).first(), "amount", Decimal("1.00")),
        "total": lambda s: setattr(s.get(PaymentRoster, roster_id), "total", Decimal("0.00")),
        "delete line": lambda s: s.delete(s.scalars(select(PaymentRosterLine)).first()),
        "delete roster": lambda s: s.delete(s.get(PaymentRoster, roster_id)),
        "add line": lambda s: add_line(s.get(PaymentRoster, roster_id)),
        "orm update": lambda s: s.execute(update(PaymentRosterLine).values(amount=Decimal("0.00"))),
        "orm delete": lambda s: s.execute(delete(PaymentRoster)),
    }
    for name, attempt in attempts.items():
        with pytest.raises(Conflict), unit_of_work(factory) as sess:
            attempt(sess)
            sess.flush()
            pytest.fail(f"{name} was allowed")
    with unit_of_work(factory) as sess:  # reading, or setting a value to what it is, is no change
        issued = sess.get(PaymentRoster, roster_id)
        issued.total = Decimal(issued.total)
        assert roster.reconcile(sess, issued) == []


def test_reconcile_finds_a_tampered_line_a_rewritten_register_and_a_missing_household(factory, services):
    households(factory)
    roster_id = issue(factory, services)
    with unit_of_work(factory) as sess:
        sess.execute(text("UPDATE payment_roster_line SET amount = amount + 100 WHERE seq = 1"))
    with unit_of_work(factory) as sess:
        problems = roster.reconcile(sess, sess.get(PaymentRoster, roster_id))
    assert len(problems) == 2
    assert "合计金额 1700.00 与明细之和 1800.00 不一致" in problems[0]
    assert "王伟" in problems[1] and "900.00" in problems[1] and "800.00" in problems[1]

    with unit_of_work(factory) as sess:
        sess.execute(text("UPDATE payment_roster_line SET amount = amount - 100 WHERE seq = 1"))
        zhao = sess.scalars(select(Benefit).where(Benefit.holder_name == "赵丽")).one()
        sess.add(BenefitChange(benefit_id=zhao.id, case_id=zhao.case_id, event_seq=9, kind="reduce",
                               effective_month="2027-01", amount=Decimal("450.00"), persons=2, reason="补录",
                               at=JAN_5 + timedelta(days=3)))
        add_benefit(sess, 7, "周杰", "2027-01", "610.00")
    with unit_of_work(factory) as sess:
        problems = roster.reconcile(sess, sess.get(PaymentRoster, roster_id))
        assert [line.amount for line in sess.get(PaymentRoster, roster_id).lines] == [Decimal("800.00"),
                                                                                        Decimal("900.00")]
    assert len(problems) == 2
    assert "赵丽" in problems[0] and "登记簿该月应发 450.00" in problems[0]
    assert "周杰" in problems[1] and "未列入花名册" in problems[1]


def test_a_missing_or_changed_workbook_is_never_served(factory, services):
    households(factory)
    roster_id = issue(factory, services)
    with unit_of_work(factory) as sess:
        issued = sess.get(PaymentRoster, roster_id)
        services.store.path(issued.xlsx_sha256, ".xlsx").write_bytes(b"PK forged")
        with pytest.raises(DocumentIntegrityError):
            roster.xlsx_bytes(sess, issued, services.store)
        assert sess.scalars(select(Document).where(Document.kind == "payment_roster")).one().number == \
            issued.pdf_number
