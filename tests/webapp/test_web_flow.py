"""The whole flow through the web UI, role by role, with the Flask test client."""

import re
from datetime import timedelta

from sqlalchemy import select
from werkzeug.datastructures import MultiDict

from tests import factories as f
from tests.webapp.web import csrf, flatten, login, post_form
from webapp import db
from workflows import clock
from workflows.store import Case, HumanTask

TASK_LINK = re.compile(r'href="/tasks/([0-9a-f-]{36})"')


def db_case(app):
    with app.app_context():
        sess = db.session()
        case = sess.scalars(select(Case)).one()
        sess.expunge(case)  # keep its loaded values after the request-style session closes
        return case


def first_task(client) -> str:
    html = client.get("/tasks/").get_data(as_text=True)
    return TASK_LINK.search(html).group(1)


def complete(client, username: str, answers: dict):
    login(client, username)
    task_id = first_task(client)
    page = client.get(f"/tasks/{task_id}")
    assert page.status_code == 200
    return post_form(client, f"/tasks/{task_id}", answers)


def test_each_role_works_its_step_and_the_notice_pdf_arrives(app, client, at_monday):
    sub = f.registration()
    login(client, "clerk-001")
    assert "登记申请" in client.get("/window/new").get_data(as_text=True)
    resp = post_form(client, "/window/new", sub)
    assert resp.status_code == 302
    case = db_case(app)
    assert case.applicant_name == "张秀兰"

    assert complete(client, "clerk-001", f.accept()).status_code == 302
    assert db_case(app).status == "VERIFYING"
    runner = app.test_cli_runner()
    result = runner.invoke(args=["tick"])  # the worker's pass answers the 核对
    assert result.exit_code == 0 and "外部核对已答复：1 件" in result.output, result.output
    assert db_case(app).status == "INVESTIGATING"
    assert complete(client, "investigator-001", f.investigate(sub["members"])).status_code == 302
    assert complete(client, "investigator2-001", f.cosign()).status_code == 302
    assert complete(client, "reviewer-001", f.review()).status_code == 302
    assert db_case(app).status == "AWAITING_NOTICE"

    notices = client.get("/notices/").get_data(as_text=True)
    assert case.case_no in notices and "¥1,022.00" in notices
    listed = re.search(r'name="expected" value="([^"]*)"', notices).group(1)
    assert post_form(client, "/notices/publish", {"expected": listed, "confirm": True},
                     token_from="/notices/").status_code == 302
    assert db_case(app).status == "PUBLICIZING"

    later = at_monday + timedelta(days=8)
    result = runner.invoke(args=["tick", "--now", later.isoformat()])
    assert result.exit_code == 0 and "到期定时事件已处理：1 件" in result.output, result.output
    assert db_case(app).status == "PENDING_DECISION"
    with clock.frozen(later):
        assert complete(client, "leader-001", f.leader()).status_code == 302
    case = db_case(app)
    assert case.status == "APPROVED"

    login(client, "clerk-001")
    page = client.get(f"/cases/{case.case_no}").get_data(as_text=True)
    assert "已批准" in page and "¥1,022.00" in page and "公示期满" in page
    for step in ("登记申请", "办结环节", "出具文书", "收到核对结果", "列入公示批次", "公示名单"):
        assert step in page
    link = re.search(r'href="(/cases/[^"]+\.pdf)"', page).group(1)
    pdf = client.get(link)
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF")

    number = link.rsplit("/", 1)[1][:-4]
    code = re.search(rf"{number}</a>\s*· [^·]+· 验证码 ([A-Z0-9-]{{9}})", page).group(1)
    client.post("/logout", data={"csrf_token": csrf(client, "/cases/")})
    public = client.get(f"/verify/{code}").get_data(as_text=True)
    assert number in public and "张秀兰" not in public  # no personal data on the public page
    assert "最低生活保障批准通知书" in public


def test_errors_are_shown_beside_fields_and_typed_values_kept(app, client, at_monday):
    sub = f.registration()
    sub["members"][1]["monthly_income"] = "-100"
    sub["members"][2]["id_no"] = "640104201208200030"  # wrong check character
    login(client, "clerk-001")
    resp = post_form(client, "/window/new", sub)
    html = resp.get_data(as_text=True)
    assert resp.status_code == 422
    assert "校验" in html  # the ID checksum message
    assert "负" in html or "不能小于" in html  # the income message
    assert "兴庆区凤凰北街幸福小区3号楼2单元501" in html  # nothing typed is lost
    with app.app_context():
        assert db.session().scalars(select(Case)).all() == []


def test_queues_are_per_role_and_township(app, client, at_monday):
    login(client, "clerk-001")
    post_form(client, "/window/new", f.registration())
    case = db_case(app)
    login(client, "clerk-002")
    assert "没有待办任务" in client.get("/tasks/").get_data(as_text=True)
    assert client.get(f"/cases/{case.case_no}").status_code == 404
    login(client, "investigator-001")
    assert "没有待办任务" in client.get("/tasks/").get_data(as_text=True)
    with app.app_context():
        task_id = db.session().scalars(select(HumanTask.id)).one()
    resp = post_form(client, f"/tasks/{task_id}", f.accept(), token_from="/tasks/")
    assert resp.status_code == 403
    login(client, "auditor")
    assert client.get(f"/cases/{case.case_no}").status_code == 200
    assert client.get("/window/new").status_code == 403


def test_login_failures_and_csrf(app, client):
    resp = client.post("/login", data={"username": "clerk-001", "password": "wrong", "csrf_token": csrf(client)})
    assert resp.status_code == 401 and "用户名或密码错误" in resp.get_data(as_text=True)
    resp = client.post("/login", data={"username": "clerk-001", "password": "dibao-demo-2026"})
    assert resp.status_code == 400  # no CSRF token
    assert client.get("/tasks/").status_code == 302  # not logged in → login page


def test_a_form_posted_twice_completes_once(app, client, at_monday):
    login(client, "clerk-001")
    post_form(client, "/window/new", f.registration())
    task_id = first_task(client)
    token = csrf(client, f"/tasks/{task_id}")
    data = MultiDict([*flatten(f.accept()), ("csrf_token", token)])
    assert client.post(f"/tasks/{task_id}", data=data).status_code == 302
    again = client.post(f"/tasks/{task_id}", data=data)
    assert again.status_code == 302 and again.headers["Location"] == "/tasks/"  # back to the queue
    assert "已办结" in client.get("/tasks/").get_data(as_text=True)
    with clock.frozen(at_monday):
        assert db_case(app).status == "VERIFYING"
