"""统计看板 in a real browser: Chart.js (vendored) draws every chart under the app's Content-Security-Policy
(scripts from 'self' only, no inline styles), from the page's JSON block, with no error in the console."""

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.test_browser_journey import login, nav

pytestmark = pytest.mark.browser

DISTRICT_CHARTS = ["chart-stages", "chart-townships", "chart-days", "chart-monthly", "chart-register", "chart-visits"]
TOWNSHIP_CHARTS = ["chart-stages", "chart-monthly", "chart-register"]


def drawn(page: Page) -> dict[str, bool]:
    """Each canvas of the page, and whether a Chart.js chart with a non-empty drawing area is on it
    (once the page has loaded: its scripts have run)."""
    page.wait_for_load_state("load")
    return page.evaluate("""() => Object.fromEntries(Array.from(document.querySelectorAll('canvas')).map(c => {
        const chart = window.Chart && window.Chart.getChart(c);
        return [c.id, !!chart && chart.chartArea.width > 0 && chart.chartArea.height > 0];
    }))""")


def test_the_charts_are_drawn_under_the_csp(page: Page, shot):
    problems: list[str] = []
    page.on("console", lambda msg: problems.append(f"{msg.text} {msg.location.get('url')}")
            if msg.type in ("error", "warning") else None)
    page.on("pageerror", lambda err: problems.append(str(err)))
    page.on("response", lambda resp: problems.append(f"{resp.status} {resp.url}") if resp.status >= 400 else None)
    login(page, "auditor")
    nav(page, "统计看板")
    expect(page.get_by_role("heading", name="在办案件所处环节")).to_be_visible()
    assert drawn(page) == dict.fromkeys(DISTRICT_CHARTS, True)
    expect(page.locator("table.townships tbody tr")).to_have_count(16)  # 15 townships and the total
    shot(page, "dashboard-district")
    page.get_by_label("统计周期").select_option("week")
    page.get_by_role("button", name="查看").click()
    expect(page.get_by_role("link", name="周督导通报（PDF）")).to_be_visible()
    assert drawn(page) == dict.fromkeys(DISTRICT_CHARTS, True)
    page.get_by_role("button", name="退出").click()
    login(page, "reviewer-001")
    nav(page, "统计看板")
    expect(page.locator("h1")).to_contain_text("凤凰北街街道")
    assert drawn(page) == dict.fromkeys(TOWNSHIP_CHARTS, True)
    shot(page, "dashboard-township")
    assert [p for p in problems if not p.endswith("/favicon.ico")] == []  # a CSP refusal would be listed here
