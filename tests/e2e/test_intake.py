"""Registration at the window with the keyboard (issue 9): what a typed ID number says (birth date, sex,
age, 增发 by age, a wrong check character), the warning for a person already in a case (the clerk's own
township: its number; another township: only that it exists), and the draft kept in the browser."""

import re
from datetime import date, datetime

import pytest
from playwright.sync_api import Page, expect

from tests import factories as f
from tests.e2e.test_browser_journey import CASE_NO, fill_member, login, logout, nav, type_into
from workflows.clock import CHINA_TZ
from workflows.rules.id_number import InvalidIdNumber, age_on, parse_id_number

pytestmark = pytest.mark.browser

DRAFT_KEY = "dibao-draft:clerk-001:dibao_application/start"
ELDER = f.member("马桂芳", date(1950, 3, 4), "self", "200", seq=6)  # even: a woman
BOY = f.member("马小军", date(2014, 12, 31), "grandchild", "0", seq=15)


def age(birth: date) -> int:
    today = datetime.now(CHINA_TZ).date()  # the live server's clock is real time
    return today.year - birth.year - ((today.month, today.day) < (birth.month, birth.day))


def info(page: Page, row: int):
    return page.locator(f"#members-{row}-id_no-info")


def dup(page: Page, row: int):
    return page.locator(f"#members-{row}-id_no-dup")


def register(page: Page) -> str:
    """Register 马桂芳 and her grandson; the case number."""
    nav(page, "登记申请")
    type_into(page, "#applicant_phone", "13900002222")
    type_into(page, "#address", "兴庆区凤凰北街和平巷7号")
    page.get_by_label("负责审核的乡镇（街道）").select_option(label="凤凰北街街道")
    page.get_by_label("申请地依据").select_option(label="户籍所在地")
    page.get_by_label("申请方式").select_option(label="本人申请")
    page.get_by_label("户别").select_option(label="共同生活家庭")
    page.get_by_label("适用保障标准").select_option(label="城市低保标准")
    type_into(page, "#reason", "年老体弱，抚养孙子。")
    fill_member(page, 0, ELDER, ELDER["id_no"])
    expect(info(page, 0)).to_have_text(
        f"出生日期 1950-03-04，女，{age(date(1950, 3, 4))}周岁；可能适用增发：老年人")
    fill_member(page, 1, BOY, BOY["id_no"][:-1])
    expect(info(page, 1)).to_be_empty()  # nothing until the number is complete
    page.locator("#members-1-id_no").press("End")
    page.keyboard.type(BOY["id_no"][-1].lower())
    expect(info(page, 1)).to_have_text(
        f"出生日期 2014-12-31，男，{age(date(2014, 12, 31))}周岁；可能适用增发：未成年人")
    expect(dup(page, 1)).to_be_empty()  # asked, and in no case yet
    assert page.evaluate(f"localStorage.getItem('{DRAFT_KEY}')") is not None
    page.get_by_role("button", name="登记并提交").click()
    flash = page.locator(".flash.success")
    expect(flash).to_contain_text("申请已登记，案件编号")
    assert page.evaluate(f"localStorage.getItem('{DRAFT_KEY}')") is None  # registered: the draft is gone
    return CASE_NO.search(flash.inner_text()).group(0)


def test_typing_an_id_number_tells_what_it_says_and_warns_of_a_duplicate(page: Page, shot):
    login(page, "clerk-001")
    case_no = register(page)

    nav(page, "登记申请")
    expect(page.locator(".draft-notice")).to_be_hidden()
    type_into(page, "#members-0-id_no", ELDER["id_no"][:-1] + ("1" if ELDER["id_no"][-1] != "1" else "2"))
    expect(info(page, 0)).to_have_text("身份证号码校验位不正确，请核对后重新输入")
    expect(dup(page, 0)).to_be_empty()
    type_into(page, "#members-0-id_no", ELDER["id_no"])
    expect(dup(page, 0)).to_have_text(f"已在本乡镇（街道）案件 {case_no} 中，不能重复申请")
    expect(dup(page, 0)).to_have_attribute("aria-live", "polite")
    assert "members-0-id_no-dup" in page.locator("#members-0-id_no").get_attribute("aria-describedby")
    shot(page, "intake-01-duplicate")

    logout(page)
    login(page, "clerk-002")  # another township's window: told only that a case exists
    nav(page, "登记申请")
    type_into(page, "#members-0-id_no", BOY["id_no"])
    expect(dup(page, 0)).to_have_text("已在其他乡镇（街道）的案件中")
    expect(page.locator("main")).not_to_contain_text(case_no)


