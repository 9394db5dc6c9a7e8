"""Life after approval through the web UI: the 在保家庭 register, a review falling due a year later and
worked through the task pages, the change it makes, and the monthly payment roster drawn up by the
reviewer, sent back and drawn up again, approved by the leader (issued once) and downloaded as Excel
for the bank."""

import hashlib
import io
import re
from datetime import date, datetime, timedelta
from decimal import Decimal
from urllib.parse import quote

from openpyxl import load_workbook
from sqlalchemy import select

from tests import drive
from tests import factories as f
from tests.webapp.test_api import Api
from tests.webapp.test_i18n import CJK, _chrome, _data_texts
from tests.webapp.web import csrf, login, post_form
from webapp import db, services
from workflows import clock
from workflows.roster_workbook import HEADER_ROWS
from workflows.store import AccessLog, Benefit, BenefitChange, Case, Document, unit_of_work

TASK_LINK = re.compile(r'href="/tasks/([0-9a-f-]{36})"')
DECIDED = f.MONDAY + timedelta(days=8)  # drive.approved: the leader approves on Tue 8 Dec 2026
REVIEW_DAY = datetime(2027, 11, 22, 9, 0, tzinfo=clock.CHINA_TZ)  # a Monday; the review falls due on 8 Dec 2027
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def benefits(app) -> list[Benefit]:
    """The register as it is now, by 低保证号."""
    with app.app_context(), unit_of_work(db.factory()) as sess:
        return list(sess.scalars(select(Benefit).order_by(Benefit.certificate_no)))


def work(client, username: str, answers: dict, title: str):
    """As ``username``: open the first task of the queue (it must be ``title``) and post the answers."""
    login(client, username)
    queue = client.get("/tasks/").get_data(as_text=True)
    assert title in queue, queue
    task = f"/tasks/{TASK_LINK.search(queue).group(1)}"
    page = client.get(task)
    assert page.status_code == 200 and title in page.get_data(as_text=True)
    return post_form(client, task, answers), page.get_data(as_text=True)


def test_a_household_on_the_register_is_reviewed_a_year_later_through_the_pages(app, client, at_monday):
    sub = f.registration()
    with app.app_context():
        case_no = drive.approved(db.factory(), services.get(), at_monday, sub)
    (benefit,) = benefits(app)
    page = f"/benefits/{benefit.id}"

    login(client, "leader-001")
    html = client.get("/benefits/").get_data(as_text=True)
    assert benefit.certificate_no in html and "张秀兰" in html and "¥1,022.00" in html and "在保" in html
    assert "2027-12-08" in html and "复核逾期" not in html
    html = client.get(page).get_data(as_text=True)
    for text in ("李建国", "李小明", "批准享受", case_no, "批准通知书（低保证）", "2027-01"):
        assert text in html, text
    assert "报告情况变化" not in html  # the clerk's form

    login(client, "clerk-001")
    assert "目前没有需要复核的在保家庭" in client.get("/benefits/due").get_data(as_text=True)
    with clock.frozen(REVIEW_DAY):
        review_no = _start_the_review(client, benefit)
        with app.app_context():
            assert drive.run_calls(db.factory(), services.get()) == 1  # the review's 核对
        _work_the_review(client, sub)

    html = client.get(page).get_data(as_text=True)
    assert "减发" in html and "¥722.00" in html and "2027-12" in html and "家庭收入情况发生变化" in html
    assert review_no in html and "复核决定通知书" in html and "2028-" in html  # the next review, a year on
    (after,) = benefits(app)
    assert after.amount == Decimal("722.00") and after.status == "ACTIVE"
    with app.app_context(), unit_of_work(db.factory()) as sess:
        review = sess.scalars(select(Case).where(Case.case_no == review_no)).one()
        notice = sess.scalars(select(Document).where(Document.case_id == review.id)).one()
        assert review.status == "REVIEWED" and notice.kind == "change_notice"
        assert [c.kind for c in sess.scalars(select(BenefitChange).order_by(BenefitChange.id))] == ["granted", "reduce"]
    pdf = client.get(f"/cases/{review_no}/documents/{notice.number}.pdf")
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf" and pdf.data.startswith(b"%PDF")
    assert f'href="/benefits/{benefit.id}"' in client.get(f"/cases/{review_no}").get_data(as_text=True)


