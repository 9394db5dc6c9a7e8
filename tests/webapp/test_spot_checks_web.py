"""区级抽查 through the web UI: the county auditor draws a sample of a township's decisions from the
抽查 page, sees it reproduce, works a spot check with a problem through the task page, and the case
checked shows the finding and the review it started. Township staff are turned away; an overlapping
draw is refused in Chinese with nothing typed lost; overdue spot checks stay in the county's lane."""

import re
from datetime import datetime, timedelta

from sqlalchemy import select

from tests import drive
from tests.webapp.test_api import Api
from tests.webapp.web import login, post_form
from webapp import db, services
from workflows import clock, spot_checks
from workflows.store import Case, HumanTask, SpotCheckDraw, unit_of_work

TOWN = "640104001"
DRAW_DAY = datetime(2026, 12, 14, 9, 0, tzinfo=clock.CHINA_TZ)  # a Monday; the case was decided on 8 December
PERIOD = {"township": TOWN, "decided_from": "2026-12-01", "decided_to": "2026-12-11"}
TASK_LINK = re.compile(r'href="/tasks/([0-9a-f-]{36})"')
DRAW_LINK = re.compile(r"/spot-checks/([0-9]+)$")
PROBLEM = "入户核实发现家中有经营性收入未申报"


def _decided(app, at_monday) -> str:
    """An application approved through the real procedure (decided 8 December 2026)."""
    with app.app_context():
        return drive.approved(db.factory(), services.get(), at_monday)


def _draw_from_the_page(client) -> tuple[str, str]:
    """As the auditor: open 抽查, post the period; the draw page's path and its HTML."""
    login(client, "auditor")
    page = client.get("/spot-checks/").get_data(as_text=True)
    assert "抽取样本" in page and 'name="seed"' not in page and "还没有抽查记录" in page
    resp = post_form(client, "/spot-checks/", PERIOD)
    assert resp.status_code == 302, resp.get_data(as_text=True)
    path = resp.headers["Location"]
    assert DRAW_LINK.search(path)
    return path, client.get(path).get_data(as_text=True)


def _check_task(client) -> str:
    """The spot check's task page path, from the auditor's queue."""
    queue = client.get("/tasks/").get_data(as_text=True)
    assert "区级抽查核实" in queue, queue
    return f"/tasks/{TASK_LINK.search(queue).group(1)}"


def test_the_auditor_draws_checks_and_the_finding_reaches_the_case(app, client, at_monday):
    case_no = _decided(app, at_monday)
    with clock.frozen(DRAW_DAY):
        draw_path, html = _draw_from_the_page(client)
        with app.app_context():
            row = db.session().scalars(select(SpotCheckDraw)).one()
            assert row.sample == [case_no] and row.drawn_at == DRAW_DAY
            seed = row.seed
        for text in (case_no, seed, "0.30", "2026-12-01", "2026-12-11", "可重现", "抽查记录核验一致", "区级抽查中",
                     "随机抽取"):
            assert text in html, text
        assert f'href="/cases/{case_no}"' in html

        task = _check_task(client)
        page = client.get(task).get_data(as_text=True)
        assert "被抽查案件" in page and f'href="/cases/{case_no}"' in page and "张秀兰" in page and "已批准" in page
        assert f'href="{draw_path}"' in page
        refused = post_form(client, task, {"visit_date": "2026-12-14", "method": "home_visit", "finding": "problem"})
        text = refused.get_data(as_text=True)
        assert refused.status_code == 422 and 'value="2026-12-14"' in text  # nothing typed is lost
        assert re.search(r'<option value="problem"\s+selected', text)
        done = post_form(client, task, {"visit_date": "2026-12-14", "method": "home_visit", "finding": "problem",
                                        "finding_detail": PROBLEM})
        assert done.status_code == 302, done.get_data(as_text=True)

        html = client.get(draw_path).get_data(as_text=True)
        assert "抽查发现问题" in html and PROBLEM in html and "已启动复核" in html and "可重现" in html

    with app.app_context(), unit_of_work(db.factory()) as sess:
        check = sess.scalars(select(Case).where(Case.process_id == "dibao_spot_check")).one()
        review = sess.scalars(select(Case).where(Case.process_id == "dibao_review")).one()
        assert check.status == "CHECK_PROBLEM" and review.is_active  # the review waits for its 核对
        check_no, review_no = check.case_no, review.case_no

    login(client, "leader-001")  # the township sees the finding on the case it decided
    html = client.get(f"/cases/{case_no}").get_data(as_text=True)
    assert 'class="panel spot-checks check-problem"' in html
    for text in (check_no, "抽查发现问题", PROBLEM, "已启动复核", f'href="/cases/{review_no}"', "区级抽查发现问题"):
        assert text in html, text
    html = client.get(f"/cases/{check_no}").get_data(as_text=True)
    assert f'href="/cases/{case_no}"' in html and "被抽查案件" in html and f'href="{draw_path}"' not in html
    html = client.get(f"/cases/{review_no}").get_data(as_text=True)
    assert "区级抽查发现问题" in html and PROBLEM in html
    login(client, "auditor")
    assert f'href="{draw_path}"' in client.get(f"/cases/{check_no}").get_data(as_text=True)


