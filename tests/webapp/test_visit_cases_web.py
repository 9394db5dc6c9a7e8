"""探访 as a process through the web: the worker's daily pass schedules the month's visits, the 探访 page lists
the open visit tasks with their forms and records a visit by completing the task (a second post of it is
refused), the same task in the investigator's queue with its due day, escalated to the leader when overdue,
completed from the task page; a change found starts a review; `flask start-visits` schedules by hand."""

import re
from datetime import date, datetime

from sqlalchemy import select

from tests import drive
from tests import factories as f
from tests.webapp.web import login, post_form
from webapp import db, services, worker
from workflows import clock, settings, visit_cases
from workflows.store import Case, HumanTask, Visit, VisitTarget, unit_of_work

TOWN = "640104001"
CN = clock.CHINA_TZ
DEC10 = datetime(2026, 12, 10, 9, 0, tzinfo=CN)  # after drive.approved's decision of 8 December
DEC26 = datetime(2026, 12, 26, 9, 0, tzinfo=CN)  # the day after the visits' due day


def rows(app, model, *where) -> list:
    with app.app_context(), unit_of_work(db.factory()) as sess:
        return list(sess.scalars(select(model).where(*where).order_by(model.id)))


def household(app, at_monday) -> None:
    """An approved household of 640104001 with two key people (李建国 severely disabled, 李小明 a minor)."""
    sub = f.registration()
    sub["members"][1].update(disability_level="1", disability_kind="physical")
    with app.app_context():
        drive.approved(db.factory(), services.get(), at_monday, sub)


def worker_pass(app, at: datetime) -> worker.PassResult:
    app.config["DIBAO_VISIT_SCHEDULE"] = True
    with app.app_context(), clock.frozen(at):
        return worker.run_pass()


def task_of(app, name: str) -> HumanTask:
    target = rows(app, VisitTarget, VisitTarget.name == name)[0]
    with app.app_context(), unit_of_work(db.factory()) as sess:
        return sess.scalars(select(HumanTask).join(Case, Case.id == HumanTask.case_id)
                            .where(Case.applicant_id_no == target.id_no)).one()


def test_the_page_records_a_visit_by_completing_its_task(app, client, at_monday):
    household(app, at_monday)
    assert worker_pass(app, DEC10).visits == 2  # the first pass of the day schedules the month
    assert worker_pass(app, DEC10).visits == 0  # once a day
    task = task_of(app, "李建国")
    target_id = rows(app, VisitTarget, VisitTarget.name == "李建国")[0].id
    with clock.frozen(DEC10):
        login(client, "clerk-001")  # township staff see the month; the visit is the investigators' task
        page = client.get("/visits/").get_data(as_text=True)
        assert "李建国" in page and "2026-12-25" in page and 'name="task_id"' not in page
        assert "探访由入户调查人员登记" in page
        visit = {"task_id": task.id, "visited_on": "2026-12-10", "method": "home", "notes": "生活情况良好。",
                 "month": "2026-12"}
        assert post_form(client, f"/visits/{target_id}", visit, token_from="/visits/").status_code == 403
        login(client, "investigator-001")
        page = client.get("/visits/").get_data(as_text=True)
        assert f'name="task_id" value="{task.id}"' in page and "本月尚无探访记录" in page
        missing = post_form(client, f"/visits/{target_id}", {**visit, "change_found": True}, token_from="/visits/")
        html = missing.get_data(as_text=True)
        assert missing.status_code == 422 and "生活情况良好。" in html and "请填写" in html  # the change, described
        done = post_form(client, f"/visits/{target_id}", visit, token_from="/visits/")
        assert done.status_code == 302
        page = client.get(done.headers["Location"]).get_data(as_text=True)
        (case,) = rows(app, Case, Case.id == task.case_id)
        assert f"探访已登记（案件 {case.case_no}）" in page and "50.0%" in page
        made = page.split("本月已探访")[1]
        assert "李建国" in made and case.case_no in made and "凤凰北街街道调查员" in made
        twice = post_form(client, f"/visits/{target_id}", visit, token_from="/visits/")  # the same form again
        assert twice.status_code == 302
        assert "该任务已办结" in client.get(twice.headers["Location"]).get_data(as_text=True)
        assert [v.case_id for v in rows(app, Visit)] == [case.id]
        assert "登记再次探访" in page  # a further visit this month: the form without a task
        further = {k: v for k, v in visit.items() if k != "task_id"} | {"method": "phone", "notes": "电话回访。"}
        assert post_form(client, f"/visits/{target_id}", further, token_from="/visits/").status_code == 302
        visits_made = rows(app, Visit)
        assert len(visits_made) == 2 and visits_made[1].case_id != case.id and visits_made[1].method == "phone"
        assert "50.0%" in client.get("/visits/").get_data(as_text=True)  # the person counts once
        detail = client.get(f"/cases/{case.case_no}").get_data(as_text=True)
        for text in ("重点对象探访", "已探访", "2026-12", "每月探访", "生活情况良好。", "排期探访"):
            assert text in detail, text


