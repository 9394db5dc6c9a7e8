"""近亲属备案 through the web pages: a staff member registers and ends their relatives and gives their ID
number once; administrators keep anybody's register; a relative's case is refused on the task page."""

from datetime import date

from sqlalchemy import select

from tests import drive
from tests import factories as f
from tests.webapp.web import login, post_form
from webapp import db, services
from workflows.documents import mask_id
from workflows.store import AccessLog, HumanTask, StaffRelative, User, unit_of_work

BROTHER = f.member("李建国", date(1978, 3, 9), "spouse", "300", seq=1)  # in the factories' default household
OWN = f.id_number(date(1985, 1, 2), 31)


def account_id(app, username: str) -> int:
    with app.app_context(), unit_of_work(db.factory()) as sess:
        return sess.scalars(select(User.id).where(User.username == username)).one()


def registrations(app) -> list[StaffRelative]:
    with app.app_context(), unit_of_work(db.factory()) as sess:
        return list(sess.scalars(select(StaffRelative).order_by(StaffRelative.id)))


def test_a_staff_member_keeps_their_own_register(app, client, at_monday):
    login(client, "clerk-001")
    me = account_id(app, "clerk-001")
    page = client.get("/relatives/").get_data(as_text=True)
    assert "近亲属备案" in page and "登记近亲属" in page and "尚未登记近亲属" in page and "配偶的父母" in page
    typed = {"name": "李建国", "id_no": BROTHER["id_no"][:-1], "relation": "sibling"}
    refused = post_form(client, f"/relatives/staff/{me}", typed, token_from="/relatives/")
    html = refused.get_data(as_text=True)
    assert refused.status_code == 422 and "身份证号码应为18位" in html and 'value="李建国"' in html
    assert registrations(app) == []
    typed["id_no"] = BROTHER["id_no"]
    assert post_form(client, f"/relatives/staff/{me}", typed, token_from="/relatives/").status_code == 302
    html = client.get("/relatives/").get_data(as_text=True)
    assert "李建国" in html and mask_id(BROTHER["id_no"]) in html and BROTHER["id_no"] not in html
    assert "兄弟姐妹" in html and "2026-11-30 09:00" in html

    own = post_form(client, f"/relatives/staff/{me}/id-no", {"id_no": OWN}, token_from="/relatives/")
    assert own.status_code == 302
    html = client.get("/relatives/").get_data(as_text=True)
    assert mask_id(OWN) in html and "身份证号码登记记录" in html and "更正身份证号码" not in html
    again = post_form(client, f"/relatives/staff/{me}/id-no", {"id_no": BROTHER["id_no"]}, token_from="/relatives/")
    assert again.status_code == 403 and "请联系系统管理员" in again.get_data(as_text=True)

    (row,) = registrations(app)
    path = f"/relatives/{row.id}/end"
    blank = post_form(client, path, {"end_reason": ""}, token_from="/relatives/")
    assert blank.status_code == 422 and "请填写结束原因" in blank.get_data(as_text=True)
    assert post_form(client, path, {"end_reason": "关系登记有误"}, token_from="/relatives/").status_code == 302
    html = client.get("/relatives/").get_data(as_text=True)
    assert "已结束的备案" in html and "关系登记有误" in html
    (row,) = registrations(app)
    assert (row.registered_by_id, row.ended_by_id) == (me, me) and row.ended_at is not None

    login(client, "clerk-002")  # another member of staff sees and changes nothing of hers
    assert client.get(f"/relatives/staff/{me}").status_code == 403
    assert post_form(client, f"/relatives/staff/{me}", typed, token_from="/relatives/").status_code == 403
    assert client.get("/relatives/staff").status_code == 403


def test_an_administrator_keeps_anybodys_register_and_sets_id_numbers(app, client, at_monday):
    clerk = account_id(app, "clerk-001")
    login(client, "admin")
    listing = client.get("/relatives/staff?township=640104001").get_data(as_text=True)
    assert "clerk-001" in listing and "clerk-002" not in listing
    assert post_form(client, f"/relatives/staff/{clerk}", {"name": "李建国", "id_no": BROTHER["id_no"],
                                                           "relation": "spouse_sibling"}).status_code == 302
    for number in (OWN, f.id_number(date(1985, 1, 2), 33)):  # an administrator may correct it
        assert post_form(client, f"/relatives/staff/{clerk}/id-no", {"id_no": number}).status_code == 302
    (row,) = registrations(app)
    assert (row.user_id, row.registered_by_id) == (clerk, account_id(app, "admin"))
    with app.app_context(), unit_of_work(db.factory()) as sess:
        log = sess.scalars(select(AccessLog).where(AccessLog.action == "staff_id_no_set")).all()
    assert [(r.username, r.target, r.channel) for r in log] == [("admin", "clerk-001", "web")] * 2
    login(client, "auditor")  # county auditors read every register, keep none
    assert "李建国" in client.get(f"/relatives/staff/{clerk}").get_data(as_text=True)
    assert post_form(client, f"/relatives/staff/{clerk}", {"name": "x"}, token_from="/relatives/").status_code == 403


def test_a_relatives_case_is_refused_on_the_task_page_and_flagged_on_the_case_page(app, client, at_monday):
    login(client, "clerk-001")
    post_form(client, f"/relatives/staff/{account_id(app, 'clerk-001')}",
              {"name": "李建国", "id_no": BROTHER["id_no"], "relation": "sibling"}, token_from="/relatives/")
    with app.app_context():
        case_no = drive.start(db.factory(), services.get(), f.registration(), clerk="clerk-001")
        with unit_of_work(db.factory()) as sess:
            task_id = sess.scalars(select(HumanTask.id)).one()
    assert "登记时与近亲属备案比对相符" in client.get(f"/cases/{case_no}").get_data(as_text=True)
    for path, data in ((f"/tasks/{task_id}/claim", {}), (f"/tasks/{task_id}", f.accept())):
        resp = post_form(client, path, data, token_from=f"/tasks/{task_id}")
        assert resp.status_code == 403 and "按回避规定" in resp.get_data(as_text=True), path
    english = post_form(client, f"/tasks/{task_id}/claim?lang=en", {}, token_from=f"/tasks/{task_id}")
    assert "Conflict of interest" in english.get_data(as_text=True)
    with app.app_context(), unit_of_work(db.factory()) as sess:
        assert sess.get(HumanTask, task_id).claimed_by_id is None


def test_create_user_takes_the_id_number_and_logs_it(app, at_monday):
    runner = app.test_cli_runner()
    args = ["create-user", "zhao", "--role", "investigator", "--township", "640104001", "--id-no", OWN.lower()]
    result = runner.invoke(args=args, input="a-long-password\n")
    assert result.exit_code == 0, result.output
    bad = runner.invoke(args=["create-user", "qian", "--role", "clerk", "--township", "640104001",
                              "--id-no", OWN[:-1] + "Y"], input="a-long-password\n")
    assert bad.exit_code == 1 and "身份证号码" in bad.output
    with app.app_context(), unit_of_work(db.factory()) as sess:
        zhao = sess.scalars(select(User).where(User.username == "zhao")).one()
        log = sess.scalars(select(AccessLog).where(AccessLog.action == "staff_id_no_set")).one()
    assert zhao.id_no == OWN.upper() and (log.target, log.channel, log.user_id) == ("zhao", "cli", None)
