"""Life after approval through the web UI: the 在保家庭 register, a review falling due a year later and
worked through the task pages, the change it makes, and the monthly payment roster issued once and
downloaded as Excel for the bank."""

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


def test_a_months_roster_is_issued_once_and_downloaded_for_the_bank(app, client, at_monday):
    two_households_approved(app, at_monday)
    register = benefits(app)
    total = sum(b.amount for b in register)
    with clock.frozen(DECIDED):
        login(client, "reviewer-001")
        html = client.get("/rosters/").get_data(as_text=True)  # next month by default
        assert "2027-01 花名册预览" in html and all(b.certificate_no in html for b in register)
        assert f"¥{total:,.2f}" in html and "合计 2 户" in html
        expected = re.search(r'name="expected" value="([^"]+)"', html).group(1)
        form = {"month": "2027-01", "expected": expected}
        refused = post_form(client, "/rosters/", form)
        assert refused.status_code == 422 and "请勾选确认" in refused.get_data(as_text=True)
        stale = post_form(client, "/rosters/", {**form, "confirm": True, "expected": "1/3/1022.00"})
        assert stale.status_code == 409 and "名单在您核对后发生了变化" in stale.get_data(as_text=True)
        issued = post_form(client, "/rosters/", {**form, "confirm": True})
        assert issued.status_code == 302
        number = issued.headers["Location"].rsplit("/", 1)[1]
        html = client.get(f"/rosters/{number}").get_data(as_text=True)
        assert "与在保登记簿核对一致" in html and "已生成 2027-01 发放花名册" in html

        again = post_form(client, "/rosters/", {**form, "confirm": True}, token_from="/rosters/?month=2027-01")
        assert again.status_code == 302
        html = client.get(again.headers["Location"]).get_data(as_text=True)
        assert "每月花名册只能生成一次，已生成的不能修改" in html and "2027-01 花名册已生成" in html

    _check_the_workbook(client, number, register)
    pdf = client.get(f"/rosters/{number}.pdf")
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf" and pdf.data.startswith(b"%PDF")
    with app.app_context(), unit_of_work(db.factory()) as sess:
        logged = sess.scalars(select(AccessLog.target).where(AccessLog.action == "document_downloaded")).all()
    assert f"{number}.xlsx" in logged and number in logged

    login(client, "auditor")  # reads any township's rosters, issues none
    html = client.get("/rosters/?township=640104001&month=2027-01").get_data(as_text=True)
    assert number in html and "生成花名册" not in html
    assert client.get(f"/rosters/{number}.xlsx").status_code == 200
    for other in ("reviewer-002", "leader-002"):  # another township: not found
        login(client, other)
        assert client.get(f"/rosters/{number}").status_code == 404
        assert client.get(f"/rosters/{number}.xlsx").status_code == 404
        assert client.get(f"/benefits/{register[0].id}").status_code == 404
        assert number not in client.get("/rosters/").get_data(as_text=True)
    login(client, "clerk-001")
    assert client.get(f"/rosters/{number}.xlsx").status_code == 403


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
    assert preview["items"] == [] and preview["draft"]["households"] == 2
    assert [line["certificate_no"] for line in preview["draft"]["lines"]] == [b.certificate_no for b in register]
    api.call("get", "/rosters?month=2027-13", "leader-001", 422)
    api.call("get", "/rosters", "auditor", 422)  # which township?
    api.call("post", "/rosters", "clerk-001", 403, json={"month": "2027-01"})
    api.call("post", "/rosters", "leader-001", 422, json={"month": "2027-01", "extra": 1})
    api.check(["components", "schemas", "RosterRequest"], {"month": "2027-01"})
    issued = api.call("post", "/rosters", "leader-001", 201, json={"month": "2027-01"})
    assert issued["households"] == 2 and issued["problems"] == []
    assert issued["total"] == f"{sum(b.amount for b in register):.2f}"
    conflict = api.call("post", "/rosters", "reviewer-001", 409, json={"month": "2027-01"})["error"]
    assert conflict["message"] == "每月花名册只能生成一次，已生成的不能修改"
    listed = api.call("get", "/rosters?month=2027-01&township=640104001", "auditor")
    assert [r["number"] for r in listed["items"]] == [issued["number"]] and listed["draft"] is None
    workbook = api.call("get", issued["xlsx_url"].removeprefix("/api/v1"), "auditor")
    assert workbook.mimetype == XLSX and hashlib.sha256(workbook.data).hexdigest() == issued["xlsx_sha256"]
    pdf = api.call("get", issued["pdf_url"].removeprefix("/api/v1"), "reviewer-001")
    assert pdf.mimetype == "application/pdf"
    api.call("get", f"/rosters/{issued['number']}", "reviewer-002", 404)
    api.call("get", f"/rosters/{issued['number']}/xlsx", "leader-002", 404)