def test_township_staff_cannot_see_or_make_draws(app, client, at_monday):
    _decided(app, at_monday)
    with clock.frozen(DRAW_DAY):
        draw_path, _ = _draw_from_the_page(client)
        assert client.get("/spot-checks/999999").status_code == 404
        for who in ("clerk-001", "leader-001", "reviewer-002"):
            login(client, who)
            assert client.get("/spot-checks/").status_code == 403
            assert client.get(draw_path).status_code == 403
            assert post_form(client, "/spot-checks/", PERIOD, token_from="/cases/").status_code == 403
            assert "/spot-checks/" not in client.get("/cases/").get_data(as_text=True)  # no link in the menu
        login(client, "admin")  # reads, does not draw
        html = client.get("/spot-checks/").get_data(as_text=True)
        assert draw_path in html and "抽取样本" not in html
        assert client.get(draw_path).status_code == 200
    with app.app_context():
        assert len(db.session().scalars(select(SpotCheckDraw)).all()) == 1


def test_refused_draws_come_back_as_typed_in_chinese(app, client, at_monday):
    _decided(app, at_monday)
    with clock.frozen(DRAW_DAY):
        _draw_from_the_page(client)
        again = post_form(client, "/spot-checks/", {**PERIOD, "decided_from": "2026-12-10"})
        html = again.get_data(as_text=True)
        assert again.status_code == 409 and "该期间与已抽查的期间（2026-12-01 至 2026-12-11）重叠，不能重新抽取" in html
        assert 'value="2026-12-10"' in html and 'value="2026-12-11"' in html
        assert re.search(rf'<option value="{TOWN}" selected', html)

        not_over = post_form(client, "/spot-checks/",
                             {**PERIOD, "decided_from": "2026-12-12", "decided_to": "2026-12-14"})
        html = not_over.get_data(as_text=True)
        assert not_over.status_code == 422 and "结束日期须早于今天" in html and 'value="2026-12-12"' in html

        typed = post_form(client, "/spot-checks/", {"township": "", "decided_from": "2026-13-01", "decided_to": ""})
        html = typed.get_data(as_text=True)
        assert typed.status_code == 422 and "请选择乡镇（街道）" in html and "日期格式应为 YYYY-MM-DD" in html
        assert "请填写日期" in html and 'value="2026-13-01"' in html

        nothing = post_form(client, "/spot-checks/", {**PERIOD, "township": "640104002"})
        assert nothing.status_code == 409 and "没有审核确认的案件" in nothing.get_data(as_text=True)
        unknown = post_form(client, "/spot-checks/", {**PERIOD, "township": "640104999"})
        assert unknown.status_code == 422 and "没有该乡镇（街道）" in unknown.get_data(as_text=True)
    with app.app_context():
        assert len(db.session().scalars(select(SpotCheckDraw)).all()) == 1


def test_overdue_spot_checks_stay_in_the_county_lane(app, client, at_monday):
    _decided(app, at_monday)
    with app.app_context():
        factory, svc = db.factory(), services.get()
        with clock.frozen(DRAW_DAY), unit_of_work(factory) as sess:
            decided = clock.today() - timedelta(days=6)
            spot_checks.draw(sess, drive.user(sess, "auditor"), TOWN, decided, decided, svc, seed=7)
        with unit_of_work(factory) as sess:
            due_on = sess.scalars(select(HumanTask)).one().due_on
        later = datetime.combine(due_on + timedelta(days=2), DRAW_DAY.timetz())
        assert drive.tick(factory, svc, later) == 1
        with unit_of_work(factory) as sess:
            assert sess.scalars(select(HumanTask)).one().escalated_at is not None
    with clock.frozen(later):
        login(client, "leader-001")
        html = client.get("/tasks/escalated").get_data(as_text=True)
        assert "没有逾期督办的环节" in html and "区级抽查核实" not in html
        assert "逾期督办</a>" in client.get("/cases/").get_data(as_text=True)  # no count beside it
        login(client, "auditor")
        html = client.get("/tasks/?view=overdue").get_data(as_text=True)
        assert "区级抽查核实" in html and "已逾期督办" in html and "已报领导督办" not in html


def test_spot_checks_over_the_api(app, client, at_monday):
    case_no = _decided(app, at_monday)
    api = Api(client, client.get("/api/v1/openapi.json").get_json())
    with clock.frozen(DRAW_DAY):
        api.check(["components", "schemas", "SpotCheckRequest"], PERIOD)
        api.call("post", "/spot-checks", "clerk-001", 403, json=PERIOD)
        api.call("post", "/spot-checks", "admin", 403, json=PERIOD)
        bad = api.call("post", "/spot-checks", "auditor", 422, json={"township": TOWN, "decided_from": "x", "n": 1})
        assert set(bad["error"]["details"]) == {"decided_from", "decided_to", "n"}
        drawn = api.call("post", "/spot-checks", "auditor", 201, json=PERIOD)
        assert drawn["reproduces"] is True and drawn["problems"] == [] and drawn["sample"] == [case_no]
        assert [c["status"] for c in drawn["checks"]] == ["SPOT_CHECK"]
        again = api.call("post", "/spot-checks", "auditor", 409, json=PERIOD)
        assert "重叠" in again["error"]["message"]
        assert [d["id"] for d in api.call("get", "/spot-checks", "admin")["items"]] == [drawn["id"]]
        assert api.call("get", f"/spot-checks/{drawn['id']}", "admin")["reproduces"] is True
        api.call("get", "/spot-checks/999999", "auditor", 404)
        api.call("get", f"/spot-checks/{drawn['id']}", "leader-001", 403)
        (task,) = api.call("get", "/tasks", "auditor")["items"]
        body = {"visit_date": "2026-12-14", "method": "phone", "finding": "confirmed"}
        api.check(["components", "schemas", "SpotCheckTaskForm_spot_check"], body)
        done = api.call("post", f"/tasks/{task['id']}/complete", "auditor", json=body)
        assert done["case"]["status"] == "CHECKED"
        assert api.call("get", f"/cases/{done['case']['case_no']}", "leader-001")["status"] == "CHECKED"