def _start_the_review(client, benefit: Benefit) -> str:
    """The clerk starts the due review from 待复核 (a refused form first, then a double submit); its case number."""
    html = client.get("/benefits/due").get_data(as_text=True)
    assert benefit.certificate_no in html and "即将到期" in html and 'class="count">1<' in html  # and in the menu
    assert "区级抽查发现问题" not in html  # a reason only a county spot check's finding gives
    path = f"/benefits/{benefit.id}/reviews"
    typed = {"review_reason": "reported_change", "change_report": "", "back": "due"}
    refused = post_form(client, path, typed, token_from="/benefits/due")
    html = refused.get_data(as_text=True)
    assert refused.status_code == 422 and "填写有误" in html and 'class="error"' in html
    assert 'value="reported_change" selected' in html  # what was chosen is kept

    token = csrf(client, "/benefits/due")
    form = {"review_reason": "scheduled", "change_report": "", "back": "due", "csrf_token": token}
    started = client.post(path, data=form)
    assert started.status_code == 302
    review_no = started.headers["Location"].rsplit("/", 1)[1]
    again = client.post(path, data=form, headers={"Referer": "/benefits/due"})
    assert again.status_code == 302  # the second click: the review is under way
    html = client.get("/benefits/due").get_data(as_text=True)
    assert f"该家庭已有进行中的复核（{review_no}）" in html and "目前没有需要复核的在保家庭" in html
    html = client.get(f"/cases/{review_no}").get_data(as_text=True)
    assert "经济状况核对中" in html and benefit.certificate_no in html and "定期复核到期" in html
    return review_no


def _work_the_review(client, sub: dict) -> None:
    """Visit (the spouse now earns 600), review, decide: each through its task page."""
    visit = f.investigate(sub["members"])
    visit.pop("neighbours")
    visit["members_verified"][1]["wage_income"] = "600"
    done, html = work(client, "investigator-001", visit, "入户复核调查")
    assert "邻里" not in html and "members_verified.2.wage_income" in html
    assert done.status_code == 302, done.get_data(as_text=True)
    done, _ = work(client, "reviewer-001", {"review_opinion": "agree", "review_comment": "复核属实。"}, "乡镇审核")
    assert done.status_code == 302
    decision = {"leader_decision": "confirm", "meeting_ref": "2027年第40次", "change_reason": ""}
    refused, html = work(client, "leader-001", decision, "审核确认（集体研究）")
    assert "理由（写入通知书）" in html and "减发" in html  # the outcome the amounts give, before deciding
    assert refused.status_code == 422 and 'value="2027年第40次"' in refused.get_data(as_text=True)
    decision["change_reason"] = "家庭收入情况发生变化。"
    done, _ = work(client, "leader-001", decision, "审核确认（集体研究）")
    assert done.status_code == 302


def two_households_approved(app, at_monday) -> None:
    """Two households of 640104001 published together and approved on 8 December (paid from January)."""
    other = f.registration([f.member("赵雯婷", date(1990, 2, 3), seq=8, income="100")])
    with app.app_context():
        factory, svc = db.factory(), services.get()
        first, second = drive.to_notice(factory, svc), drive.to_notice(factory, svc, other)
        drive.publish(factory, svc)
        assert drive.tick(factory, svc, at_monday + timedelta(days=8)) == 2
        with clock.frozen(DECIDED):
            for case_no in (first, second):
                drive.do(factory, svc, case_no, "leader-001", f.leader())


