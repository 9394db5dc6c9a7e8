"""The main pages of every role on the screens they are used on — 1280×800, and a tablet for the home visits
(768×1024 portrait and 1024×768 landscape, touch) — and their accessibility (issue 9):

- the page never scrolls sideways (a wide table scrolls inside its own box), the whole navigation can be
  reached (a link in a menu once the menu is opened), and on a touch screen every control is big enough
  to hit with a finger;
- every field has a label (an explicit <label>, aria-label or aria-labelledby), and axe-core's WCAG 2.1
  A/AA rules (contrast, labels, names of buttons and links…) find nothing, also on a form sent back with
  its errors;
- the keyboard reaches each role's main action from the top of the page (past the navigation by the skip
  link), and whatever has the focus shows a ring that stands out from what is behind it.

One server with the demo data (`seed-demo`) serves the whole module; the tests only look (a refused form
changes nothing), so they share it.
"""

import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.e2e.conftest import ROOT, LiveServer, open_page
from tests.e2e.test_browser_journey import login

pytestmark = pytest.mark.browser

AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"  # package.json devDependencies (npm ci in `make`)
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
TASK, CASE = "<first task of the queue>", "<first case of the list>"
TASK_PATH = r"^/tasks/[0-9a-f-]{36}$"
ROLE_PAGES = {
    "clerk-001": ("/tasks/", TASK, CASE, "/window/", "/window/new", "/window/temp-assistance", "/benefits/due",
                  "/visits/"),
    "investigator-001": ("/tasks/", TASK, CASE, "/visits/", "/visits/targets"),
    "reviewer-001": ("/tasks/", TASK, CASE, "/notices/", "/dashboard/", "/rosters/", "/reserve/", "/visits/"),
    "leader-001": ("/tasks/", TASK, CASE, "/tasks/escalated", "/dashboard/", "/benefits/", "/reserve/"),
    "auditor": ("/tasks/", "/cases/", CASE, "/spot-checks/", "/dashboard/", "/visits/", "/jobs/"),
    "admin": ("/cases/", CASE, "/processes/", "/dashboard/"),
}
# Each role's main action: the page, and the button the keyboard must reach.
MAIN_ACTION = {
    "clerk-001": ("/window/new", "登记并提交"), "investigator-001": (TASK, "提交"), "reviewer-001": (TASK, "提交"),
    "leader-001": (TASK, "提交"), "auditor": ("/spot-checks/", "抽取"), "admin": ("/processes/", "载入"),
}
DESKTOP = "desktop-1280x800"
TABLETS = ("tablet-768x1024", "tablet-1024x768")
SCREENS = {
    DESKTOP: {"viewport": {"width": 1280, "height": 800}},
    TABLETS[0]: {"viewport": {"width": 768, "height": 1024}, "has_touch": True},
    TABLETS[1]: {"viewport": {"width": 1024, "height": 768}, "has_touch": True},
}
TOUCH_MIN_PX = 44  # a control's height on a touch screen (WCAG 2.5.5)
TICK_MIN_PX = 24  # a checkbox or radio button (WCAG 2.5.8), its label beside it
FOCUS_CONTRAST = 3.0  # the focus ring against what is behind it (WCAG 1.4.11)
MAX_TABS = 150  # the registration form has many fields; the keyboard must get through them all

JS = (Path(__file__).with_name("screens.js")).read_text(encoding="utf-8")


@dataclass
class Session:
    """A role signed in: the browser state to start contexts with, and its pages (tasks and cases found)."""

    state: dict
    pages: list[str]


@pytest.fixture(scope="module")
def sessions(browser: Browser, demo_server: LiveServer) -> Callable[[str], Session]:
    """A role signed in, with the paths of its pages: once per role for the module (when first needed)."""
    made: dict[str, Session] = {}

    def signed_in(role: str) -> Session:
        if role not in made:
            page = open_page(browser, demo_server)
            login(page, role)
            made[role] = Session(page.context.storage_state(), [resolve(page, path) for path in ROLE_PAGES[role]])
            page.context.close()
        return made[role]

    return signed_in


