"""Working through lists: the task queue and the case list a page at a time (filters kept, counts kept), and
bulk claim / give-back from the queue — confirmed first, each task on its own, one summary of what was done."""

from datetime import date, timedelta

import lxml.html
from sqlalchemy import func, insert, select

from tests import drive
from tests import factories as f
from tests.webapp.web import csrf, login
from webapp import db, services
from workflows import demo, engine, queries
from workflows.store import Case, CaseEvent, HumanTask, User, unit_of_work
from workflows.users import create_user


def _clone(app, case_no: str, copies: int) -> None:
    """``copies`` more cases like ``case_no``, each with a copy of its open task opened a second later than
    the one before (read-model rows only: the queue and the case list read nothing else)."""
    with app.app_context(), unit_of_work(db.factory()) as sess:
        case = sess.scalars(select(Case).where(Case.case_no == case_no)).one()
        task = sess.scalars(select(HumanTask).where(HumanTask.case_id == case.id)).one()
        case_row = {a.columns[0].name: getattr(case, a.key) for a in Case.__mapper__.column_attrs if a.key != "id"}
        task_row = {a.columns[0].name: getattr(task, a.key) for a in HumanTask.__mapper__.column_attrs}
        for n in range(copies):
            new_id = sess.execute(insert(Case).values(**{**case_row, "case_no": f"{case_no}-{n:03d}"})
                                  .returning(Case.id)).scalar_one()
            sess.execute(insert(HumanTask).values(**{
                **task_row, "id": f"00000000-0000-4000-8000-{n:012d}", "case_id": new_id,
                "created_at": task.created_at + timedelta(seconds=n + 1)}))


def _rows(html: str, table: str) -> int:
    """How many rows a table lists (not counting its "nothing here" row)."""
    return len(lxml.html.fromstring(html).xpath(
        f"//table[contains(@class, '{table}')]/tbody/tr[not(td[@class='empty'])]"))


def _pager(html: str) -> list[tuple[str, str]]:
    doc = lxml.html.fromstring(html)
    return [(a.text_content().strip(), a.get("href")) for a in doc.xpath("//nav[@class='pages']//a")]


def test_the_task_queue_pages_through_every_task_keeping_the_view_and_the_counts(app, client, at_monday):
    with app.app_context():
        first = drive.start(db.factory(), services.get())
    size = queries.PAGE_SIZE
    _clone(app, first, 2 * size + 4)  # 2 full pages and 5 tasks more
    login(client, "clerk-001")
    page1 = client.get("/tasks/?view=unclaimed").get_data(as_text=True)
    assert _rows(page1, "queue") == size
    assert f'未认领 <span class="count">{2 * size + 5}</span>' in page1  # the counts stay on the tabs
    assert f'待办任务 <span class="count">{2 * size + 5}</span>' in page1  # and on the navigation
    links = dict(_pager(page1))
    assert links["2"] == "/tasks/?view=unclaimed&page=2" and links["3"] == "/tasks/?view=unclaimed&page=3"
    assert links["下一页"] == links["2"] and "上一页" not in links and "共 3 页" in page1
    seen = []
    for n in (1, 2, 3):
        html = client.get(f"/tasks/?view=unclaimed&page={n}").get_data(as_text=True)
        doc = lxml.html.fromstring(html)
        seen += doc.xpath("//table[contains(@class,'queue')]//input[@name='task']/@value")
        assert doc.xpath("//nav[@class='pages']//*[@aria-current='page']")[0].text_content() == str(n)
    assert len(seen) == len(set(seen)) == 2 * size + 5  # every task once, none twice
    last = client.get("/tasks/?view=unclaimed&page=3").get_data(as_text=True)
    assert dict(_pager(last))["上一页"] == "/tasks/?view=unclaimed&page=2" and "下一页" not in dict(_pager(last))
    beyond = client.get("/tasks/?view=unclaimed&page=999").get_data(as_text=True)
    assert _rows(beyond, "queue") == 5  # past the end: the last page
    mine = client.get("/tasks/?view=mine").get_data(as_text=True)
    assert _pager(mine) == [] and "没有待办任务" in mine


