"""临时救助 through the web pages, path by path: the paperwork after 先行救助 (核对, then the reviewer's
补办 and the written notice within the deadline); a 核对 still unanswered at the deadline, shown to the
leader on 逾期督办; the 支出型 normal path paid from the reserve; an amount above the township's limit
decided and paid by the county auditor; and the reserve, which never goes below zero."""

import io
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from pypdf import PdfReader
from sqlalchemy import select

from tests import drive
from tests import factories as f
from tests.webapp.test_temp_assistance_web import CASE_LINK, TASK_LINK, emergency_task, register, rows
from tests.webapp.web import login, post_form
from tests.workflows.test_temp_assistance import application, decide, paperwork
from webapp import db, services
from workflows import clock, reserve, rules
from workflows.store import Case, Document, ReserveEntry, unit_of_work

TOWN = "640104001"
PAID_ON = date(2026, 11, 30)  # at_monday
DEADLINE = rules.add_working_days(PAID_ON, 20)  # temp.deadline.paperwork_wd


def deposit(client, amount: str) -> None:
    login(client, "leader-001")
    done = post_form(client, "/reserve/deposit", {"amount": amount, "note": "区财政拨付备用金"}, token_from="/reserve/")
    assert done.status_code == 302


def registered(client, sub: dict) -> str:
    done = register(client, sub)
    assert done.status_code == 302, done.get_data(as_text=True)
    return CASE_LINK.search(done.headers["Location"]).group(1)


def task_page(client, username: str, title: str) -> str:
    """As ``username``: the page of the first task of the queue, which must be ``title``."""
    login(client, username)
    queue = client.get("/tasks/").get_data(as_text=True)
    assert title in queue, queue
    return f"/tasks/{TASK_LINK.search(queue).group(1)}"


def worker_pass(app) -> str:
    """One ``flask tick``: the due 核对 calls (simulator), then due timers."""
    return app.test_cli_runner().invoke(args=["tick"]).output


def notice_text(app, client, case_no: str) -> str:
    """The case's temporary assistance notice, downloaded from the case page, as text."""
    with app.app_context(), unit_of_work(db.factory()) as sess:
        case = sess.scalars(select(Case).where(Case.case_no == case_no)).one()
        (doc,) = sess.scalars(select(Document).where(Document.case_id == case.id)).all()
    assert doc.kind == "temp_assistance_notice"
    resp = client.get(f"/cases/{case_no}/documents/{doc.number}.pdf")
    assert resp.status_code == 200 and resp.mimetype == "application/pdf"
    return "".join(p.extract_text() for p in PdfReader(io.BytesIO(resp.data)).pages).replace(" ", "")


def expense(amount: str, name: str = "王桂芳", seq: int = 2) -> dict:
    members = [{"name": name, "id_no": f.id_number(date(1975, 4, 2), seq), "relation": "self"}]
    return application("expense", amount, cause="medical", cause_detail="患重病住院，自付医疗费用超出承受能力。",
                       members=members)


def review(amount: str) -> dict:
    return {"review_opinion": "approve", "proposed_amount": amount, "review_comment": "核对属实，医疗支出较大。"}


def test_after_paying_first_the_paperwork_is_completed_within_the_deadline(app, client, at_monday):
    deposit(client, "3000")
    case_no = registered(client, application())
    assert post_form(client, emergency_task(client), decide(amount="2000.00")).status_code == 302
    assert "外部核对已答复：1 件" in worker_pass(app)  # the 核对 after the payment

    task = task_page(client, "reviewer-001", "补办手续（核对、评议、公示）")
    queue = client.get("/tasks/").get_data(as_text=True)
    assert DEADLINE.isoformat() in queue  # due on the paperwork deadline
    html = client.get(task).get_data(as_text=True)
    assert "补办手续期限" in html and DEADLINE.isoformat() in html and "¥2,000.00" in html
    refused = post_form(client, task, {**paperwork("inconsistent"), "paperwork_note": ""})
    assert refused.status_code == 422 and "情况说明" in refused.get_data(as_text=True)
    assert post_form(client, task, paperwork()).status_code == 302

    html = client.get(f"/cases/{case_no}").get_data(as_text=True)
    assert "已救助" in html and "临时救助审批决定通知书" in html
    words = notice_text(app, client, case_no)
    for phrase in ("临时救助审批决定通知书", "急难型", "批准", "2000.00", "急难型先行救助",
                   "已按规定补办家庭经济状况核对、评议和公示手续", "行政复议"):
        assert phrase in words, phrase
    login(client, "leader-001")
    assert "没有逾期督办的环节" in client.get("/tasks/escalated").get_data(as_text=True)


def test_a_check_unanswered_at_the_deadline_is_shown_to_the_leader(app, client, at_monday):
    deposit(client, "3000")
    case_no = registered(client, application())
    assert post_form(client, emergency_task(client), decide(amount="1000.00")).status_code == 302
    after = datetime.combine(DEADLINE + timedelta(days=1), time(0, 1), clock.CHINA_TZ)
    with app.app_context():  # the 核对 never answers; the deadline passes
        assert drive.tick(db.factory(), services.get(), after) == 1
    with clock.frozen(after + timedelta(hours=9)):
        login(client, "leader-001")
        html = client.get("/tasks/escalated").get_data(as_text=True)
        assert "督办：补办核对逾期" in html and case_no in html
        task = task_page(client, "leader-001", "督办：补办核对逾期")
        page = client.get(task).get_data(as_text=True)
        assert "家庭经济状况信息核对仍未返回结果" in page and "督办措施" in page
        login(client, "reviewer-001")
        assert client.get(task).status_code == 403
        login(client, "leader-001")
        refused = post_form(client, task, {"follow_up": "chased", "follow_up_note": ""})
        assert refused.status_code == 422
        done = post_form(client, task, {"follow_up": "chased", "follow_up_note": "已电话督促区核对中心。"})
        assert done.status_code == 302
        assert "没有逾期督办的环节" in client.get("/tasks/escalated").get_data(as_text=True)
        html = client.get(f"/cases/{case_no}").get_data(as_text=True)
        assert "待补办手续" in html and "督办：补办核对逾期" in html  # in the history