def resolve(page: Page, path: str) -> str:
    """A page's path; the first task of the role's queue, or the first case it may open, for TASK and CASE."""
    if path not in (TASK, CASE):
        return path
    page.goto("/tasks/" if path == TASK else "/cases/")
    pattern = TASK_PATH if path == TASK else r"^/cases/[^/?]+$"
    hrefs = page.locator("main table a").evaluate_all("links => links.map(a => a.getAttribute('href'))")
    found = [h for h in hrefs if re.match(pattern, h)]
    assert found, f"no {path} for this role on {page.url}"
    return found[0]


def screen(browser: Browser, server: LiveServer, session: Session, name: str, **options) -> Page:
    return open_page(browser, server, storage_state=session.state, **{**SCREENS[name], **options})


def visit(page: Page, path: str) -> None:
    response = page.goto(path)
    assert response.ok, f"{path}: {response.status}"
    page.evaluate(JS)  # window.screens: the checks below


def layout_problems(page: Page, path: str, touch: bool) -> dict[str, list[str]]:
    found = page.evaluate("args => screens.layout(args)", [touch, TOUCH_MIN_PX, TICK_MIN_PX])
    return {f"{path}: layout": found} if found else {}


def navigation_problems(page: Page, touch: bool) -> dict[str, list[str]]:
    """Each link of the navigation, with the menu it is in opened: on the screen and not covered by anything,
    its name on one line, on a touch screen high enough for a finger."""
    nav = page.get_by_role("navigation", name="主导航")
    assert nav.locator("a").count() > 0
    problems = page.evaluate("args => screens.navigation(args)", [touch, TOUCH_MIN_PX])
    menus = nav.locator("details")
    for i in range(menus.count()):
        menus.nth(i).locator("summary").click()
        expect(menus.nth(i).locator("a").first).to_be_visible()
        problems += page.evaluate("args => screens.navigation(args)", [touch, TOUCH_MIN_PX])
        page.keyboard.press("Escape")
    return {"navigation": sorted(set(problems))} if problems else {}


@pytest.mark.parametrize("name", TABLETS)
@pytest.mark.parametrize("role", ROLE_PAGES)
def test_on_a_tablet_the_pages_fit_and_the_navigation_is_reachable(browser, demo_server, sessions, role, name, shot):
    session = sessions(role)
    page = screen(browser, demo_server, session, name)
    problems = {}
    try:
        for path in session.pages:
            visit(page, path)
            problems.update(layout_problems(page, path, touch=True))
            if role == "investigator-001" and re.match(TASK_PATH, path):
                shot(page, f"screen-{name}-home-visit")  # what an investigator sees on a tablet
        problems.update(navigation_problems(page, touch=True))
    finally:
        page.context.close()
    assert problems == {}


@pytest.mark.parametrize("role", ROLE_PAGES)
def test_at_1280x800_the_pages_fit_every_field_is_labelled_and_axe_finds_nothing(browser, demo_server, sessions,
                                                                                 role):
    session = sessions(role)
    page = screen(browser, demo_server, session, DESKTOP, bypass_csp=True)  # bypass: to add axe's script
    found = {}
    try:
        for path in session.pages:
            visit(page, path)
            found.update(layout_problems(page, path, touch=False))
            found.update(accessibility_problems(page, path))
        found.update(navigation_problems(page, touch=False))
        for path in session.pages:  # a form sent back with its errors (nothing is saved)
            if path == "/window/new" or re.match(TASK_PATH, path):
                visit(page, path)
                send_empty(page)
                found.update(accessibility_problems(page, f"{path} (errors)"))
    finally:
        page.context.close()
    assert found == {}


def accessibility_problems(page: Page, path: str) -> dict[str, list]:
    """Unlabelled fields (our own check) and axe-core's WCAG 2.1 A/AA violations on the page shown."""
    problems = {}
    unlabelled = page.evaluate("screens.unlabelled()")
    if unlabelled:
        problems[f"{path}: fields without a label"] = unlabelled
    if not AXE.exists():
        pytest.fail(f"{AXE.relative_to(ROOT)} is missing: `make` installs it (npm ci, package.json)")
    page.add_script_tag(path=AXE)
    violations = page.evaluate("tags => screens.axe(tags)", AXE_TAGS)
    for rule in violations:
        problems[f"{path}: axe {rule['id']} ({rule['impact']})"] = rule["nodes"]
    return problems


