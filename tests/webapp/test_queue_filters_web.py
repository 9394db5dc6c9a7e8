"""The task queue narrowed and ordered: the 本周到期 view, the township (county roles only), step and search
filters, sorting by the column headers, filters kept by every link and redirect of the page, due days marked by
urgency in words as well as colour, and forged parameters that change nothing they should not."""

import uuid
from datetime import UTC, date, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import lxml.html
from sqlalchemy import delete, insert, select

from tests import drive
from tests.webapp.web import csrf, login
from webapp import db, services
from workflows import queries
from workflows.store import Case, HumanTask, User, unit_of_work

MON = date(2026, 11, 30)  # at_monday's day: its ISO week ends on Sunday 6 December
T0 = datetime(2026, 11, 20, 1, 0, tzinfo=UTC)  # tasks arrive a minute apart from here, in the order listed


def _world(app, tasks: list[dict], keep_own: bool = False) -> str:
    """Cases like one registered at clerk-001's window, each with one open task as ``tasks`` describe it
    (case_no, applicant, and HumanTask columns: task_spec, title, role, township_code, due_on, claimed_by);
    the registered case's own task is dropped unless ``keep_own``. Read-model rows only: the queue reads
    nothing else. Returns the registered case's number."""
    with app.app_context():
        first = drive.start(db.factory(), services.get())
    with app.app_context(), unit_of_work(db.factory()) as sess:
        case = sess.scalars(select(Case).where(Case.case_no == first)).one()
        task = sess.scalars(select(HumanTask).where(HumanTask.case_id == case.id)).one()
        case_row = {a.columns[0].name: getattr(case, a.key) for a in Case.__mapper__.column_attrs if a.key != "id"}
        task_row = {a.columns[0].name: getattr(task, a.key) for a in HumanTask.__mapper__.column_attrs}
        users = dict(sess.execute(select(User.username, User.id)).all())
        for n, given in enumerate(tasks):
            spec = dict(given)
            township = spec.get("township_code", "640104001")
            new_id = sess.execute(insert(Case).values(**{
                **case_row, "case_no": spec.pop("case_no"), "applicant_name": spec.pop("applicant", "张三"),
                "township_code": township}).returning(Case.id)).scalar_one()
            claimer = spec.pop("claimed_by", None)
            sess.execute(insert(HumanTask).values(**{
                **task_row, "task_spec": "accept", "title": "受理（材料审查）", "role": "clerk", **spec,
                "id": str(uuid.UUID(int=n + 1)), "case_id": new_id, "township_code": township,
                "claimed_by_id": users[claimer] if claimer else None, "claimed_at": None,
                "created_at": T0 + timedelta(minutes=n)}))
        if not keep_own:
            sess.execute(delete(HumanTask).where(HumanTask.case_id == case.id))
    return first


def _doc(client, path: str):
    response = client.get(path)
    assert response.status_code == 200, (path, response.status_code)
    return lxml.html.fromstring(response.get_data(as_text=True))


def _cases(doc) -> list[str]:
    """The case numbers of the queue's rows, in order."""
    return [a.text_content() for a in doc.xpath("//table[contains(@class,'queue')]/tbody/tr/td[4]/a")]


def _counts(doc) -> dict[str, int]:
    tabs = doc.xpath("//nav[@class='tabs']/a")
    return {parse_qs(urlsplit(a.get("href")).query)["view"][0]: int(a.xpath("./span[@class='count']")[0].text)
            for a in tabs}


def _query(href: str) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(href).query).items()}