def test_the_case_list_pages_keeping_its_search(app, client, at_monday):
    with app.app_context():
        first = drive.start(db.factory(), services.get())
    _clone(app, first, queries.PAGE_SIZE + 2)
    login(client, "clerk-001")
    page1 = client.get("/cases/?status=ACCEPTING&q=张秀兰").get_data(as_text=True)
    assert _rows(page1, "cases") == queries.PAGE_SIZE
    nxt = dict(_pager(page1))["下一页"]
    assert "status=ACCEPTING" in nxt and "page=2" in nxt and "q=" in nxt
    page2 = client.get(nxt).get_data(as_text=True)
    assert _rows(page2, "cases") == 3 and "下一页" not in dict(_pager(page2))
    assert "page=1" in dict(_pager(page2))["上一页"]
    assert _pager(client.get("/cases/?q=没有这个人").get_data(as_text=True)) == []


# --- bulk claim / give back -----------------------------------------------------------------------------


def _household(seq: int, township: str = "640104001") -> dict:
    return f.registration(members=[f.member("王" + "一二三四"[seq - 1], date(1970, 1, seq), "self", "0", seq=40 + seq)],
                          responsible_township=township)


def _tasks(app) -> dict[str, HumanTask]:
    with app.app_context(), unit_of_work(db.factory()) as sess:
        rows = sess.execute(select(Case.case_no, HumanTask).join(HumanTask, HumanTask.case_id == Case.id)).all()
        return dict(rows)


def _claims(app, case_no: str) -> int:
    with app.app_context(), unit_of_work(db.factory()) as sess:
        return sess.scalar(select(func.count()).select_from(CaseEvent).join(Case, Case.id == CaseEvent.case_id)
                           .where(Case.case_no == case_no, CaseEvent.kind.in_(("task_claimed", "task_unclaimed"))))


def _claimer(app, case_no: str) -> str | None:
    with app.app_context(), unit_of_work(db.factory()) as sess:
        return sess.scalar(select(User.username).join(HumanTask, HumanTask.claimed_by_id == User.id)
                           .join(Case, Case.id == HumanTask.case_id).where(Case.case_no == case_no))


def _flash(client) -> str:
    doc = lxml.html.fromstring(client.get("/tasks/").get_data(as_text=True))
    return " ".join(el.text_content() for el in doc.xpath("//div[contains(@class,'flash')]"))


def test_bulk_claim_asks_first_then_claims_each_task_and_says_why_any_was_not(app, client, at_monday):
    with app.app_context():
        factory, svc = db.factory(), services.get()
        ours = [drive.start(factory, svc, _household(n)) for n in (1, 2, 3)]
        theirs = drive.start(factory, svc, _household(4, "640104002"), clerk="clerk-002")
        with unit_of_work(factory) as sess:  # a colleague has claimed the third
            colleague = create_user(sess, "clerk-001b", demo.DEMO_PASSWORD, "clerk", "640104001")
            engine.claim_task(sess, colleague, _tasks(app)[ours[2]].id)
    tasks = _tasks(app)
    picked = [tasks[no].id for no in (*ours, theirs)]
    login(client, "clerk-001")
    queue = client.get("/tasks/").get_data(as_text=True)
    assert {*lxml.html.fromstring(queue).xpath("//input[@form='bulk'][@name='task']/@value")} == {
        tasks[no].id for no in ours}
    form = {"csrf_token": csrf(client, "/tasks/"), "action": "claim", "task": picked, "view": "all", "page": "1"}

    confirm = client.post("/tasks/bulk", data=form)
    html = confirm.get_data(as_text=True)
    assert confirm.status_code == 200 and "请确认：由您认领以下 3 件任务" in html and "确认认领 3 件" in html
    assert all(no in html for no in ours) and theirs not in html  # another township's case is never named
    assert "另有 1 件任务已办结或不存在" in html
    assert [_claimer(app, no) for no in ours] == [None, None, "clerk-001b"]  # nothing done before confirming

    done = client.post("/tasks/bulk", data={**form, "confirm": "1"})
    assert done.status_code == 302 and done.headers["Location"].endswith("/tasks/?view=all")
    said = _flash(client)
    assert said.startswith("已认领 2 件；2 件未能认领：") and f"该任务已由其他工作人员认领（{ours[2]}）" in said
    assert "该任务不存在（1 件）" in said and theirs not in said
    assert [_claimer(app, no) for no in (*ours, theirs)] == ["clerk-001", "clerk-001", "clerk-001b", None]
    assert [_claims(app, no) for no in ours] == [1, 1, 1]

    again = client.post("/tasks/bulk", data={**form, "confirm": "1"})  # a double submit changes nothing
    assert again.status_code == 302 and "已认领 0 件（2 件原已由您认领）" in _flash(client)
    assert [_claims(app, no) for no in ours] == [1, 1, 1]

    back = {**form, "action": "unclaim", "confirm": "1", "task": picked[:3]}
    assert client.post("/tasks/bulk", data=back).status_code == 302
    said = _flash(client)
    assert said.startswith("已退回 2 件；1 件未能退回：") and ours[2] in said
    assert [_claimer(app, no) for no in ours] == [None, None, "clerk-001b"]