def test_a_months_roster_is_drawn_up_approved_issued_once_and_downloaded_for_the_bank(app, client, at_monday):
    two_households_approved(app, at_monday)
    register = benefits(app)
    total = sum(b.amount for b in register)
    with clock.frozen(DECIDED):
        case_no = _draw_up(client, register, total)
        _send_back_and_redo(client, case_no, register)
        login(client, "leader-001")  # approves from the queue: the roster is issued
        response, page = work(client, "leader-001", f.roster_approval(), "审核花名册")
        assert response.status_code == 302 and "与制表时一致" in page
        html = client.get("/rosters/?month=2027-01").get_data(as_text=True)
        assert "2027-01 花名册已生成" in html and case_no in html and "制表并提交审核" not in html
        number = re.search(r'href="/rosters/(FF-[^".]+)"', html).group(1)
        html = client.get(f"/rosters/{number}").get_data(as_text=True)
        assert "与在保登记簿核对一致" in html and f'href="/cases/{case_no}"' in html
        html = client.get(f"/cases/{case_no}").get_data(as_text=True)
        for text in ("花名册已生成", "发放花名册", number, "凤凰北街街道审核员", "退回重新制表", "审核花名册"):
            assert text in html, text

        login(client, "reviewer-001")  # a month issued is never drawn up again
        assert 'name="confirm"' not in client.get("/rosters/?month=2027-01").get_data(as_text=True)
        seen = f"{len(register)}/{sum(b.persons for b in register)}/{total:.2f}"
        again = post_form(client, "/rosters/", {"month": "2027-01", "confirm": True, "expected": seen},
                          token_from="/rosters/?month=2027-01")
        assert again.status_code == 302
        html = client.get(again.headers["Location"]).get_data(as_text=True)
        assert "每月花名册只能生成一次，已生成的不能修改" in html and "2027-01 花名册已生成" in html

    _check_the_workbook(client, number, register)
    pdf = client.get(f"/rosters/{number}.pdf")
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf" and pdf.data.startswith(b"%PDF")
    with app.app_context(), unit_of_work(db.factory()) as sess:
        logged = sess.scalars(select(AccessLog.target).where(AccessLog.action == "document_downloaded")).all()
    assert f"{number}.xlsx" in logged and number in logged

    login(client, "auditor")  # reads any township's rosters, draws none up
    html = client.get("/rosters/?township=640104001&month=2027-01").get_data(as_text=True)
    assert number in html and "制表并提交审核" not in html
    assert client.get(f"/rosters/{number}.xlsx").status_code == 200
    for other in ("reviewer-002", "leader-002"):  # another township: not found
        login(client, other)
        assert client.get(f"/rosters/{number}").status_code == 404
        assert client.get(f"/rosters/{number}.xlsx").status_code == 404
        assert client.get(f"/cases/{case_no}").status_code == 404
        assert client.get(f"/benefits/{register[0].id}").status_code == 404
        assert number not in client.get("/rosters/").get_data(as_text=True)
    login(client, "clerk-001")  # reads no rosters, nor their cases
    assert client.get(f"/rosters/{number}.xlsx").status_code == 403
    assert client.get(f"/cases/{case_no}").status_code == 403
    assert case_no not in client.get("/cases/").get_data(as_text=True)


def _draw_up(client, register: list[Benefit], total: Decimal) -> str:
    """The reviewer previews next month and draws it up (refused unconfirmed or stale); the case number."""
    login(client, "leader-001")  # the leader previews but does not draw up
    html = client.get("/rosters/").get_data(as_text=True)
    assert "2027-01 花名册预览" in html and "制表并提交审核" not in html
    login(client, "reviewer-001")
    html = client.get("/rosters/").get_data(as_text=True)  # next month by default
    assert "2027-01 花名册预览" in html and all(b.certificate_no in html for b in register)
    assert f"¥{total:,.2f}" in html and "合计 2 户" in html and "制表并提交审核" in html
    expected = re.search(r'name="expected" value="([^"]+)"', html).group(1)
    form = {"month": "2027-01", "expected": expected}
    refused = post_form(client, "/rosters/", form)
    assert refused.status_code == 422 and "请勾选确认" in refused.get_data(as_text=True)
    stale = post_form(client, "/rosters/", {**form, "confirm": True, "expected": "1/3/1022.00"})
    assert stale.status_code == 409 and "名单在您核对后发生了变化" in stale.get_data(as_text=True)
    started = post_form(client, "/rosters/", {**form, "confirm": True})
    assert started.status_code == 302
    html = client.get(started.headers["Location"]).get_data(as_text=True)
    assert "已提交 2027-01 发放花名册审核" in html and "正在办理中" in html and "花名册待审核" in html
    case_no = re.search(r'href="/cases/([^"]+)"', html[html.index("正在办理中"):]).group(1)
    again = post_form(client, "/rosters/", {**form, "confirm": True}, token_from="/rosters/?month=2027-01")
    assert again.status_code == 302  # a second click: flashed, nothing started
    assert "已在办理中" in client.get(again.headers["Location"]).get_data(as_text=True)
    assert "审核花名册" not in client.get("/tasks/").get_data(as_text=True)  # the leader's step
    return case_no


def _send_back_and_redo(client, case_no: str, register: list[Benefit]) -> None:
    """The leader sends it back with a reason (required); the reviewer draws it up again."""
    login(client, "leader-001")
    task = f"/tasks/{TASK_LINK.search(client.get('/tasks/').get_data(as_text=True)).group(1)}"
    page = client.get(task).get_data(as_text=True)
    assert "审核花名册" in page and case_no in page and "凤凰北街街道审核员" in page and "合计 2 户" in page
    assert all(b.certificate_no in page and b.holder_name in page for b in register)
    blank = post_form(client, task, {"roster_decision": "send_back"})
    assert blank.status_code == 422  # sending back needs the reason
    assert post_form(client, task, f.roster_approval("send_back", "赵雯婷一户金额待核实。")).status_code == 302
    login(client, "reviewer-001")
    page_html = client.get("/tasks/").get_data(as_text=True)
    assert "重新制表" in page_html
    blank = post_form(client, f"/tasks/{TASK_LINK.search(page_html).group(1)}", {"prepare_decision": "resubmit"})
    assert blank.status_code == 422  # the confirmation is required to resubmit
    response, page = work(client, "reviewer-001", f.roster_redo(), "重新制表")
    assert response.status_code == 302 and "退回理由" in page and "赵雯婷一户金额待核实。" in page


