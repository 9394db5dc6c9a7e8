"""The main journey in a real browser: registration at the window, acceptance, the 核对 answered by
the worker, the paired home visit (two investigators), the review, the reviewer publishing the 公示
batch, the notice ending, the leader's approval, the approval notice PDF and the household on the
在保家庭 register — through the pages, the JavaScript and the CSRF tokens exactly as a township's
staff would use them."""

import re
from datetime import date, datetime, timedelta

import pytest
from playwright.sync_api import Page, expect

from tests import factories as f
from workflows.clock import CHINA_TZ
from workflows.demo import DEMO_PASSWORD

pytestmark = pytest.mark.browser

CHILD_SEQ = 29  # an odd (male) sequence number whose check character is X: typed as "x", shown as "X"
CHILD_ID = f.id_number(date(2012, 8, 20), CHILD_SEQ)
WRONG_CHILD_ID = CHILD_ID[:-1] + "1"
CASE_NO = re.compile(r"\d{9}-\d{4}-\d{5}")
TASKS = ("受理（材料审查）", "入户调查", "第二调查人复核签字", "乡镇初审", "审核确认（集体研究）")


def nav(page: Page, name: str) -> None:
    """Follow a link of the top navigation, opening its menu first when it sits in one (台账, 监督 …)."""
    menu = page.get_by_role("navigation", name="主导航")
    named = re.compile(rf"^{re.escape(name)}( \d+)?$")  # a count may follow the name
    link = menu.get_by_role("link", name=named, include_hidden=True)
    if not link.is_visible():
        menu.locator("details.menu").filter(has=page.get_by_role("link", name=named, include_hidden=True)) \
            .locator("summary").click()
    link.click()


def login(page: Page, username: str) -> None:
    """Log in with the keyboard: the user name field has the focus when the page opens."""
    page.goto("/login")
    expect(page.get_by_label("用户名")).to_be_focused()
    page.keyboard.type(username)
    page.keyboard.press("Tab")
    page.keyboard.type(DEMO_PASSWORD)
    page.keyboard.press("Enter")
    expect(page.get_by_role("button", name="退出")).to_be_visible()


def logout(page: Page) -> None:
    page.get_by_role("button", name="退出").click()
    expect(page).to_have_url(re.compile(r"/login$"))


def type_into(page: Page, selector: str, text: str) -> None:
    """Click a field, clear it and type, as a person would."""
    page.locator(selector).click()
    page.keyboard.press("Control+A")
    page.keyboard.press("Delete")
    page.keyboard.type(text)


def fill_member(page: Page, row: int, member: dict, typed_id: str) -> None:
    """One household row: name, Tab, ID number, then the selects and the income."""
    type_into(page, f"#members-{row}-name", member["name"])
    page.keyboard.press("Tab")
    page.keyboard.type(typed_id)
    page.locator(f"#members-{row}-relation").select_option(member["relation"])
    type_into(page, f"#members-{row}-monthly_income", member["monthly_income"])
    page.locator(f"#members-{row}-disability_level").select_option(label="无")


def fill_registration(page: Page, sub: dict) -> None:
    """The registration form, with the wrong ID check character for the child; adds one empty row."""
    type_into(page, "#applicant_phone", sub["applicant_phone"])
    type_into(page, "#address", sub["address"])
    page.get_by_label("负责审核的乡镇（街道）").select_option(label="凤凰北街街道")
    page.get_by_label("申请地依据").select_option(label="户籍所在地")
    page.get_by_label("申请方式").select_option(label="本人申请")
    page.get_by_label("户别").select_option(label="共同生活家庭")
    page.get_by_label("适用保障标准").select_option(label="城市低保标准")
    type_into(page, "#reason", sub["reason"])
    for row, member in enumerate(sub["members"]):
        fill_member(page, row, member, WRONG_CHILD_ID if row == 2 else member["id_no"])

    rows = page.locator("fieldset[data-name=members] tbody tr")
    offered = rows.count()
    page.get_by_role("button", name="增加一行").click()
    expect(rows).to_have_count(offered + 1)
    added = page.locator(f"#members-{offered}-name")
    expect(added).to_be_focused()  # the new row is numbered on, empty, and ready for typing
    expect(added).to_have_value("")
    expect(added).to_have_attribute("name", f"members.{offered}.name")
    expect(rows.last.locator("td").first).to_have_text(str(offered + 1))


