"""The steps of the full procedure that are not a plain task, through the web UI: objections,
the time-limit extension, the 公示 batch, 核对 incidents and retries, the district's check, 督办."""

import re
from datetime import date, timedelta

from sqlalchemy import select

from tests import drive
from tests import factories as f
from tests.webapp.web import csrf, login, post_form
from webapp import db, services
from workflows.store import Case, Document, OutsideCall

TASK_LINK = re.compile(r'href="/tasks/([0-9a-f-]{36})"')


def other_household(seq: int, **overrides) -> dict:
    """A one-person registration whose ID number differs from the default household's."""
    return f.registration([f.member("赵雯婷", date(1990, 2, 3), seq=seq, income="100")], **overrides)


def case_of(app, case_no: str) -> Case:
    with app.app_context():
        return drive.case_row(db.factory(), case_no)


def test_an_objection_recorded_on_the_case_page_sends_the_case_back(app, client, at_monday):
    with app.app_context():
        case_no = drive.publicized(db.factory(), services.get())
    page = f"/cases/{case_no}"
    login(client, "investigator-001")
    assert "登记公示异议" not in client.get(page).get_data(as_text=True)
    assert post_form(client, f"{page}/objections", f.objection(), token_from=page).status_code == 403

    login(client, "clerk-001")
    html = client.get(page).get_data(as_text=True)
    assert "登记公示异议" in html and 'action="/cases/' in html
    typed = {"received_on": at_monday.date().isoformat(), "channel": "", "objector": "王某", "content": ""}
    refused = post_form(client, f"{page}/objections", typed, token_from=page)
    html = refused.get_data(as_text=True)
    assert refused.status_code == 422 and "填写有误" in html
    assert html.count('class="error"') >= 2 and 'value="王某"' in html  # errors on the form, nothing lost
    assert case_of(app, case_no).status == "PUBLICIZING"

    assert post_form(client, f"{page}/objections", f.objection(), token_from=page).status_code == 302
    case = case_of(app, case_no)
    assert case.status == "INVESTIGATING" and case.objection_count == 1
    html = client.get(page).get_data(as_text=True)
    assert "异议已登记" in html and "公示异议" in html and "反映该户家中有人在外务工" in html and "举报电话" in html
    assert "登记公示异议" in html  # in the history; the form itself is gone
    assert 'action="/cases/' + case_no + '/objections"' not in html


def test_the_time_limit_is_extended_once(app, client, at_monday):
    with app.app_context():
        case_no = drive.to_review(db.factory(), services.get())
    page = f"/cases/{case_no}"
    login(client, "reviewer-001")
    assert "延长办理期限" not in client.get(page).get_data(as_text=True)
    login(client, "leader-001")
    assert "延长办理期限" in client.get(page).get_data(as_text=True)
    refused = post_form(client, f"{page}/extension", {"reason": ""}, token_from=page)
    assert refused.status_code == 422 and "延期理由" in refused.get_data(as_text=True)

    reason = {"reason": "家庭成员在外地，需函询核实"}
    token = csrf(client, page)
    assert client.post(f"{page}/extension", data={**reason, "csrf_token": token}).status_code == 302
    case = case_of(app, case_no)
    assert case.deadline_extended and case.case_deadline == date(2027, 2, 2)
    html = client.get(page).get_data(as_text=True)
    assert "已延期" in html and "家庭成员在外地" in html and f'action="{page}/extension"' not in html

    again = client.post(f"{page}/extension", data={**reason, "csrf_token": token}, headers={"Referer": page})
    assert again.status_code == 302
    assert "已延期过一次" in client.get(page).get_data(as_text=True)  # the refusal, flashed on the case page


def test_a_batch_is_published_once_with_its_list(app, client, at_monday):
    with app.app_context():
        first = drive.to_notice(db.factory(), services.get())
        second = drive.to_notice(db.factory(), services.get(), other_household(8))
    login(client, "reviewer-001")
    html = client.get("/notices/").get_data(as_text=True)
    assert first in html and second in html and "赵雯婷" in html and "¥1,022.00" in html
    assert re.search(r'公示批次 <span class="count">2</span>', html)  # the navigation's count

    token = csrf(client, "/notices/")
    listed = re.search(r'name="expected" value="([^"]*)"', html).group(1)
    assert sorted(listed.split(",")) == sorted([first, second])
    unconfirmed = client.post("/notices/publish", data={"csrf_token": token, "expected": listed})
    assert unconfirmed.status_code == 422 and "请勾选确认" in unconfirmed.get_data(as_text=True)
    shown = {"csrf_token": token, "expected": first, "confirm": "on"}  # the list seen before `second` joined it
    changed = client.post("/notices/publish", data=shown)
    assert changed.status_code == 409 and "发生了变化" in changed.get_data(as_text=True)
    assert {case_of(app, no).status for no in (first, second)} == {"AWAITING_NOTICE"}
    checked = {"csrf_token": token, "expected": listed, "confirm": "on"}
    published = client.post("/notices/publish", data=checked, headers={"Referer": "/notices/"})
    assert published.status_code == 302
    again = client.post("/notices/publish", data=checked, headers={"Referer": "/notices/"})
    assert again.status_code == 302  # a double submit: told clearly, nothing published twice
    html = client.get("/notices/").get_data(as_text=True)
    assert "已发布公示批次 GS-" in html and "目前没有待公示的案件" in html
    assert {case_of(app, no).status for no in (first, second)} == {"PUBLICIZING"}
    with app.app_context():
        batch = db.session().scalars(select(Document).where(Document.kind == "public_notice_list")).one()
        number, code = batch.number, batch.verify_code
    link = f"/notices/{number}.pdf"
    assert link in html
    pdf = client.get(link)
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF") and pdf.mimetype == "application/pdf"
    assert link in client.get(f"/cases/{first}").get_data(as_text=True)  # listed with the case's documents

    login(client, "clerk-002")
    assert client.get(link).status_code == 404  # another township's list
    login(client, "auditor")
    assert client.get(link).status_code == 200
    public = client.get(f"/verify/{code}").get_data(as_text=True)
    assert number in public and "最低生活保障拟批准对象公示" in public


