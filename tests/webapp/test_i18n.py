"""The interface in two languages: Simplified Chinese first, English complete (?lang=en).

The catalogue (webapp/translations, see README "Translations") must hold every text the sources mark,
each translated and none fuzzy, and the compiled .mo must be that .po. Every role's pages, crawled in
English, may show Chinese only in data: names, addresses, township names, what people typed and what
outside systems answered — every string stored in the database is data, except the step titles of the
task read model (human_task.title), which are BPMN names the pages translate.
"""

import json
import re
from collections import Counter
from datetime import date
from pathlib import Path
from urllib.parse import urlsplit

import lxml.html
import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po
from sqlalchemy import String, Text, select

from tests import drive
from tests import factories as f
from tests.webapp.web import login
from webapp import db, labels, services
from workflows.store import Base

ROOT = Path(__file__).resolve().parents[2]
CATALOG = ROOT / "webapp" / "translations"
PO = CATALOG / "en" / "LC_MESSAGES" / "messages.po"
MO = PO.with_suffix(".mo")
# CJK ideographs, CJK punctuation (、。「」) and full-width forms (，：（）).
CJK = re.compile(r"[\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff\uff00-\uffef]")
ROLES = ("clerk-001", "investigator-001", "investigator2-001", "reviewer-001", "leader-001", "auditor", "admin")
# Not crawled: downloads (PDF, Excel, zip), the replay check (re-renders every document), the diagram
# (its page is checked through the case page's link text), the API, logging out.
SKIP = re.compile(r"/(logout|static|api|verify|diagram|dossier|documents?|download|report|workbook|attachments)(/|$)|"
                  r"\.(pdf|xlsx|zip)$")
PER_PATTERN = 2  # pages crawled per URL shape (/cases/N, /tasks/<id>, …)
MAX_PAGES = 60


def _catalog():
    with PO.open("rb") as fh:
        return read_po(fh)


def test_the_catalogue_translates_every_entry_and_none_is_fuzzy():
    catalog = _catalog()
    entries = [m for m in catalog if m.id]
    assert len(entries) > 500
    untranslated = [m.id for m in entries if not m.string]
    fuzzy = [m.id for m in entries if m.fuzzy]
    assert not untranslated, f"untranslated in {PO.name}: {untranslated[:20]}"
    assert not fuzzy, f"fuzzy in {PO.name}: {fuzzy[:20]}"
    assert not catalog.fuzzy, "the catalogue header is marked fuzzy"
    assert not list(catalog.obsolete), "obsolete entries: run `make translations` (it drops them)"


def test_no_translation_keeps_chinese_or_loses_a_placeholder():
    catalog = _catalog()
    problems = [(m.id, [str(e) for e in errors]) for m, errors in catalog.check()]
    assert not problems, problems[:10]
    chinese = [(m.id, m.string) for m in catalog if m.id and CJK.search(m.string)]
    assert not chinese, chinese[:10]


def _extracted() -> set:
    """(context, msgid) of every text the sources mark, extracted as `make translations` does (babel.cfg)."""
    with (ROOT / "babel.cfg").open(encoding="utf-8") as fh:
        method_map, options_map = parse_mapping_cfg(fh)

    def only_sources(path: str) -> bool:  # as pybabel: no hidden folders; and no installed or generated files
        name = Path(path).name
        return not name.startswith((".", "_")) and name not in ("node_modules", "instance", "test-artifacts")

    found = set()
    for _file, _line, message, _comments, context in extract_from_dir(
            str(ROOT), method_map, options_map, directory_filter=only_sources):
        found.add((context, message if isinstance(message, str) else message[0]))
    return found


def test_the_catalogue_holds_every_text_the_sources_mark():
    """A new _('…'), N_('…') or BPMN step name fails here until `make translations` merged and it was translated."""
    have = {(m.context, m.id) for m in _catalog() if m.id}
    extracted = _extracted()
    assert len(extracted) > 500
    missing = sorted(extracted - have, key=str)
    assert not missing, f"not in {PO.name} (run `make translations`, then translate): {missing[:20]}"


