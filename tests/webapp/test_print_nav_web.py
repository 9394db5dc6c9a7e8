"""The navigation, grouped per role with its counts, and printing: the case's print view and the print
stylesheet every page links (A4, no navigation or forms, a heading with the township and the time)."""

import re
from pathlib import Path

import lxml.html
import pytest
from sqlalchemy import select

from tests import drive
from tests.webapp.web import login
from webapp import db, navigation, services
from workflows.store import AccessLog, unit_of_work

STATIC = Path(__file__).resolve().parents[2] / "webapp" / "static"
ROLES = ("clerk-001", "investigator-001", "reviewer-001", "leader-001", "auditor", "admin")


def _menu(html: str):
    return lxml.html.fromstring(html).xpath("//nav[@aria-label='主导航']")[0]


def test_each_menu_groups_pages_the_role_may_open_under_a_few_entries(app, client):
    seen = {}
    for username in ROLES:
        login(client, username)
        menu = _menu(client.get("/cases/").get_data(as_text=True))
        top = menu.xpath("./a | ./details")
        links = menu.xpath(".//a/@href")
        assert len(links) == len(set(links)), username
        assert len(top) <= 8, (username, len(top))
        for details in menu.xpath("./details"):  # each menu: a summary to open it and two pages or more
            assert details.xpath("./summary") and len(details.xpath(".//a")) >= 2
        for href in links:  # every page on the menu opens for the role
            assert client.get(href).status_code == 200, (username, href)
        seen[username] = (len(top), len(links))
    assert seen["auditor"][1] >= 10 and seen["auditor"][0] <= 6  # ~12 pages behind 6 entries
    assert seen["admin"][1] >= 10 and seen["admin"][0] <= 6
    assert seen["investigator-001"] == (4, 5)  # 待办任务 探访 台账▾(2) 近亲属备案


def test_the_menu_shows_where_you_are_and_keeps_the_counts_on_closed_menus():
    groups = {g.label: g for g in navigation.menu_for(
        "leader", {"tasks": 3, "awaiting_notice": 2, "escalated": 4}, "dashboard.index")}
    assert list(groups) == ["工作", "台账", "监督", "管理"]
    assert groups["工作"].inline and not groups["监督"].inline
    assert groups["监督"].total == 4 and groups["监督"].here and not groups["台账"].here
    assert [link.label for link in groups["工作"].links] == ["待办任务", "公示批次", "探访"]
    clerk = {g.label: g for g in navigation.menu_for("clerk", {"tasks": 1, "reviews_due": 0})}
    assert "公示批次" not in [link.label for g in clerk.values() for link in g.links]
    assert clerk["管理"].inline  # one page only (近亲属备案): a plain link, not a menu
    assert navigation.page_numbers(1, 1) == [1]
    assert navigation.page_numbers(6, 20) == [1, None, 4, 5, 6, 7, 8, None, 20]
    assert navigation.page_numbers(2, 4) == [1, 2, 3, 4]


def test_the_menu_marks_the_current_page_and_opens_with_the_keyboard(app, client, at_monday):
    with app.app_context():
        drive.start(db.factory(), services.get())
    login(client, "clerk-001")
    html = client.get("/tasks/").get_data(as_text=True)
    menu = _menu(html)
    assert menu.xpath("./a[@aria-current='page']/@href") == ["/tasks/"]
    assert re.search(r'待办任务 <span class="count">1</span>', html)
    login(client, "auditor")
    menu = _menu(client.get("/cases/").get_data(as_text=True))
    (here,) = menu.xpath("./details[contains(@class, 'here')]")
    assert here.xpath("string(./summary)").strip() == "台账"
    assert here.xpath(".//a[@aria-current='page']/@href") == ["/cases/"]
    script = (STATIC / "app.js").read_text(encoding="utf-8")
    assert "Escape" in script and "details.menu" in script  # Escape closes a menu, one menu open at a time


@pytest.mark.parametrize("username", ["clerk-001", "auditor"])
def test_every_page_links_the_print_stylesheet_and_a_printed_heading(app, client, username):
    login(client, username)
    doc = lxml.html.fromstring(client.get("/cases/").get_data(as_text=True))
    assert doc.xpath("//link[@media='print']/@href") == ["/static/print.css"]
    (heading,) = doc.xpath("//div[@class='print-head']")
    assert heading.get("hidden") is not None  # on paper only
    unit = "凤凰北街街道" if username == "clerk-001" else "兴庆区"
    assert heading.text_content().startswith(unit) and "打印时间" in heading.text_content()
    css = client.get("/static/print.css")
    text = css.get_data(as_text=True)
    css.close()
    assert css.status_code == 200 and "size: A4" in text
    hidden = re.search(r"\.topbar, nav\.tabs, nav\.pages, \.actions, form, button[^{]*\{ display: none", text)
    assert hidden, "the print stylesheet hides the navigation, tabs, pagers, forms and buttons"
    assert "thead { display: table-header-group; }" in text and "break-inside: avoid" in text


def test_the_case_prints_on_its_own_page_with_its_whole_history(app, client, at_monday):
    with app.app_context():
        case_no = drive.approved(db.factory(), services.get(), at_monday)
    login(client, "clerk-001")
    page = client.get(f"/cases/{case_no}").get_data(as_text=True)
    assert f'href="/cases/{case_no}/print"' in page
    resp = client.get(f"/cases/{case_no}/print")
    assert resp.status_code == 200
    doc = lxml.html.fromstring(resp.get_data(as_text=True))
    main = doc.xpath("//main")[0]
    text = main.text_content()
    assert not main.xpath(".//form | .//details | .//input | .//select | .//textarea")
    assert main.xpath(".//button[@data-print]")  # the 打印 button (shown by app.js; not printed)
    for heading in ("案件概况", "家庭情况", "文书", "办理经过"):
        assert heading in text, heading
    assert "张秀兰" in text and "李小明" in text and "凤凰北街街道" in text
    history = main.xpath("string(.//ol[@class='timeline'])")
    assert "批准通知书" in text and "提交的内容" not in history  # every step's submission shown, not folded
    steps = main.xpath(".//ol[@class='timeline']/li")
    assert len(steps) >= 8 and main.xpath(".//ol[@class='timeline']/li/dl[contains(@class,'facts')]")
    with app.app_context(), unit_of_work(db.factory()) as sess:
        targets = sess.scalars(select(AccessLog.target).where(AccessLog.action == "case_viewed",
                                                              AccessLog.username == "clerk-001")).all()
    assert "print" in targets  # printing is an access to personal data like any other