WEEK = [  # clerk-001's queue on Monday 30 November
    {"case_no": "Q-01", "due_on": MON - timedelta(days=1), "applicant": "王一"},  # overdue
    {"case_no": "Q-02", "due_on": MON, "applicant": "王二"},  # due today: this week, soon
    {"case_no": "Q-03", "due_on": MON + timedelta(days=2), "applicant": "李三"},  # Wednesday: 2 working days left
    {"case_no": "Q-04", "due_on": MON + timedelta(days=3), "applicant": "李四", "task_spec": "supplement",
     "title": "补正材料登记"},  # Thursday: this week, not soon
    {"case_no": "Q-05", "due_on": MON + timedelta(days=6), "applicant": "赵五", "task_spec": "supplement",
     "title": "补正材料登记", "claimed_by": "clerk-001"},  # Sunday: the week's last day
    {"case_no": "Q-06", "due_on": MON + timedelta(days=7), "applicant": "赵六"},  # next Monday
    {"case_no": "Q-07", "due_on": None, "applicant": "王七"},  # no due day
    {"case_no": "Q-08", "due_on": MON, "role": "investigator", "task_spec": "investigate", "title": "入户调查"},
    {"case_no": "Q-09", "due_on": MON, "township_code": "640104002"},  # another township's clerk
]


def test_the_week_view_counts_and_lists_the_tasks_due_by_sunday_and_urgency_is_said_in_words(app, client, at_monday):
    _world(app, WEEK)
    login(client, "clerk-001")
    doc = _doc(client, "/tasks/")
    assert _counts(doc) == {"all": 7, "mine": 1, "unclaimed": 6, "overdue": 1, "week": 4}
    assert _cases(doc) == ["Q-01", "Q-02", "Q-03", "Q-04", "Q-05", "Q-06", "Q-07"]  # most urgent first, none last
    assert _cases(_doc(client, "/tasks/?view=week")) == ["Q-02", "Q-03", "Q-04", "Q-05"]
    cells = {row.xpath("./td[4]/a")[0].text_content(): row.xpath("./td[2]")[0]
             for row in doc.xpath("//table[contains(@class,'queue')]/tbody/tr")}
    said = {no: " ".join(cell.xpath(".//*[contains(@class,'badge')]/text()")) for no, cell in cells.items()}
    assert said == {"Q-01": "已超期", "Q-02": "即将到期", "Q-03": "即将到期", "Q-04": "", "Q-05": "", "Q-06": "",
                    "Q-07": ""}
    assert cells["Q-01"].get("class") == "due overdue" and cells["Q-03"].get("class") == "due due_soon"
    assert cells["Q-04"].get("class") == "due normal" and cells["Q-07"].text_content().startswith("—")
    week = _doc(client, "/tasks/?view=week").xpath("//nav[@class='tabs']/a[@aria-current='page']")[0]
    assert week.text_content().split() == ["本周到期", "4"]


def test_the_step_filter_offers_the_steps_of_the_queue_and_narrows_rows_and_counts(app, client, at_monday):
    _world(app, WEEK)
    login(client, "clerk-001")
    doc = _doc(client, "/tasks/")
    options = [(o.get("value"), o.text_content()) for o in doc.xpath("//select[@id='queue-step']/option")]
    assert options == [("", "全部环节"), ("accept", "受理（材料审查）（5 件）"), ("supplement", "补正材料登记（2 件）")]
    narrowed = _doc(client, "/tasks/?step=supplement")
    assert _cases(narrowed) == ["Q-04", "Q-05"]
    assert _counts(narrowed) == {"all": 2, "mine": 1, "unclaimed": 1, "overdue": 0, "week": 2}
    assert narrowed.xpath("//select[@id='queue-step']/option[@selected]/@value") == ["supplement"]
    english = _doc(client, "/tasks/?step=supplement&lang=en")  # the step's BPMN name, translated
    assert english.xpath("//select[@id='queue-step']/option[@selected]/text()") == ["Record supplied materials (2)"]
    for forged in ("investigate", "nosuchstep", "x';--", "%25"):  # another role's step, unknown, malformed
        doc = _doc(client, f"/tasks/?step={forged}")
        assert len(_cases(doc)) == 7 and _counts(doc)["all"] == 7
        assert not doc.xpath("//select[@id='queue-step']/option[@selected]")