def test_every_label_shown_on_the_pages_is_in_the_catalogue():
    """The *_LABELS dictionaries the templates see are translated when shown: each Chinese label is a msgid."""
    have = {m.id for m in _catalog() if m.id and not m.context}
    shown = {name: value for name, value in vars(labels).items()
             if isinstance(value, dict) and value and all(isinstance(v, str) for v in value.values())}
    assert {"STATUS", "EVENTS", "ROLES", "ACCESS", "DOCUMENTS"} <= shown.keys()
    missing = {(name, v) for name, d in shown.items() for v in d.values() if CJK.search(v) and v not in have}
    assert not missing, f"mark these with N_ and run `make translations`: {sorted(missing)[:20]}"


def test_the_compiled_catalogue_is_the_current_po():
    assert MO.is_file(), f"{MO.relative_to(ROOT)} is missing: `make setup` compiles it"
    with MO.open("rb") as fh:
        compiled = {(m.context, m.id): m.string for m in read_mo(fh) if m.id}
    source = {(m.context, m.id): m.string for m in _catalog() if m.id}
    assert compiled == source, "messages.mo is older than messages.po: `make setup` compiles it again"


# --- the pages ---------------------------------------------------------------------------------------------


def _world(app, monday) -> dict:
    """Cases at several stages in 640104001: one approved (on the register, with its notices and history),
    one waiting for the 公示 batch, one at the window's acceptance."""
    with app.app_context():
        factory, svc = db.factory(), services.get()
        approved = drive.approved(factory, svc, monday)
        waiting = drive.to_notice(factory, svc, f.registration(members=[
            f.member("王芳", date(1975, 4, 2), "self", "200", seq=4),
            f.member("赵磊", date(2010, 6, 1), "child", "0", seq=5)]))
        alone = f.registration(members=[f.member("孙梅", date(1966, 1, 20), "self", "0", seq=6)])
        window = drive.start(factory, svc, alone)
    return {"approved": approved, "waiting": waiting, "window": window}


def _strings(value, found: set) -> None:
    """Every string inside a JSON value (a text that is not JSON counts as itself)."""
    if isinstance(value, str):
        try:
            parsed = json.loads(value) if value[:1] in "[{" else None
        except ValueError:
            parsed = None
        if parsed is None:
            found.add(value)
        else:
            _strings(parsed, found)
    elif isinstance(value, dict):
        for item in value.values():
            _strings(item, found)
    elif isinstance(value, list):
        for item in value:
            _strings(item, found)


def _data_texts(app) -> list[str]:
    """Every Chinese string stored in the database (the data the pages show), longest first."""
    found: set[str] = set()
    with app.app_context(), db.engine().connect() as conn:
        for table in Base.metadata.sorted_tables:
            columns = [c for c in table.columns if isinstance(c.type, String | Text)
                       and (table.name, c.name) != ("human_task", "title")]
            if columns:
                for row in conn.execute(select(*columns)):
                    for value in row:
                        _strings(value, found)
    return sorted((s.strip() for s in found if s and CJK.search(s)), key=len, reverse=True)


def _chrome(html: str, data: list[str]) -> str:
    """The page's visible text and labelling attributes, without the data strings and the language switch."""
    doc = lxml.html.fromstring(html)
    for node in doc.xpath("//script | //style | //a[contains(@class, 'lang')]"):
        node.drop_tree()
    text = "\n".join([*doc.itertext(), *doc.xpath("//@title | //@aria-label | //@placeholder | //@alt")])
    for value in data:
        text = text.replace(value, " ")
    return text


def _links(html: str) -> list[str]:
    found = []
    for href in lxml.html.fromstring(html).xpath("//a/@href"):
        url = urlsplit(href)
        if not url.netloc and url.path.startswith("/") and not SKIP.search(url.path):
            found.append(url.path + (f"?{url.query}" if url.query and "lang=" not in url.query else ""))
    return found