def register(page: Page, sub: dict, shot) -> str:
    """Register the household: first with a wrong ID check character, then corrected. The case number."""
    nav(page, "登记申请")
    expect(page.locator("h1")).to_have_text("最低生活保障申请登记")
    fill_registration(page, sub)
    shot(page, "01-registration-filled")
    page.get_by_role("button", name="登记并提交").click()

    id_cell = page.locator("td", has=page.locator("#members-2-id_no"))
    expect(id_cell.locator(".error")).to_have_text("身份证号码校验位不正确，请核对后重新输入")
    expect(page.locator("#members-2-id_no")).to_have_attribute("aria-invalid", "true")
    expect(page.locator("form .error")).to_have_count(1)  # the empty added row is no error
    expect(page.locator("#address")).to_have_value(sub["address"])  # nothing typed is lost
    expect(page.locator("#members-1-name")).to_have_value(sub["members"][1]["name"])
    shot(page, "02-registration-error")

    type_into(page, "#members-2-id_no", CHILD_ID.lower())
    expect(page.locator("#members-2-id_no")).to_have_value(CHILD_ID)  # app.js upper-cases the x
    page.get_by_role("button", name="登记并提交").click()
    flash = page.locator(".flash.success")
    expect(flash).to_contain_text("申请已登记，案件编号")
    case_no = CASE_NO.search(flash.inner_text()).group(0)
    expect(page.locator("h1")).to_contain_text(f"案件 {case_no}")
    expect(page.locator(".page-head .status")).to_have_text("待受理")
    expect(page.locator("table.grid").first).to_contain_text("李小明")
    shot(page, "03-case-registered")
    return case_no


def accept(page: Page) -> None:
    for label in ("申请书", "户口簿", "家庭成员身份证", "收入、财产申报及诚信承诺", "家庭经济状况核对授权书"):
        page.get_by_label(label, exact=True).check()
    page.get_by_label("受理意见").select_option(label="材料齐全，予以受理")


def investigate(page: Page) -> None:
    """The first investigator's record: each member's income and capacity, the property, the findings."""
    page.get_by_label("入户调查日期").fill(datetime.now(CHINA_TZ).date().isoformat())
    for row, (wage, capacity) in enumerate((("600", "部分"), ("300", "部分"), ("", "无"))):
        if wage:
            type_into(page, f"#members_verified-{row}-wage_income", wage)
        page.locator(f"#members_verified-{row}-labor_capacity").select_option(label=capacity)
    type_into(page, "#financial_assets", "3000.00")
    type_into(page, "#homes", "0")
    page.get_by_label("住房情况").select_option(label="租住")
    type_into(page, "#neighbours-0-neighbour", "王大妈")  # the table offers the one row it needs
    type_into(page, "#neighbours-0-statement", "家中确有病人，生活困难。")
    type_into(page, "#findings", "情况属实。")


def cosign(page: Page) -> None:
    """The second investigator signs the record with their own account."""
    page.get_by_label("本人参加了此次入户调查，调查记录属实").check()
    page.get_by_label("复核意见").select_option(label="确认调查记录")


def review(page: Page) -> None:
    page.locator("#review_opinion").select_option(label="拟批准，列入公示")
    type_into(page, "#review_comment", "经初审，符合条件。")


def decide(page: Page) -> None:
    page.get_by_label("审核确认决定").select_option(label="批准")
    type_into(page, "#meeting_ref", "2026年第12次集体研究")


def work_task(page: Page, username: str, title: str, case_no: str, fill, shot) -> None:
    """As `username`: 待办任务 → the task → fill → 提交 → the flash on the queue."""
    login(page, username)
    nav(page, "待办任务")
    page.locator("table.queue tbody").get_by_role("link", name=title).click()
    expect(page.locator("h1")).to_have_text(title)
    expect(page.locator(".page-head")).to_contain_text(case_no)
    fill(page)
    shot(page, f"04-task-{username}")
    page.get_by_role("button", name="提交", exact=True).click()
    expect(page.locator(".flash.success")).to_have_text(f"已办结：{title}（案件 {case_no}）")
    expect(page.locator("h1")).to_contain_text("待办任务")
    logout(page)


def run_worker(live_server, *now: str) -> str:
    """One pass of the worker (`flask tick`), optionally at a set time; its report."""
    done = live_server.cli("tick", *(("--now", now[0]) if now else ()))
    assert done.returncode == 0, done.stderr
    return done.stdout


def publish_batch(page: Page, case_no: str, shot) -> None:
    """The reviewer publishes the township's waiting cases as one 公示 batch, then opens its list."""
    login(page, "reviewer-001")
    page.get_by_role("navigation", name="主导航").get_by_role("link", name=re.compile(r"^公示批次")).click()
    expect(page.locator("table.waiting")).to_contain_text(case_no)
    shot(page, "05-notice-batch")
    page.get_by_role("checkbox", name=re.compile("已核对以上 1 户名单")).check()
    page.get_by_role("button", name="发布公示").click()
    expect(page.locator(".flash.success")).to_contain_text("已发布公示批次 GS-")
    expect(page.locator("table.waiting")).to_contain_text("目前没有待公示的案件")
    link = page.locator("table.batches").get_by_role("link", name=re.compile("公示名单"))
    pdf = page.request.get(link.get_attribute("href"))
    assert pdf.ok and pdf.body().startswith(b"%PDF-")
    logout(page)


def end_public_notice(live_server) -> None:
    """Fire the notice timer with the CLI, 10 days on (the notice ends 7 days after today)."""
    later = (datetime.now(CHINA_TZ) + timedelta(days=10)).isoformat(timespec="seconds")
    assert "到期定时事件已处理：1 件" in run_worker(live_server, later)