def test_a_failing_check_is_shown_and_retried_from_the_case_page(app, client, at_monday):
    app.config["DIBAO_SIM_FAILING_SOURCES"] = "tax"
    with app.app_context():
        case_no = drive.accepted(db.factory(), services.get())
    assert "外部核对已答复：0 件" in app.test_cli_runner().invoke(args=["tick"]).output
    page = f"/cases/{case_no}"
    login(client, "auditor")
    html = client.get(page).get_data(as_text=True)
    assert "核对故障" in html and "纳税" in html and "重试</button>" not in html  # the auditor only looks

    login(client, "clerk-001")
    html = client.get(page).get_data(as_text=True)
    assert "核对故障" in html and "纳税" in html and "重试</button>" in html
    still = post_form(client, f"{page}/retry", {}, token_from=page)
    assert still.status_code == 302
    html = client.get(page).get_data(as_text=True)
    assert "仍未成功" in html and "2 次" in html

    app.config["DIBAO_SIM_FAILING_SOURCES"] = ()  # the tax bureau is back
    assert post_form(client, f"{page}/retry", {}, token_from=page).status_code == 302
    assert case_of(app, case_no).status == "INVESTIGATING"
    html = client.get(page).get_data(as_text=True)
    assert "重试成功" in html and "核对故障" not in html and "重试外部核对" in html and "收到核对结果" in html
    with app.app_context():
        assert db.session().scalars(select(OutsideCall.status)).one() == "done"


def test_the_county_auditor_works_the_district_check_of_any_township(app, client, at_monday):
    near = "申请人之兄为凤凰北街街道民政办工作人员"
    with app.app_context():
        factory, svc = db.factory(), services.get()
        here = drive.to_notice(factory, svc, f.registration(near_relative_declared=True, near_relative_details=near))
        sub = other_household(8, responsible_township="640104002", near_relative_declared=True,
                              near_relative_details="家庭成员为社区居委会委员之女")
        there = drive.to_notice(factory, svc, sub, town="002")
    login(client, "auditor")
    queue = client.get("/tasks/").get_data(as_text=True)
    assert queue.count("区民政局核查") >= 2 and here in queue and there in queue and "解放西街街道" in queue
    html = client.get(f"/cases/{here}").get_data(as_text=True)
    assert "近亲属备案" in html and near in html
    task_id = next(t for t in TASK_LINK.findall(queue)
                   if here in client.get(f"/tasks/{t}").get_data(as_text=True))
    assert post_form(client, f"/tasks/{task_id}", f.county_check()).status_code == 302
    assert case_of(app, here).status == "AWAITING_NOTICE"
    login(client, "leader-001")
    assert client.get(f"/tasks/{task_id}").status_code in (404, 409)  # done, and never a leader's task


def test_an_overdue_task_is_escalated_to_the_leader(app, client, at_monday):
    with app.app_context():
        case_no = drive.start(db.factory(), services.get())
    ticked = app.test_cli_runner().invoke(args=["tick", "--now", (at_monday + timedelta(days=4)).isoformat()])
    assert "到期定时事件已处理：1 件" in ticked.output, ticked.output
    login(client, "leader-001")
    html = client.get("/tasks/escalated").get_data(as_text=True)
    assert re.search(r'逾期督办 <span class="count">1</span>', html)
    assert "受理（材料审查）" in html and case_no in html and "窗口受理" in html and "2026-12-03" in html
    login(client, "clerk-001")
    assert "已报领导督办" in client.get("/tasks/").get_data(as_text=True)
    assert client.get("/tasks/escalated").status_code == 403
    login(client, "leader-002")
    assert "没有逾期督办的环节" in client.get("/tasks/escalated").get_data(as_text=True)


def test_a_case_registered_at_another_window_shows_where_it_came_from(app, client, at_monday):
    sub = f.registration(responsible_township="640104002", residence_basis="residence",
                         residence_proof_note="居住证 64010420261234")
    with app.app_context():
        case_no = drive.start(db.factory(), services.get(), sub)
    login(client, "clerk-001")
    assert client.get(f"/cases/{case_no}").status_code == 404  # the responsible township has it now
    login(client, "clerk-002")
    html = client.get(f"/cases/{case_no}").get_data(as_text=True)
    assert "异地受理" in html and "由 凤凰北街街道 窗口受理，转交 解放西街街道 审核" in html
    assert "居住证 64010420261234" in html