def test_the_search_matches_case_numbers_and_names_from_their_start_with_wildcards_taken_literally(
        app, client, at_monday):
    _world(app, [*WEEK, {"case_no": "Q-1_X", "applicant": "%张", "due_on": MON + timedelta(days=20)}])
    login(client, "clerk-001")
    assert _cases(_doc(client, "/tasks/?q=王")) == ["Q-01", "Q-02", "Q-07"]
    assert _cases(_doc(client, "/tasks/?q=Q-0")) == ["Q-01", "Q-02", "Q-03", "Q-04", "Q-05", "Q-06", "Q-07"]
    assert _cases(_doc(client, "/tasks/?q=+Q-05+")) == ["Q-05"]  # spaces around are dropped
    assert _cases(_doc(client, "/tasks/?q=一")) == []  # inside a name: not a prefix
    assert _cases(_doc(client, "/tasks/?q=%25")) == ["Q-1_X"]  # % is a character, not "anything"
    assert _cases(_doc(client, "/tasks/?q=Q-1_")) == ["Q-1_X"]  # so is _
    assert _cases(_doc(client, "/tasks/?q=Q_")) == []
    assert _cases(_doc(client, "/tasks/?q=Q-09")) == []  # another township's case is never found
    doc = _doc(client, "/tasks/?q=李&view=week")
    assert _cases(doc) == ["Q-03", "Q-04"] and _counts(doc) == {"all": 2, "mine": 0, "unclaimed": 2, "overdue": 0,
                                                               "week": 2}
    assert "没有符合筛选条件的待办任务" in lxml.html.tostring(_doc(client, "/tasks/?q=无此人"), encoding=str)
    assert _doc(client, "/tasks/?q=" + "王" * 200).xpath("//input[@id='queue-q']/@value") == ["王" * 32]


def test_the_column_headers_sort_either_way_and_say_how_the_rows_are_sorted(app, client, at_monday):
    rows = [{"case_no": "S-3", "due_on": MON + timedelta(days=5)}, {"case_no": "S-1", "due_on": None},
            {"case_no": "S-4", "due_on": MON - timedelta(days=3)},
            {"case_no": "S-2", "due_on": MON + timedelta(days=1)}]
    _world(app, rows)  # arrived in this order: S-3, S-1, S-4, S-2
    login(client, "clerk-001")
    expected = {"": ["S-4", "S-2", "S-3", "S-1"], "?order=desc": ["S-1", "S-3", "S-2", "S-4"],
                "?sort=received": ["S-3", "S-1", "S-4", "S-2"],
                "?sort=received&order=desc": ["S-2", "S-4", "S-1", "S-3"],
                "?sort=case_no": ["S-1", "S-2", "S-3", "S-4"], "?sort=case_no&order=desc": ["S-4", "S-3", "S-2", "S-1"],
                "?sort=bogus&order=sideways": ["S-4", "S-2", "S-3", "S-1"]}
    for query, order in expected.items():
        assert _cases(_doc(client, "/tasks/" + query)) == order, query
    doc = _doc(client, "/tasks/")
    headers = {th.xpath("./a")[0].text_content().strip("↑↓"): th
               for th in doc.xpath("//th[contains(@class,'sortable')]")}
    assert list(headers) == ["办理期限", "案件编号", "收到时间"]
    assert [th.get("aria-sort") for th in headers.values()] == ["ascending", None, None]
    links = {name: _query(th.xpath("./a/@href")[0]) for name, th in headers.items()}
    assert links == {"办理期限": {"view": "all", "order": "desc"}, "案件编号": {"view": "all", "sort": "case_no"},
                     "收到时间": {"view": "all", "sort": "received"}}
    assert headers["办理期限"].xpath("./a/@aria-label") == ["办理期限：按此列降序排列"]
    doc = _doc(client, "/tasks/?sort=case_no")
    th = doc.xpath("//th[@aria-sort]")
    assert len(th) == 1 and th[0].get("aria-sort") == "ascending" and "案件编号" in th[0].text_content()
    assert _query(th[0].xpath("./a/@href")[0]) == {"view": "all", "sort": "case_no", "order": "desc"}
    doc = _doc(client, "/tasks/?sort=case_no&order=desc")
    assert doc.xpath("//th[@aria-sort]/@aria-sort") == ["descending"]
    assert _query(doc.xpath("//th[@aria-sort]/a/@href")[0]) == {"view": "all", "sort": "case_no"}