def test_a_bulk_action_needs_a_ticked_task_a_known_action_and_its_csrf_token(app, client, at_monday):
    with app.app_context():
        case_no = drive.start(db.factory(), services.get())
    task_id = _tasks(app)[case_no].id
    login(client, "clerk-001")
    token = csrf(client, "/tasks/")
    assert client.post("/tasks/bulk", data={"action": "claim", "task": [task_id]}).status_code == 400  # no token
    nothing = client.post("/tasks/bulk", data={"csrf_token": token, "action": "claim", "view": "overdue", "page": "2"})
    assert nothing.status_code == 302 and nothing.headers["Location"].endswith("/tasks/?view=overdue&page=2")
    assert "请先勾选要处理的任务" in _flash(client)
    odd = client.post("/tasks/bulk", data={"csrf_token": token, "action": "complete", "task": [task_id]})
    assert odd.status_code == 302 and "未知的批量操作" in _flash(client)
    confirmed = {"csrf_token": token, "action": "complete", "task": [task_id], "confirm": "1"}
    odd = client.post("/tasks/bulk", data=confirmed)
    assert odd.status_code == 302 and "未知的批量操作" in _flash(client) and _claimer(app, case_no) is None
    many = [f"id-{n}" for n in range(queries.PAGE_SIZE + 1)]
    assert client.post("/tasks/bulk", data={"csrf_token": token, "action": "claim", "task": many}).status_code == 302
    assert f"一次最多处理 {queries.PAGE_SIZE} 件任务" in _flash(client)
    login(client, "investigator-001")  # another role's task: not theirs to claim
    token = csrf(client, "/tasks/")
    form = {"csrf_token": token, "action": "claim", "task": [task_id], "confirm": "1"}
    assert client.post("/tasks/bulk", data=form).status_code == 302
    assert "该环节不属于您的岗位职责" in _flash(client) and _claimer(app, case_no) is None


def test_a_notice_batch_is_only_ever_the_publishers_own_township(app, client, at_monday):
    with app.app_context():
        waiting = drive.to_notice(db.factory(), services.get())
    login(client, "reviewer-001")
    listed = lxml.html.fromstring(client.get("/notices/").get_data(as_text=True)).xpath(
        "//input[@name='expected']/@value")[0]
    assert listed == waiting
    login(client, "reviewer-002")  # posting 640104001's list from another township publishes nothing there
    form = {"csrf_token": csrf(client, "/notices/"), "expected": listed, "confirm": "on"}
    assert client.post("/notices/publish", data=form, headers={"Referer": "/notices/"}).status_code == 302
    assert "目前没有待公示的案件" in client.get("/notices/").get_data(as_text=True)
    with app.app_context():
        assert drive.case_row(db.factory(), waiting).status == "AWAITING_NOTICE"