def check_approved_case(page: Page, case_no: str) -> None:
    """Status, amount and the history of every step on the case page."""
    expect(page.locator("h1")).to_contain_text(f"案件 {case_no}")
    expect(page.locator(".page-head .status")).to_have_text("已批准")
    amount = page.locator("dl.facts dt", has_text="月保障金").locator("xpath=following-sibling::dd[1]")
    expect(amount).to_have_text(re.compile(r"^¥[1-9][\d,]*\.\d\d$"))
    timeline = page.locator("ol.timeline")
    for text in ("登记申请", *TASKS, "收到核对结果", "列入公示批次", "时限到达", "公示期满", "出具文书", "公示名单"):
        expect(timeline).to_contain_text(text)
    expect(timeline.locator("li", has_text="办结环节")).to_have_count(len(TASKS))


def check_notice_pdf(page: Page) -> None:
    """Click the approval notice: the server answers with a PDF."""
    link = page.locator("ul.documents").get_by_role("link", name=re.compile("批准通知书"))
    href = link.get_attribute("href")
    with page.expect_response(re.compile(r"/documents/[^/]+\.pdf$")) as caught:
        link.click()
    assert caught.value.status == 200
    assert caught.value.headers["content-type"] == "application/pdf"
    assert caught.value.headers["content-disposition"].startswith("inline")
    expect(page).to_have_url(re.compile(r"\.pdf$"))  # Chromium shows it in its PDF viewer
    # The viewer hides the response body from Playwright: fetch it again with the page's cookies.
    pdf = page.request.get(href)
    assert pdf.ok and pdf.body().startswith(b"%PDF-")


def check_benefit(page: Page, case_no: str, holder: str) -> None:
    """The approved household is on the 在保家庭 register, with its 低保证 number and its granting case."""
    nav(page, "在保家庭")
    row = page.locator("table.benefits tbody tr", has_text=holder)
    expect(row).to_contain_text("在保")
    row.get_by_role("link", name=re.compile(r"^ZS-")).click()
    expect(page.locator("h1")).to_contain_text("在保家庭 ZS-")
    changes = page.locator("table.changes")
    expect(changes).to_contain_text("批准享受")
    expect(changes.get_by_role("link", name=case_no)).to_be_visible()


def test_a_case_goes_from_the_window_to_the_approval_notice(page: Page, live_server, shot):
    broken_js = []
    page.on("pageerror", lambda err: broken_js.append(str(err)))
    sub = f.registration()
    sub["members"][2]["id_no"] = CHILD_ID

    login(page, "clerk-001")
    shot(page, "00-window")
    case_no = register(page, sub, shot)
    logout(page)

    work_task(page, "clerk-001", TASKS[0], case_no, accept, shot)
    assert "外部核对已答复：1 件" in run_worker(live_server)  # the 核对, answered by the simulator
    workers = ("investigator-001", "investigator2-001", "reviewer-001")
    for username, title, fill in zip(workers, TASKS[1:4], (investigate, cosign, review), strict=True):
        work_task(page, username, title, case_no, fill, shot)
    publish_batch(page, case_no, shot)
    end_public_notice(live_server)
    work_task(page, "leader-001", TASKS[4], case_no, decide, shot)

    login(page, "clerk-001")
    page.locator("table.grid").get_by_role("link", name=case_no).click()
    check_approved_case(page, case_no)
    shot(page, "06-case-approved")
    check_notice_pdf(page)
    page.go_back()  # from the PDF viewer to the case page, where 退出 is
    check_benefit(page, case_no, sub["members"][0]["name"])
    shot(page, "06b-benefit")
    logout(page)

    login(page, "auditor")
    page.get_by_role("link", name=case_no).click()
    check_approved_case(page, case_no)
    expect(page.get_by_role("link", name="重放验证")).to_be_visible()
    shot(page, "07-case-auditor")
    check_diagram(page, shot)
    page.go_back()
    page.get_by_role("link", name="重放验证").click()
    expect(page.locator(".verdict.ok")).to_contain_text("验证通过")
    shot(page, "09-replay-verified")
    assert broken_js == []


def check_diagram(page: Page, shot) -> None:
    """The auditor's diagram: bpmn-js draws the pinned BPMN with the path taken; the slider goes back in time."""
    page.get_by_role("link", name="流程图").click()
    expect(page.locator("body[data-diagram-ready=true]")).to_have_count(1)
    done, active = page.locator(".djs-element.done"), page.locator(".djs-element.active")
    expect(done.first).to_be_visible()
    assert done.count() >= len(TASKS) and active.count() == 0  # the whole path, and nothing open once decided
    for bpmn_id in ("accept", "investigate", "cosign", "review", "leader"):
        expect(page.locator(f'.djs-element.done[data-element-id="{bpmn_id}"]')).to_have_count(1)
    shot(page, "08-diagram-path")
    slider = page.locator("#step")
    slider.focus()
    page.keyboard.press("Home")  # back to the first recorded step: the case waits for its acceptance
    expect(page.locator("#step-label")).to_have_text(re.compile(r"^#1 / \d+$"))
    expect(page.locator('.djs-element.active[data-element-id="accept"]')).to_have_count(1)
    expect(page.locator('.djs-element.done[data-element-id="leader"]')).to_have_count(0)
    shot(page, "08b-diagram-first-step")