def test_the_draft_comes_back_after_a_reload_and_can_be_cleared(page: Page, shot):
    login(page, "clerk-001")
    nav(page, "登记申请")
    type_into(page, "#address", "兴庆区解放西街12号")
    page.get_by_label("申请方式").select_option(label="委托他人代办")
    type_into(page, "#members-0-name", ELDER["name"])
    page.keyboard.press("Tab")
    page.keyboard.type(ELDER["id_no"])
    added = page.locator("fieldset[data-name=members] tbody tr").count() + 1
    page.get_by_role("button", name="增加一行").click()
    type_into(page, f"#members-{added - 1}-name", BOY["name"])

    page.reload()  # as after a session timeout and logging in again
    notice = page.locator(".draft-notice")
    expect(notice).to_be_visible()
    expect(notice).to_contain_text("已恢复上次未提交的草稿")
    expect(page.locator("#address")).to_have_value("兴庆区解放西街12号")
    expect(page.get_by_label("申请方式")).to_have_value("other")
    expect(page.locator("#members-0-id_no")).to_have_value(ELDER["id_no"])
    expect(page.locator("fieldset[data-name=members] tbody tr")).to_have_count(added)
    expect(page.locator(f"#members-{added - 1}-name")).to_have_value(BOY["name"])
    expect(info(page, 0)).to_contain_text("可能适用增发：老年人")
    shot(page, "intake-02-draft-restored")

    notice.get_by_role("button", name="清除草稿").click()
    expect(notice).to_have_text("草稿已清除。")
    expect(page.locator("#address")).to_have_value("")
    assert page.evaluate(f"localStorage.getItem('{DRAFT_KEY}')") is None
    page.reload()
    expect(page.locator(".draft-notice")).to_be_hidden()
    expect(page.locator("#members-0-id_no")).to_have_value("")


def test_a_draft_older_than_a_day_is_dropped(page: Page):
    login(page, "clerk-001")
    nav(page, "登记申请")
    type_into(page, "#address", "兴庆区文化街1号")
    stale = re.sub(r'"saved_at":\d+', '"saved_at":0', page.evaluate(f"localStorage.getItem('{DRAFT_KEY}')"))
    page.evaluate("([k, v]) => localStorage.setItem(k, v)", [DRAFT_KEY, stale])
    page.reload()
    expect(page.locator(".draft-notice")).to_be_hidden()
    expect(page.locator("#address")).to_have_value("")
    assert page.evaluate(f"localStorage.getItem('{DRAFT_KEY}')") is None


def _body_with_check(body17: str) -> str:
    return body17 + "10X98765432"[sum(int(d) * w for d, w in zip(body17, f.WEIGHTS, strict=True)) % 11]


def test_the_page_reads_numbers_as_the_server_does(page: Page):
    """Each number typed shows what workflows.rules.id_number says about it (its message, or what it tells)."""
    today = datetime.now(CHINA_TZ).date()
    numbers = [
        _body_with_check("64010419500230006"),  # no 30 February
        _body_with_check("64010418991231006"),  # before 1900
        _body_with_check(f"640104{today.year + 1}0101006"),  # born next year
        f.id_number(date(2000, 2, 29), 7),  # a leap day, a man
        "64010419500304006A",  # a letter where the check character goes
    ]
    login(page, "clerk-001")
    nav(page, "登记申请")
    for number in numbers:
        type_into(page, "#members-0-id_no", number)
        try:
            found = parse_id_number(number, today=today)
        except InvalidIdNumber as err:
            expect(info(page, 0)).to_have_text(err.message_zh)
        else:
            sex, years = "男" if found.sex == "M" else "女", age_on(found.birth_date, today)
            expect(info(page, 0)).to_have_text(f"出生日期 {found.birth_date}，{sex}，{years}周岁")