def _check_the_workbook(client, number: str, register: list[Benefit]) -> None:
    """The Excel file: its type, its Chinese file name, one row per household and the total."""
    resp = client.get(f"/rosters/{number}.xlsx")
    assert resp.status_code == 200 and resp.mimetype == XLSX
    name = quote("凤凰北街街道2027-01发放花名册.xlsx", safe="")
    assert resp.headers["Content-Disposition"] == f"attachment; filename=\"{number}.xlsx\"; filename*=UTF-8''{name}"
    sheet = load_workbook(io.BytesIO(resp.data)).active
    rows = list(sheet.iter_rows(min_row=HEADER_ROWS + 1, values_only=True))
    lines, checked = rows[:len(register)], rows[len(register) + 1]
    assert [(r[1], r[2], r[4], Decimal(str(r[5]))) for r in lines] == [
        (b.certificate_no, b.holder_name, b.persons, b.amount) for b in register]
    assert rows[len(register)][0] == "合计" and checked[0] == "核定合计"
    assert Decimal(str(checked[5])) == sum(b.amount for b in register) and checked[1] == len(register)


def test_the_register_reviews_and_rosters_over_the_api(app, client, at_monday):
    two_households_approved(app, at_monday)
    register = benefits(app)
    api = Api(client, client.get("/api/v1/openapi.json").get_json())
    with clock.frozen(DECIDED):
        listed = api.call("get", "/benefits", "clerk-001")["items"]
        assert [b["certificate_no"] for b in listed] == [b.certificate_no for b in register]
        assert listed[0]["amount"] == f"{register[0].amount:.2f}" and listed[0]["status"] == "ACTIVE"
        assert api.call("get", "/benefits", "clerk-002")["items"] == []
        assert len(api.call("get", "/benefits?township=640104001", "auditor")["items"]) == 2
        assert api.call("get", "/benefits?township=640104002&status=ACTIVE", "auditor")["items"] == []
        api.call("get", "/benefits?status=GONE", "clerk-001", 422)
        one = register[0].id
        detail = api.call("get", f"/benefits/{one}", "reviewer-001")
        assert [c["kind"] for c in detail["changes"]] == ["granted"] and detail["review_running"] is None
        assert detail["cases"][0]["status"] == "APPROVED"
        api.call("get", f"/benefits/{one}", "clerk-002", 404)
        _rosters_over_the_api(api, register)
    api.tokens.clear()
    with clock.frozen(REVIEW_DAY):
        start = {"review_reason": "reported_change", "change_report": "配偶已就业。"}
        api.check(["components", "schemas", "ReviewStart"], start)
        api.call("post", f"/benefits/{one}/reviews", "investigator-001", 403, json=start)
        api.call("post", f"/benefits/{one}/reviews", "clerk-002", 404, json=start)
        typed = {"review_reason": "reported_change"}
        error = api.call("post", f"/benefits/{one}/reviews", "clerk-001", 422, json=typed)["error"]
        assert "change_report" in error["details"]
        result = api.call("post", f"/benefits/{one}/reviews", "clerk-001", 201, json=start)
        assert result["case"]["process_id"] == "dibao_review" and result["case"]["status"] == "VERIFYING"
        conflict = api.call("post", f"/benefits/{one}/reviews", "clerk-001", 409, json=start)["error"]
        assert result["case"]["case_no"] in conflict["message"]
        assert api.call("get", f"/benefits/{one}", "clerk-001")["review_running"] == result["case"]["case_no"]


