"""The other journeys of the roles in a real browser, each on its own server (issue 9):

- 动态管理复核: a household approved a year ago falls due; the clerk starts its review from 待复核, the
  worker answers the 核对, the investigator does the reduced home check (no neighbours, the household as
  last assessed), the reviewer agrees, the leader sees the outcome (减发) and confirms it; the review's
  复核决定通知书 opens as a PDF and the register shows the reduced amount;
- 临时救助 急难型 先行救助: the clerk registers an emergency, the leader tops up the township's reserve and
  approves payment first — the reserve's balance goes down by the amount — then the worker answers the
  核对 and the reviewer completes the paperwork; the decision notice opens as a PDF;
- 区级抽查: the county auditor draws a sample of a township's decisions (the seed shown, the draw
  reproducible), works the spot check of the case drawn and records a problem, which the case shows and
  which starts its review.

What happened before "today" (the approval a year ago, the decision last month) is set up on the engine
with the domain clock set back, as the web tests do; everything after it is done through the pages.
"""

import re
from datetime import date, datetime, time, timedelta

import pytest
from playwright.sync_api import Page, expect

from tests import drive
from tests import factories as f
from tests.e2e.test_browser_journey import login, logout, type_into
from webapp import db, services
from workflows import clock, rules

pytestmark = pytest.mark.browser

CASE_NO = re.compile(r"\d{9}-\d{4}-\d{5}")
TOWN_NAME = "凤凰北街街道"
PROBLEM = "入户核实发现家中有经营性收入未申报"


def today() -> date:
    return datetime.now(clock.CHINA_TZ).date()  # the live server's clock is real time


def monday_on_or_before(day: date) -> datetime:
    monday = day - timedelta(days=day.weekday())
    return datetime.combine(monday, time(9, 0), clock.CHINA_TZ)


def approved_back_then(live_server, published_at: datetime, sub: dict | None = None) -> str:
    """A household approved through the real procedure, published at ``published_at`` and decided eight days
    later (the domain clock set back in this thread only: the server keeps real time); its case number."""
    with live_server.app.app_context(), clock.frozen(published_at):
        return drive.approved(db.factory(), services.get(), published_at, sub)


def go(page: Page, name: str) -> None:
    """Follow a link of the top navigation, opening the menu it is in if it is in one."""
    nav = page.get_by_role("navigation", name="主导航")
    link_name = re.compile(rf"^{re.escape(name)}( \d+)?$")  # a count may follow the name
    link = nav.get_by_role("link", name=link_name)
    if not link.is_visible():
        hidden = page.get_by_role("link", name=link_name, include_hidden=True)
        nav.locator("details").filter(has=hidden).locator("summary").click()
    link.click()


def open_task(page: Page, title: str, case_no: str) -> None:
    """From 待办任务, the task ``title`` of the case."""
    go(page, "待办任务")
    row = page.locator("table.queue tbody tr", has_text=case_no)
    row.get_by_role("link", name=title).click()
    expect(page.locator("h1")).to_have_text(title)
    expect(page.locator(".page-head")).to_contain_text(case_no)


def submit_task(page: Page, title: str, case_no: str) -> None:
    page.get_by_role("button", name="提交", exact=True).click()
    expect(page.locator(".flash.success")).to_have_text(f"已办结：{title}（案件 {case_no}）")


def run_worker(live_server) -> str:
    done = live_server.cli("tick")
    assert done.returncode == 0, done.stderr
    return done.stdout


def open_pdf(page: Page, name: str) -> None:
    """Click a document of the case page: the server answers with the PDF, shown by Chromium's viewer."""
    link = page.locator("ul.documents").get_by_role("link", name=re.compile(name))
    href = link.get_attribute("href")
    with page.expect_response(re.compile(r"/documents/[^/]+\.pdf$")) as caught:
        link.click()
    assert caught.value.status == 200 and caught.value.headers["content-type"] == "application/pdf"
    pdf = page.request.get(href)  # the viewer hides the body from Playwright: fetched again with the cookies
    assert pdf.ok and pdf.body().startswith(b"%PDF-")
    page.go_back()