def test_the_task_is_in_the_queue_escalated_when_overdue_and_done_from_the_task_page(app, client, at_monday):
    household(app, at_monday)
    worker_pass(app, DEC10)
    task = task_of(app, "李小明")
    with clock.frozen(DEC10):
        login(client, "investigator-001")
        queue = client.get("/tasks/").get_data(as_text=True)
        assert len(re.findall(r'href="/tasks/[0-9a-f-]{36}">探访</a>', queue)) == 2
        assert "2026-12-25" in queue and "李小明" in queue
    assert worker_pass(app, datetime(2026, 12, 26, 0, 5, tzinfo=CN)).timers == 2
    with clock.frozen(DEC26):
        queue = client.get("/tasks/?view=overdue").get_data(as_text=True)
        assert queue.count('class="u-overdue"') == 2 and "已报领导督办" in queue
        login(client, "leader-001")
        escalated = client.get("/tasks/escalated").get_data(as_text=True)
        assert "李小明" in escalated and "李建国" in escalated
        login(client, "investigator-001")
        page = client.get(f"/tasks/{task.id}").get_data(as_text=True)
        assert "探访月份" in page and "情况有变化，需要复核或跟进" in page
        answer = {"visited_on": "2026-12-24", "method": "phone", "notes": "电话联系，学习生活正常。"}
        assert post_form(client, f"/tasks/{task.id}", answer).status_code == 302
    (visit,) = rows(app, Visit)
    assert (visit.method, visit.visited_on.isoformat()) == ("phone", "2026-12-24")
    assert rows(app, Case, Case.id == task.case_id)[0].status == "VISITED"


def test_a_change_found_on_the_page_starts_a_review(app, client, at_monday):
    household(app, at_monday)
    worker_pass(app, DEC10)
    task = task_of(app, "李小明")
    target_id = rows(app, VisitTarget, VisitTarget.name == "李小明")[0].id
    with clock.frozen(DEC10):
        login(client, "investigator-001")
        visit = {"task_id": task.id, "visited_on": "2026-12-10", "method": "home", "notes": "入户探访。",
                 "change_found": True, "change_detail": "父亲已外出务工，月收入约3000元。", "month": "2026-12"}
        assert post_form(client, f"/visits/{target_id}", visit, token_from="/visits/").status_code == 302
        (case,) = rows(app, Case, Case.id == task.case_id)
        (review,) = rows(app, Case, Case.process_id == "dibao_review")
        assert case.status == "VISITED_REFERRED"
        detail = client.get(f"/cases/{case.case_no}").get_data(as_text=True)
        assert "在保家庭，已移交复核" in detail and "探访发现情况变化，移交复核" in detail
        login(client, "clerk-001")
        assert f"探访发现（{case.case_no}）" in client.get(f"/cases/{review.case_no}").get_data(as_text=True)