def _rosters_over_the_api(api: Api, register: list[Benefit]) -> None:
    preview = api.call("get", "/rosters?month=2027-01", "leader-001")
    assert preview["items"] == [] and preview["draft"]["households"] == 2 and preview["running_case_no"] is None
    assert [line["certificate_no"] for line in preview["draft"]["lines"]] == [b.certificate_no for b in register]
    api.call("get", "/rosters?month=2027-13", "leader-001", 422)
    api.call("get", "/rosters", "auditor", 422)  # which township?
    start = {"month": "2027-01", "roster_confirm": True}
    api.check(["components", "schemas", "RosterRequest"], start)
    for who in ("clerk-001", "leader-001"):
        api.call("post", "/rosters", who, 403, json=start)
    api.call("post", "/rosters", "reviewer-001", 422, json={**start, "extra": 1})
    api.call("post", "/rosters", "reviewer-001", 422, json={"month": "2027-01"})  # not confirmed
    started = api.call("post", "/rosters", "reviewer-001", 201, json=start)
    case_no = started["case"]["case_no"]
    assert started["case"]["status"] == "ROSTER_REVIEWING" and started["open_tasks"][0]["task_spec"] == "approve"
    assert api.call("get", "/rosters?month=2027-01", "reviewer-001")["running_case_no"] == case_no
    conflict = api.call("post", "/rosters", "reviewer-001", 409, json=start)["error"]
    assert case_no in conflict["message"]
    task_id = started["open_tasks"][0]["id"]
    answer = f.roster_approval()
    api.check(["components", "schemas", "RosterTaskForm_approve"], answer)
    api.call("post", f"/tasks/{task_id}/complete", "reviewer-001", 403, json=answer)
    done = api.call("post", f"/tasks/{task_id}/complete", "leader-001", json=answer)
    assert done["case"]["status"] == "ROSTER_ISSUED" and done["documents"][0]["number"].startswith("FF-")
    listed = api.call("get", "/rosters?month=2027-01&township=640104001", "auditor")
    (issued,) = listed["items"]
    assert listed["draft"] is None and issued["case_no"] == case_no
    assert issued["number"] == done["documents"][0]["number"]
    detail = api.call("get", f"/rosters/{issued['number']}", "reviewer-001")
    assert detail["households"] == 2 and detail["problems"] == []
    assert detail["total"] == f"{sum(b.amount for b in register):.2f}"
    conflict = api.call("post", "/rosters", "reviewer-001", 409, json=start)["error"]
    assert conflict["message"] == "每月花名册只能生成一次，已生成的不能修改"
    workbook = api.call("get", issued["xlsx_url"].removeprefix("/api/v1"), "auditor")
    assert workbook.mimetype == XLSX and hashlib.sha256(workbook.data).hexdigest() == issued["xlsx_sha256"]
    pdf = api.call("get", issued["pdf_url"].removeprefix("/api/v1"), "reviewer-001")
    assert pdf.mimetype == "application/pdf"
    api.call("get", f"/rosters/{issued['number']}", "reviewer-002", 404)
    api.call("get", f"/rosters/{issued['number']}/xlsx", "leader-002", 404)


def test_the_roster_pages_in_english_show_chinese_only_in_the_data(app, client, at_monday):
    """The roster's pages, its tasks and its case in English (the i18n crawl's rule), at each step: sent back,
    drawn up again, issued; and the next month waiting for the leader."""
    two_households_approved(app, at_monday)
    leftovers = {}

    def check(username: str, paths: list[str]) -> None:
        data = _data_texts(app)
        login(client, username)
        for path in paths:
            response = client.get(path + ("&" if "?" in path else "?") + "lang=en")
            html = response.get_data(as_text=True)
            assert response.status_code == 200 and '<html lang="en">' in html, (username, path)
            match = CJK.search(chrome := _chrome(html, data))
            if match:
                leftovers[f"{username} {path}"] = chrome[max(0, match.start() - 40):match.end() + 40]

    with clock.frozen(DECIDED):
        with app.app_context():
            factory, svc = db.factory(), services.get()
            january = drive.roster(factory, svc, "2027-01", approve=False)
        check("leader-001", ["/rosters/", f"/tasks/{drive.open_task(factory, january).id}", f"/cases/{january}"])
        with app.app_context():
            drive.do(factory, svc, january, "leader-001", f.roster_approval("send_back"))
        check("reviewer-001", ["/rosters/", f"/tasks/{drive.open_task(factory, january).id}", f"/cases/{january}"])
        with app.app_context():
            drive.do(factory, svc, january, "reviewer-001", f.roster_redo())
            drive.do(factory, svc, january, "leader-001", f.roster_approval())
            number = db.session().scalars(select(Document.number).where(Document.kind == "payment_roster")).one()
        check("reviewer-001", ["/rosters/?month=2027-01", f"/rosters/{number}", f"/cases/{january}", "/tasks/"])
        check("auditor", [f"/cases/{january}", f"/rosters/{number}", "/rosters/?township=640104001&month=2027-01"])
    with clock.frozen(DECIDED + timedelta(days=28)), app.app_context():
        february = drive.roster(factory, svc, "2027-02", approve=False)
    with clock.frozen(DECIDED + timedelta(days=28)):
        check("leader-001", ["/rosters/?month=2027-02", "/tasks/", f"/cases/{february}"])
    assert not leftovers, leftovers