# --- 动态管理复核 ---------------------------------------------------------------------------------------------


def start_review(page: Page, holder: str, shot) -> str:
    """As the clerk: 待复核 lists the household falling due; its review started; the review's case number."""
    login(page, "clerk-001")
    go(page, "待复核")
    row = page.locator("table.due tbody tr", has_text=holder)
    expect(row).to_contain_text("即将到期")
    expect(row).to_contain_text("ZS-")
    shot(page, "review-01-due")
    row.get_by_label("复核原因").select_option(label="定期复核到期")
    row.get_by_role("button", name="启动复核").click()
    expect(page.locator(".page-head .status")).to_have_text("经济状况核对中")
    review_no = CASE_NO.search(page.locator("h1").inner_text()).group(0)
    logout(page)
    return review_no


def reduced_visit(page: Page, review_no: str, shot) -> None:
    """As the investigator: the reduced check — the household as last assessed, no neighbours' statements;
    the spouse now earns 600 a month."""
    login(page, "investigator-001")
    open_task(page, "入户复核调查", review_no)
    expect(page.locator("#members_verified-1-name")).to_contain_text("李建国")  # carried over, read only
    expect(page.get_by_text("邻里", exact=False)).to_have_count(0)
    page.get_by_label("入户调查日期").fill(today().isoformat())
    type_into(page, "#members_verified-1-wage_income", "600")
    type_into(page, "#financial_assets", "3000.00")
    type_into(page, "#homes", "0")
    page.get_by_label("住房情况").select_option(label="租住")
    type_into(page, "#findings", "配偶已就业，月工资600元。")
    shot(page, "review-02-reduced-visit")
    submit_task(page, "入户复核调查", review_no)
    logout(page)


def decide_review(page: Page, review_no: str, shot) -> None:
    login(page, "reviewer-001")
    open_task(page, "乡镇审核", review_no)
    page.locator("#review_opinion").select_option(label="同意复核结论")
    type_into(page, "#review_comment", "复核属实。")
    submit_task(page, "乡镇审核", review_no)
    logout(page)
    login(page, "leader-001")
    open_task(page, "审核确认（集体研究）", review_no)
    expect(page.locator("main")).to_contain_text("减发")  # the outcome the amounts give, before deciding
    page.locator("#leader_decision").select_option(label="确认复核结论")
    type_into(page, "#meeting_ref", "第40次集体研究")
    type_into(page, "#change_reason", "家庭收入情况发生变化。")
    shot(page, "review-03-decision")
    submit_task(page, "审核确认（集体研究）", review_no)


def test_a_household_falls_due_and_its_review_reduces_the_benefit(page: Page, live_server, shot):
    broken_js = []
    page.on("pageerror", lambda err: broken_js.append(str(err)))
    # decided about a year ago: the yearly review falls due one to two weeks from today
    published_at = monday_on_or_before(rules.add_months(today(), -12) + timedelta(days=6))
    sub = f.registration()
    approved_back_then(live_server, published_at, sub)
    holder = sub["members"][0]["name"]

    review_no = start_review(page, holder, shot)
    assert "外部核对已答复：1 件" in run_worker(live_server)
    reduced_visit(page, review_no, shot)
    decide_review(page, review_no, shot)

    page.goto(f"/cases/{review_no}")
    expect(page.locator(".page-head .status")).to_have_text("复核完成")
    shot(page, "review-04-case")
    open_pdf(page, "复核决定通知书")
    page.get_by_role("link", name=re.compile(r"^ZS-")).first.click()
    changes = page.locator("table.changes")
    expect(changes).to_contain_text("减发")
    expect(changes.get_by_role("link", name=review_no)).to_be_visible()
    shot(page, "review-05-register")
    assert broken_js == []