def _crawl(client, start: list[str]):
    """The pages reachable from ``start`` (GET only), a few of each URL shape: yields (path, html)."""
    seen, todo, shapes = set(), list(start), Counter()
    while todo and len(seen) < MAX_PAGES:
        path = todo.pop(0)
        if path in seen:
            continue
        seen.add(path)
        response = client.get(path, follow_redirects=True)
        if response.status_code != 200 or response.mimetype != "text/html":
            continue
        html = response.get_data(as_text=True)
        yield path, html
        for link in _links(html):
            shape = re.sub(r"[0-9a-f]{8}-[0-9a-f-]{27}|\d+", "N", urlsplit(link).path)
            if link not in seen and shapes[shape] < PER_PATTERN:
                shapes[shape] += 1
                todo.append(link)


@pytest.mark.slow
def test_every_role_sees_its_pages_in_english_with_chinese_only_in_the_data(app, client, at_monday):
    world = _world(app, at_monday)
    data = _data_texts(app)
    assert "张秀兰" in data and "王芳" in data  # the demo households are data
    leftovers, visited = {}, Counter()
    for username in ROLES:
        login(client, username)
        start = ["/?lang=en", f"/cases/{world['approved']}", f"/cases/{world['waiting']}", "/window/new",
                 "/window/temp-assistance"]
        for path, html in _crawl(client, start):
            visited[username] += 1
            assert '<html lang="en">' in html, path
            chrome = _chrome(html, data)
            match = CJK.search(chrome)
            if match:
                leftovers[f"{username} {path}"] = chrome[max(0, match.start() - 40):match.end() + 40].replace("\n", " ")
    assert all(visited[u] >= 5 for u in ROLES), visited
    assert not leftovers, "Chinese left in the English page chrome:\n" + "\n".join(
        f"{page}: …{line}…" for page, line in sorted(leftovers.items()))


@pytest.mark.slow
def test_english_labels_and_amounts_and_the_chinese_default_unchanged(app, client, at_monday):
    world = _world(app, at_monday)
    login(client, "leader-001")
    html = client.get(f"/cases/{world['approved']}").get_data(as_text=True)  # Chinese unless asked
    assert '<html lang="zh-CN">' in html
    for text in ("待办任务", "案件查询", "在保家庭", "已批准", "¥1,022.00", "家庭情况", "办理经过", "English"):
        assert text in html, text
    html = client.get("/notices/").get_data(as_text=True)
    assert "待公示案件（1）" in html and "合计 1 户" in html and world["waiting"] in html
    assert "待办任务 · 审核确认" in client.get("/tasks/").get_data(as_text=True)

    html = client.get(f"/cases/{world['approved']}?lang=en").get_data(as_text=True)
    for text in ("Approved", "Monthly benefit", "CNY 1,022.00", "Household", "History", "中文"):
        assert text in html, text
    assert "¥" not in html
    html = client.get("/notices/").get_data(as_text=True)  # the choice stays in the session
    assert "Cases awaiting public notice (1)" in html and "Households in total: 1" in html
    assert "Tasks · Approval" in client.get("/tasks/").get_data(as_text=True)

    html = client.get("/?lang=zh", follow_redirects=True).get_data(as_text=True)
    assert "待办任务" in html and "Tasks" not in html


def test_the_language_chosen_survives_logging_in_and_out(client):
    assert "Staff login" in client.get("/login?lang=en").get_data(as_text=True)
    assert login(client, "clerk-001").status_code == 302
    html = client.get("/", follow_redirects=True).get_data(as_text=True)
    assert "Window intake" in html and "窗口受理" not in html
    client.post("/logout", data={"csrf_token": re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)})
    assert "Staff login" in client.get("/login").get_data(as_text=True)
    assert "工作人员登录" in client.get("/login?lang=zh").get_data(as_text=True)
