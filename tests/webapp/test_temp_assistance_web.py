"""临时救助, the township reserve fund (备用金) and 探访 through the web pages: an emergency registered at
the window, paid first from the reserve once the leader approves it on the task page, the ledger; a
payment the reserve cannot cover refused in Chinese with nothing lost; a visit raising the monthly rate."""

import re
from datetime import date, datetime

from sqlalchemy import select

from tests import drive
from tests import factories as f
from tests.webapp.web import csrf, login, post_form
from tests.workflows.test_temp_assistance import application, decide
from webapp import db, services
from workflows import clock
from workflows.store import Case, HumanTask, ReserveEntry, VisitTarget, unit_of_work

TASK_LINK = re.compile(r'href="/tasks/([0-9a-f-]{36})"')
CASE_LINK = re.compile(r"/cases/([^\"/?]+)$")
DEC10 = datetime(2026, 12, 10, 9, 0, tzinfo=clock.CHINA_TZ)  # after drive.approved's decision of 8 December


def rows(app, model) -> list:
    with app.app_context(), unit_of_work(db.factory()) as sess:
        return list(sess.scalars(select(model).order_by(model.id)))


def register(client, sub: dict):
    """As clerk-001: post the 临时救助 registration page."""
    login(client, "clerk-001")
    return post_form(client, "/window/temp-assistance", sub)


def emergency_task(client) -> str:
    """As leader-001: the task page of the first 先行救助审批 in the queue."""
    login(client, "leader-001")
    queue = client.get("/tasks/").get_data(as_text=True)
    assert "先行救助审批（急难型）" in queue, queue
    return f"/tasks/{TASK_LINK.search(queue).group(1)}"


def test_an_emergency_is_registered_paid_first_from_the_reserve_and_shown_in_the_ledger(app, client, at_monday):
    login(client, "clerk-001")
    page = client.get("/window/temp-assistance").get_data(as_text=True)
    assert "临时救助申请" in page and "急难型" in page and "收款账户后四位" in page
    done = register(client, application())
    assert done.status_code == 302, done.get_data(as_text=True)
    case_no = CASE_LINK.search(done.headers["Location"]).group(1)
    html = client.get(f"/cases/{case_no}").get_data(as_text=True)
    for text in ("待先行救助审批", "急难型", "王桂芳", "¥2,000.00", "先行救助审批（急难型）", "登记申请"):
        assert text in html, text

    login(client, "leader-001")
    assert "¥0.00" in client.get("/reserve/").get_data(as_text=True)
    refused = post_form(client, "/reserve/deposit", {"amount": "-5", "note": "区财政拨付"}, token_from="/reserve/")
    html = refused.get_data(as_text=True)
    assert refused.status_code == 422 and "金额应大于 0" in html and 'value="区财政拨付"' in html
    assert rows(app, ReserveEntry) == []
    done = post_form(client, "/reserve/deposit", {"amount": "3000", "note": "区财政拨付备用金"}, token_from="/reserve/")
    assert done.status_code == 302

    task = emergency_task(client)
    html = client.get(task).get_data(as_text=True)
    assert "急难型" in html and "¥2,480.00" in html  # the township's limit beside the form
    assert post_form(client, task, decide(amount="2000.00")).status_code == 302
    html = client.get("/reserve/").get_data(as_text=True)
    for text in ("救助支付", "-¥2,000.00", "¥1,000.00", case_no, "拨入", "¥3,000.00", "区财政拨付备用金"):
        assert text in html, text
    html = client.get(f"/cases/{case_no}").get_data(as_text=True)
    assert "待补办手续" in html and "乡镇（街道）临时救助备用金" in html and "先行救助" in html
    html = client.get("/cases/?status=PAPERWORK").get_data(as_text=True)
    assert case_no in html and "待补办手续" in html

    login(client, "auditor")
    html = client.get("/reserve/").get_data(as_text=True)
    assert "请选择乡镇（街道）" in html and "救助支付" not in html
    html = client.get("/reserve/?township=640104001").get_data(as_text=True)
    assert "¥1,000.00" in html and "救助支付" in html and "/reserve/deposit" not in html  # read only


def test_an_approval_the_reserve_cannot_cover_is_refused_in_chinese_with_nothing_lost(app, client, at_monday):
    login(client, "leader-001")
    post_form(client, "/reserve/deposit", {"amount": "500"}, token_from="/reserve/")
    assert register(client, application()).status_code == 302
    task = emergency_task(client)
    refused = post_form(client, task, decide(amount="1800.00", comment="房屋烧毁，急需安置。"))
    html = refused.get_data(as_text=True)
    assert refused.status_code == 422
    assert "乡镇临时救助备用金余额不足：余额 500.00 元，不足支付 1800.00 元" in html
    assert 'value="1800.00"' in html and "房屋烧毁，急需安置。" in html  # as typed
    assert [(e.kind, str(e.amount)) for e in rows(app, ReserveEntry)] == [("deposit", "500.00")]
    (case,) = rows(app, Case)
    assert case.status == "EMERGENCY_DECISION" and len(rows(app, HumanTask)) == 1

    # the same applicant again while the first case is under way: refused, the form as typed
    again = register(client, application(cause_detail="再次申请：家中失火。"))
    html = again.get_data(as_text=True)
    assert again.status_code == 409 and "申请人已有在办的临时救助申请" in html and "再次申请：家中失火。" in html
    assert len(rows(app, Case)) == 1


def test_a_visit_recorded_from_the_page_raises_the_monthly_rate(app, client, at_monday):
    sub = f.registration()
    sub["members"][1].update(disability_level="1", disability_kind="physical")  # 李建国: 重度残疾
    with app.app_context():
        drive.approved(db.factory(), services.get(), at_monday, sub)
    with clock.frozen(DEC10):
        login(client, "investigator-001")
        assert "0.0%" in client.get("/visits/").get_data(as_text=True)
        done = client.post("/visits/sync", data={"csrf_token": csrf(client, "/visits/"), "month": "2026-12"})
        assert done.status_code == 302
        html = client.get("/visits/?month=2026-12").get_data(as_text=True)
        assert "李建国" in html and "李小明" in html and "重度残疾或重病" in html and "0.0%" in html
        target = next(t.id for t in rows(app, VisitTarget) if t.name == "李建国")
        bad = {"visited_on": "2026-12-11", "method": "home", "notes": "生活情况良好。", "month": "2026-12"}
        refused = post_form(client, f"/visits/{target}", bad, token_from="/visits/")
        html = refused.get_data(as_text=True)
        assert refused.status_code == 422 and "探访日期不能晚于今天" in html and "生活情况良好。" in html
        good = {**bad, "visited_on": date(2026, 12, 10).isoformat()}
        assert post_form(client, f"/visits/{target}", good, token_from="/visits/").status_code == 302
        html = client.get("/visits/?month=2026-12").get_data(as_text=True)
        assert "50.0%" in html and "已探访 1 人" in html

        login(client, "clerk-002")  # another township: refused
        other = post_form(client, f"/visits/{target}", good, token_from="/visits/")
        assert other.status_code == 403

        login(client, "auditor")
        html = client.get("/visits/?month=2026-12").get_data(as_text=True)
        assert "各乡镇（街道）月探访率" in html and "50.0%" in html
        assert client.get("/visits/?month=2026-13").status_code == 422