# --- 临时救助 急难型 先行救助 -------------------------------------------------------------------------------------


def register_emergency(page: Page, shot) -> str:
    """As the clerk: the 临时救助 application of a household whose home burnt down; its case number."""
    login(page, "clerk-001")
    go(page, "临时救助申请")
    page.get_by_label("救助类型").select_option(label="急难型")
    page.get_by_label("致困原因").select_option(label="火灾等意外事件")
    page.get_by_label("发生日期").fill(today().isoformat())
    type_into(page, "#cause_detail", "住房失火，家中财物全部烧毁。")
    type_into(page, "#amount_requested", "2000.00")
    type_into(page, "#applicant_phone", "13900002222")
    type_into(page, "#address", "兴庆区凤凰北街幸福小区5号楼101")
    type_into(page, "#bank_account_last4", "1234")
    for row, (name, born, seq, relation) in enumerate((("王桂芳", date(1975, 4, 2), 2, "本人"),
                                                       ("赵小军", date(2010, 6, 1), 3, "子女"))):
        type_into(page, f"#members-{row}-name", name)
        type_into(page, f"#members-{row}-id_no", f.id_number(born, seq))
        page.locator(f"#members-{row}-relation").select_option(label=relation)
    shot(page, "temp-01-registration")
    page.get_by_role("button", name="登记并提交").click()
    expect(page.locator(".page-head .status")).to_have_text("待先行救助审批")
    case_no = CASE_NO.search(page.locator("h1").inner_text()).group(0)
    logout(page)
    return case_no


def balance(page: Page):
    return page.locator(".balance strong")


def pay_first(page: Page, case_no: str, shot) -> None:
    """As the leader: the reserve topped up to 3,000; the emergency approved at 2,000, paid from it at once."""
    login(page, "leader-001")
    go(page, "备用金")
    expect(balance(page)).to_have_text("¥0.00")
    type_into(page, "#deposit-amount", "3000")
    type_into(page, "#deposit-note", "区财政拨付备用金")
    page.get_by_role("button", name="拨入", exact=True).click()
    expect(balance(page)).to_have_text("¥3,000.00")
    open_task(page, "先行救助审批（急难型）", case_no)
    expect(page.locator("main")).to_contain_text("¥2,480.00")  # the township's limit beside the form
    page.locator("#decision").select_option(label="批准先行救助")
    type_into(page, "#approved_amount", "2000.00")
    type_into(page, "#decision_comment", "情况属实，同意先行救助。")
    shot(page, "temp-02-pay-first")
    submit_task(page, "先行救助审批（急难型）", case_no)
    go(page, "备用金")
    expect(balance(page)).to_have_text("¥1,000.00")  # paid out at the approval
    payment = page.locator("table.reserve-ledger tbody tr", has_text=case_no)
    expect(payment).to_contain_text("-¥2,000.00")
    expect(payment).to_contain_text("救助支付")
    shot(page, "temp-03-reserve")
    logout(page)


def complete_paperwork(page: Page, case_no: str, shot) -> None:
    """As the reviewer: the 核对 answered, the deliberation and the notice recorded after the payment."""
    login(page, "reviewer-001")
    open_task(page, "补办手续（核对、评议、公示）", case_no)
    expect(page.locator("main")).to_contain_text("¥2,000.00")
    page.get_by_label("核对结论").select_option(label="与申请情况相符")
    for label in ("评议日期", "公示开始日期", "公示结束日期"):
        page.get_by_label(label).fill(today().isoformat())
    shot(page, "temp-04-paperwork")
    submit_task(page, "补办手续（核对、评议、公示）", case_no)