def test_an_expense_case_follows_the_normal_path_and_is_paid_from_the_reserve(app, client, at_monday):
    deposit(client, "3000")
    case_no = registered(client, expense("1500.00"))
    assert "外部核对已答复：1 件" in worker_pass(app)
    task = task_page(client, "reviewer-001", "乡镇审核（支出型）")
    assert post_form(client, task, review("1500.00")).status_code == 302
    login(client, "leader-001")
    task = task_page(client, "leader-001", "乡镇审批（支出型）")
    assert "¥2,480.00" in client.get(task).get_data(as_text=True)  # the township's limit beside the form
    over = post_form(client, task, decide(amount="2500.00"))
    assert over.status_code == 422
    assert "金额 2500.00 元超过乡镇（街道）审批权限（2480.00 元）" in over.get_data(as_text=True)
    assert post_form(client, task, decide(amount="1500.00")).status_code == 302

    html = client.get("/reserve/").get_data(as_text=True)
    assert "¥1,500.00" in html and "-¥1,500.00" in html and case_no in html
    html = client.get(f"/cases/{case_no}").get_data(as_text=True)
    assert "已救助" in html and "乡镇（街道）临时救助备用金" in html
    words = notice_text(app, client, case_no)
    assert "支出型" in words and "1500.00" in words and "先行救助" not in words


def test_an_amount_above_the_township_limit_is_decided_and_paid_by_the_county(app, client, at_monday):
    deposit(client, "3000")
    case_no = registered(client, expense("5000.00"))
    worker_pass(app)
    task = task_page(client, "reviewer-001", "乡镇审核（支出型）")
    over = post_form(client, task, review("6500.00"))
    assert over.status_code == 422 and "超过临时救助最高限额（6200.00 元）" in over.get_data(as_text=True)
    assert post_form(client, task, review("5000.00")).status_code == 302

    login(client, "leader-001")
    assert "乡镇审批（支出型）" not in client.get("/tasks/").get_data(as_text=True)
    task = task_page(client, "auditor", "区民政局审批（超乡镇权限）")
    html = client.get(task).get_data(as_text=True)
    assert case_no in html and "¥6,200.00" in html
    login(client, "leader-001")
    assert client.get(task).status_code == 403
    login(client, "auditor")
    assert post_form(client, task, decide(amount="5000.00", comment="超乡镇权限，区级审批同意。")).status_code == 302
    html = client.get(f"/cases/{case_no}").get_data(as_text=True)
    assert "已救助" in html and "区民政局" in html and "¥5,000.00" in html
    assert [(e.kind, e.amount) for e in rows(app, ReserveEntry)] == [("deposit", Decimal("3000.00"))]  # untouched
    assert "区民政局" in notice_text(app, client, case_no)


def test_the_reserve_never_goes_below_zero_through_the_pages(app, client, at_monday):
    deposit(client, "2000")
    first = registered(client, expense("1500.00"))
    second = registered(client, expense("800.00", name="刘春梅", seq=4))
    assert "外部核对已答复：2 件" in worker_pass(app)
    for case_no, amount in ((first, "1500.00"), (second, "800.00")):
        with app.app_context():
            task = drive.open_task(db.factory(), case_no)
        login(client, "reviewer-001")
        assert post_form(client, f"/tasks/{task.id}", review(amount)).status_code == 302
    login(client, "leader-001")
    with app.app_context():
        tasks = {no: drive.open_task(db.factory(), no).id for no in (first, second)}
    assert post_form(client, f"/tasks/{tasks[first]}", decide(amount="1500.00")).status_code == 302
    refused = post_form(client, f"/tasks/{tasks[second]}", decide(amount="800.00"))
    html = refused.get_data(as_text=True)
    assert refused.status_code == 422
    assert "乡镇临时救助备用金余额不足：余额 500.00 元，不足支付 800.00 元。请先补充备用金或调整救助金额" in html
    assert 'value="800.00"' in html  # as typed
    html = client.get("/reserve/").get_data(as_text=True)
    assert "¥500.00" in html and "-¥800.00" not in html

    deposit(client, "300")  # topped up: now it can pay
    assert post_form(client, f"/tasks/{tasks[second]}", decide(amount="800.00")).status_code == 302
    entries = rows(app, ReserveEntry)
    assert [(e.kind, e.balance_after) for e in entries] == [
        ("deposit", Decimal("2000.00")), ("payment", Decimal("500.00")), ("deposit", Decimal("800.00")),
        ("payment", Decimal("0.00"))]
    assert all(e.balance_after >= 0 for e in entries)
    with app.app_context(), unit_of_work(db.factory()) as sess:
        assert reserve.check_ledger(sess, TOWN) == [] and reserve.balance(sess, TOWN) == Decimal("0.00")
    refused = post_form(client, "/reserve/refund", {"amount": "0", "note": ""}, token_from="/reserve/")
    assert refused.status_code == 422 and "金额应大于 0" in refused.get_data(as_text=True)