def send_empty(page: Page) -> None:
    """Submit the page's main form as it is (the browser's own checks off): the server sends it back."""
    form = page.locator("main form:has(button.primary)").last
    form.evaluate("f => { f.noValidate = true; }")
    with page.expect_navigation():
        form.locator("button.primary").click()
    expect(page.locator("main .error").first).to_be_visible()
    page.evaluate(JS)


@pytest.mark.parametrize("role", ROLE_PAGES)
def test_the_keyboard_reaches_the_main_action_with_a_visible_focus(browser, demo_server, sessions, role):
    session = sessions(role)
    where, button = MAIN_ACTION[role]
    path = next(p for p in session.pages if re.match(TASK_PATH, p)) if where == TASK else where
    page = screen(browser, demo_server, session, DESKTOP)
    try:
        visit(page, path)
        page.keyboard.press("Tab")  # the first stop: the skip link, shown once it has the focus
        skip = page.get_by_role("link", name="跳到正文")
        expect(skip).to_be_focused()
        expect(skip).to_be_in_viewport()
        page.keyboard.press("Enter")
        weak = []
        for _ in range(MAX_TABS):
            page.keyboard.press("Tab")
            focus = page.evaluate("min => screens.focusRing(min)", FOCUS_CONTRAST)
            assert focus["inMain"], f"Tab left the page's content: {focus}"
            if focus["problem"]:
                weak.append(focus)
            if focus["text"] == button and focus["tag"] == "BUTTON":
                break
        else:
            pytest.fail(f"{MAX_TABS} × Tab from the content of {path} never reached 「{button}」")
        ring = weak_rings_in_the_bar(page)
    finally:
        page.context.close()
    assert weak == [] and ring == []


def weak_rings_in_the_bar(page: Page) -> list[dict]:
    """The focus ring of each link and button of the top bar (the brand colour behind it)."""
    visit(page, "/")
    weak = []
    for _ in range(MAX_TABS):
        page.keyboard.press("Tab")
        focus = page.evaluate("min => screens.focusRing(min)", FOCUS_CONTRAST)
        if focus["inMain"] or focus["tag"] == "BODY":
            break
        if focus["problem"]:
            weak.append(focus)
    return weak


SPOILT = """() => {
    document.querySelector('main').insertAdjacentHTML('beforeend',
        '<div style="width: 2000px">太宽</div><input id="spoilt-field">' +
        '<button id="spoilt-button" style="min-height: 0; height: 20px; outline: none">小</button>' +
        '<p style="color: #bbb; background: #fff">浅色文字</p>');
    document.querySelector('header nav a').style.marginLeft = '3000px';
    document.querySelector('header .brand').style.outlineColor = '#1c5fd4';
}"""


def test_the_checks_see_what_they_look_for(browser, demo_server, sessions):
    """No check above is a formality: on a page spoilt on purpose, each reports its fault."""
    page = screen(browser, demo_server, sessions("clerk-001"), TABLETS[0], bypass_csp=True)
    try:
        visit(page, "/window/")
        page.evaluate(SPOILT)
        layout = " ".join(page.evaluate("args => screens.layout(args)", [True, TOUCH_MIN_PX, TICK_MIN_PX]))
        assert "the page scrolls sideways" in layout and "button#spoilt-button" in layout
        assert any("off the screen" in p for p in page.evaluate("args => screens.navigation(args)", [True, 44]))
        assert page.evaluate("screens.unlabelled()") == ["input#spoilt-field"]
        page.add_script_tag(path=AXE)
        assert {"color-contrast", "label"} <= {v["id"] for v in page.evaluate("t => screens.axe(t)", AXE_TAGS)}
        page.keyboard.press("Tab")
        page.keyboard.press("Tab")  # past the skip link: the brand, its ring blue on the bar's red
        assert page.evaluate("min => screens.focusRing(min)", FOCUS_CONTRAST)["problem"].startswith("focus ring")
        page.locator("#spoilt-button").focus()
        assert page.evaluate("min => screens.focusRing(min)", FOCUS_CONTRAST)["problem"].startswith("no focus ring")
    finally:
        page.context.close()