def test_an_emergency_is_paid_first_from_the_reserve_and_the_paperwork_follows(page: Page, live_server, shot):
    broken_js = []
    page.on("pageerror", lambda err: broken_js.append(str(err)))
    case_no = register_emergency(page, shot)
    pay_first(page, case_no, shot)
    assert "外部核对已答复：1 件" in run_worker(live_server)  # the 核对, after the payment
    complete_paperwork(page, case_no, shot)
    page.goto(f"/cases/{case_no}")
    expect(page.locator(".page-head .status")).to_have_text("已救助")
    expect(page.locator("main")).to_contain_text("乡镇（街道）临时救助备用金")
    shot(page, "temp-05-case")
    open_pdf(page, "临时救助审批决定通知书")
    assert broken_js == []


# --- 区级抽查 ----------------------------------------------------------------------------------------------------


def draw_sample(page: Page, decided_on: date, case_no: str, shot) -> str:
    """As the county auditor: a sample of 凤凰北街街道's decisions around ``decided_on``; the draw page's path."""
    login(page, "auditor")
    go(page, "抽查")
    page.get_by_label("乡镇（街道）", exact=False).first.select_option(label=TOWN_NAME)
    page.get_by_label("决定日期自").fill((decided_on - timedelta(days=2)).isoformat())
    page.get_by_label("决定日期至").fill((decided_on + timedelta(days=2)).isoformat())
    page.get_by_role("button", name="抽取", exact=True).click()
    expect(page).to_have_url(re.compile(r"/spot-checks/\d+$"))
    facts = page.locator("main")
    expect(facts.locator(".sample")).to_contain_text(case_no)
    expect(facts.locator("dt", has_text="随机种子").locator("xpath=following-sibling::dd[1]")).to_have_text(
        re.compile(r"^\S{6,}$"))  # the seed, recorded for anyone to draw again
    expect(facts.locator(".verdict.ok").first).to_contain_text("可重现")
    shot(page, "spot-01-draw")
    return page.url


def work_spot_check(page: Page, case_no: str, shot) -> str:
    """The auditor's spot check task: a home visit that found a problem; the check's case number."""
    go(page, "待办任务")
    page.locator("table.queue tbody").get_by_role("link", name="区级抽查核实").click()
    expect(page.locator("h1")).to_have_text("区级抽查核实")
    expect(page.get_by_role("link", name=case_no)).to_be_visible()  # the case checked
    check_no = CASE_NO.search(page.locator(".page-head").inner_text()).group(0)
    page.get_by_label("核实日期").fill(today().isoformat())
    page.get_by_label("核实方式").select_option(label="入户")
    page.get_by_label("抽查结论").select_option(label="发现问题")
    type_into(page, "#finding_detail", PROBLEM)
    shot(page, "spot-02-check")
    submit_task(page, "区级抽查核实", check_no)
    return check_no


def test_the_county_draws_a_sample_and_a_spot_check_finds_a_problem(page: Page, live_server, shot):
    broken_js = []
    page.on("pageerror", lambda err: broken_js.append(str(err)))
    published_at = monday_on_or_before(today() - timedelta(days=20))
    case_no = approved_back_then(live_server, published_at)
    decided_on = (published_at + timedelta(days=8)).date()  # drive.approved: the notice over, then decided

    draw = draw_sample(page, decided_on, case_no, shot)
    check_no = work_spot_check(page, case_no, shot)
    page.goto(draw)
    expect(page.locator("main")).to_contain_text("抽查发现问题")
    expect(page.locator("main")).to_contain_text(PROBLEM)
    expect(page.locator("main")).to_contain_text("已启动复核")
    shot(page, "spot-03-finding")
    logout(page)

    login(page, "leader-001")  # the township sees the finding on the case it decided, and the review it started
    page.goto(f"/cases/{case_no}")
    finding = page.locator(".panel.spot-checks")
    expect(finding).to_contain_text(check_no)
    expect(finding).to_contain_text(PROBLEM)
    finding.get_by_role("link", name=CASE_NO).last.click()
    expect(page.locator("main")).to_contain_text("区级抽查发现问题")
    shot(page, "spot-04-review-started")
    assert broken_js == []