COUNTY = [
    {"case_no": f"C-{town[-1]}{n}", "role": "county_auditor", "task_spec": "county_check", "title": "区民政局核查",
     "township_code": town, "due_on": MON + timedelta(days=n)}
    for town in ("640104001", "640104002", "640104003") for n in range(3)
]


def test_the_county_auditor_narrows_to_a_township_and_township_staff_never_see_another(app, client, at_monday):
    _world(app, [*COUNTY, *WEEK])
    login(client, "auditor")
    doc = _doc(client, "/tasks/")
    assert len(_cases(doc)) == 9 and _counts(doc)["all"] == 9
    assert doc.xpath("//select[@id='queue-township']/option[@value='640104002']")
    doc = _doc(client, "/tasks/?township=640104002&view=week")
    assert _cases(doc) == ["C-20", "C-21", "C-22"] and _counts(doc)["all"] == 3
    assert doc.xpath("//select[@id='queue-township']/option[@selected]/@value") == ["640104002"]
    assert all(_query(a.get("href")).get("township") == "640104002" for a in doc.xpath("//nav[@class='tabs']/a"))
    assert [o.text_content() for o in doc.xpath("//select[@id='queue-step']/option")][1:] == ["区民政局核查（3 件）"]
    doc = _doc(client, "/tasks/?township=640104002&step=county_check&sort=case_no&order=desc")
    assert _cases(doc) == ["C-22", "C-21", "C-20"]
    assert len(_cases(_doc(client, "/tasks/?township=999999999"))) == 9  # an unknown township: not a filter

    login(client, "clerk-001")  # township staff: their own township, whatever the link says
    for forged in ("640104002", "640104003", "", "6401", "640104001' OR '1'='1"):
        response = client.get("/tasks/", query_string={"township": forged})
        assert response.status_code == 200
        doc = lxml.html.fromstring(response.get_data(as_text=True))
        assert sorted(_cases(doc)) == ["Q-01", "Q-02", "Q-03", "Q-04", "Q-05", "Q-06", "Q-07"], forged
        assert _counts(doc)["all"] == 7 and not doc.xpath("//select[@id='queue-township']")
        assert "Q-09" not in response.get_data(as_text=True)
        assert all("township" not in _query(a.get("href")) for a in doc.xpath("//nav[@class='tabs']/a"))


def test_forged_views_sorts_pages_and_filters_change_nothing_they_should_not(app, client, at_monday):
    _world(app, WEEK)
    login(client, "clerk-001")
    default = _cases(_doc(client, "/tasks/"))
    for query in ("view=bogus", "view=", "sort=due;drop", "order=up", "page=abc", "page=-3", "page=" + "9" * 20,
                  "step=&q=&township=", "view=all&view=mine", "q=%01%1f", "sort=case_no%09"):
        response = client.get("/tasks/?" + query)
        assert response.status_code == 200, query
        assert _cases(lxml.html.fromstring(response.get_data(as_text=True))) == default, query
    nul = client.get("/tasks/?q=%00")  # refused for every page (webapp.inputs), in Chinese
    assert nul.status_code == 422 and "不能包含空字符" in nul.get_data(as_text=True)