def test_start_visits_schedules_the_current_month_only(app, at_monday):
    household(app, at_monday)
    runner = app.test_cli_runner()
    with clock.frozen(DEC10):
        started = runner.invoke(args=["start-visits", "--month", "2026-12"])
        assert started.exit_code == 0, started.output
        assert "640104001：探访对象新增 2 人、结束 0 人；新排期探访 2 件" in started.output
        assert "2026-12 探访排期完成：新排期 2 件" in started.output
        again = runner.invoke(args=["start-visits", "--township", TOWN])
        assert again.exit_code == 0 and "新排期 0 件" in again.output
        for args, text in ((["--month", "2027-01"], "只能为本月（2026-12）排期探访"),
                           (["--month", "2026-13"], "YYYY-MM"),
                           (["--township", "640104999"], "没有乡镇（街道）640104999")):
            refused = runner.invoke(args=["start-visits", *args])
            assert refused.exit_code == 1 and text in refused.output, refused.output
        ticked = runner.invoke(args=["tick"])  # the worker's pass: scheduling is off in the tests' app
        assert "探访排期" not in ticked.output
    assert [c.status for c in rows(app, Case, Case.process_id == "dibao_visit")] == ["VISIT_DUE"] * 2


def test_the_visit_pages_speak_english_with_chinese_only_in_the_data(app, client, at_monday):
    from tests.webapp.test_i18n import CJK, _chrome, _data_texts  # noqa: PLC0415 - the i18n crawl's own helpers

    household(app, at_monday)
    worker_pass(app, DEC10)
    follow = task_of(app, "李小明")
    with clock.frozen(DEC10):
        login(client, "investigator-001")
        visit = {"task_id": task_of(app, "李建国").id, "visited_on": "2026-12-10", "method": "home", "notes": "好。",
                 "change_found": True, "change_detail": "收入增加。", "month": "2026-12"}
        target_id = rows(app, VisitTarget, VisitTarget.name == "李建国")[0].id
        assert post_form(client, f"/visits/{target_id}", visit, token_from="/visits/").status_code == 302
        cases = [c.case_no for c in rows(app, Case, Case.process_id == "dibao_visit")]
        pages = ["/visits/?lang=en", f"/tasks/{follow.id}", "/tasks/", *(f"/cases/{no}" for no in cases)]
        data = _data_texts(app)
        for who in ("investigator-001", "leader-001"):
            login(client, who)
            for path in pages if who == "investigator-001" else ["/visits/?lang=en", "/visits/targets",
                                                                  *(f"/cases/{no}" for no in cases)]:
                html = client.get(path).get_data(as_text=True)
                assert '<html lang="en">' in html, path
                chrome = _chrome(html, data)
                match = CJK.search(chrome)
                assert match is None, f"{who} {path}: …{chrome[max(0, match.start() - 60):match.end() + 60]}…"


def test_a_pass_schedules_townships_for_about_the_slice_and_the_next_pass_goes_on(app, at_monday):
    household(app, at_monday)
    with app.app_context(), unit_of_work(db.factory()) as sess:
        settings.set_value(sess, "system.visit_slice_seconds", "", date(2026, 1, 1), 0, "test")
        towns = len(visit_cases.townships_due(sess, DEC10.date()))
    assert towns > 1
    assert worker_pass(app, DEC10).visits == 2  # 640104001 (the first township) only, then the slice is up
    with app.app_context(), clock.frozen(DEC10), unit_of_work(db.factory()) as sess:
        assert len(visit_cases.townships_due(sess, DEC10.date())) == towns - 1
    worker_pass(app, DEC10)
    with app.app_context(), clock.frozen(DEC10), unit_of_work(db.factory()) as sess:
        assert len(visit_cases.townships_due(sess, DEC10.date())) == towns - 2