def test_the_pager_the_views_and_the_headers_keep_the_filters(app, client, at_monday):
    size = queries.PAGE_SIZE
    many = [{"case_no": f"P-{n:03d}", "task_spec": "supplement", "title": "补正材料登记", "applicant": "钱某",
             "due_on": MON + timedelta(days=n % 9)} for n in range(size + 5)]
    _world(app, [*many, *WEEK])
    login(client, "clerk-001")
    path = "/tasks/?view=unclaimed&step=supplement&q=P-&sort=case_no&order=desc"
    doc = _doc(client, path)
    assert _counts(doc)["unclaimed"] == size + 5 and _cases(doc)[0] == f"P-{size + 4:03d}"
    nxt = doc.xpath("//nav[@class='pages']//a[@rel='next']/@href")[0]
    assert _query(nxt) == {"view": "unclaimed", "step": "supplement", "q": "P-", "sort": "case_no", "order": "desc",
                           "page": "2"}
    second = _cases(_doc(client, nxt))
    assert second == [f"P-{n:03d}" for n in range(4, -1, -1)]
    assert not set(second) & set(_cases(doc))
    for a in doc.xpath("//nav[@class='tabs']/a"):  # another view: same filters, first page
        assert {k: v for k, v in _query(a.get("href")).items() if k != "view"} == {
            "step": "supplement", "q": "P-", "sort": "case_no", "order": "desc"}
    th = _query(doc.xpath("//th[@aria-sort]/a/@href")[0])
    assert th == {"view": "unclaimed", "step": "supplement", "q": "P-", "sort": "case_no"}
    form = doc.xpath("//form[@role='search']")[0]  # a new search keeps the view and the order
    assert {i.get("name"): i.get("value") for i in form.xpath(".//input[@type='hidden']")} == {
        "view": "unclaimed", "sort": "case_no", "order": "desc"}
    clear = form.xpath(".//a")[0]
    assert clear.text_content() == "清除筛选" and _query(clear.get("href")) == {
        "view": "unclaimed", "sort": "case_no", "order": "desc"}


def test_claiming_and_bulk_actions_come_back_to_the_queue_as_it_was_shown(app, client, at_monday):
    own = _world(app, WEEK, keep_own=True)
    with app.app_context():
        task_id = drive.open_task(db.factory(), own).id
    login(client, "clerk-001")
    path = "/tasks/?view=unclaimed&step=accept&q=" + own[:9] + "&sort=received&order=desc"
    doc = _doc(client, path)
    assert _cases(doc) == [own]
    action = doc.xpath("//table[contains(@class,'queue')]//form/@action")[0]
    assert action.startswith(f"/tasks/{task_id}/claim?")
    assert _query(action) == {"view": "unclaimed", "step": "accept", "q": own[:9], "sort": "received",
                              "order": "desc"}
    token = csrf(client, "/tasks/")
    done = client.post(action, data={"csrf_token": token})
    assert done.status_code == 302 and _query(done.headers["Location"]) == _query(action)
    with app.app_context():
        assert drive.open_task(db.factory(), own).claimed_by_id is not None
    back = client.post(f"/tasks/{task_id}/unclaim?view=mine&page=2&township=640104002&sort=x",
                       data={"csrf_token": token})  # a bad sort is dropped; the queue ignores the township
    assert back.status_code == 302 and _query(back.headers["Location"]) == {"view": "mine", "page": "2",
                                                                           "township": "640104002"}
    path = path.replace("view=unclaimed", "view=all")
    action = action.replace("view=unclaimed", "view=all")
    bulk_form = _doc(client, path).xpath("//form[@id='bulk']")[0]
    fields = {i.get("name"): i.get("value") for i in bulk_form.xpath(".//input[@type='hidden']")}
    assert fields.items() >= {"view": "all", "step": "accept", "sort": "received", "order": "desc",
                              "page": "1"}.items()
    form = {**fields, "action": "claim", "task": [task_id]}
    confirm = lxml.html.fromstring(client.post("/tasks/bulk", data=form).get_data(as_text=True))
    kept = {i.get("name"): i.get("value") for i in confirm.xpath("//form[@class='actions']//input[@type='hidden']")}
    assert kept.items() >= {"view": "all", "step": "accept", "q": own[:9], "sort": "received",
                            "order": "desc"}.items() and "page" not in kept
    assert _query(confirm.xpath("//form[@class='actions']//a/@href")[0]) == _query(action)
    done = client.post("/tasks/bulk", data={**kept, "task": [task_id], "confirm": "1"})
    assert done.status_code == 302 and _query(done.headers["Location"]) == _query(action)
