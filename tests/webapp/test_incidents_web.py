"""Step incidents through the app (issue 6): the person sees a clear message and keeps the form; the
case page and the 故障 list show the incident; the worker backs off; staff retry from the page or the CLI."""

from datetime import timedelta

from sqlalchemy import select

from tests import factories as f
from tests.drive import accepted, do, open_task, publicized, run_calls
from tests.webapp.web import csrf, login, post_form
from tests.workflows.test_incidents import _drop_setting, _restore
from webapp import db, services, worker
from workflows import clock
from workflows.store import StepIncident


def _incidents(app) -> list[tuple]:
    with app.app_context():
        rows = db.session().scalars(select(StepIncident).order_by(StepIncident.id))
        return [(i.kind, i.attempts, i.resolved_by) for i in rows]


def _cosign_that_will_fail(app) -> tuple[str, str, list]:
    """A case at the second investigator's co-signature, and the setting the step after it needs removed."""
    with app.app_context():
        factory, svc = db.factory(), services.get()
        sub = f.registration()
        case_no = accepted(factory, svc, sub)
        assert run_calls(factory, svc) == 1
        do(factory, svc, case_no, "investigator-001", f.investigate(sub["members"]))
        return case_no, open_task(factory, case_no).id, _drop_setting(factory, "dibao.edge_ratio")


def test_a_failing_step_keeps_the_form_and_shows_the_incident(app, client, at_monday):
    case_no, task_id, saved = _cosign_that_will_fail(app)
    login(client, "investigator2-001")
    answers = {**f.cosign(), "cosign_comment": "复核无误，同意调查结论"}
    resp = post_form(client, f"/tasks/{task_id}", answers)
    html = resp.get_data(as_text=True)
    assert resp.status_code == 500 and "已登记为故障" in html and "dibao.edge_ratio" in html
    assert "复核无误，同意调查结论" in html  # what was typed comes back
    assert _incidents(app) == [("task", 1, None)]

    login(client, "reviewer-001")
    page = client.get(f"/cases/{case_no}").get_data(as_text=True)
    assert "办结环节故障" in page and "dibao.edge_ratio" in page
    listed = client.get("/incidents/").get_data(as_text=True)
    assert case_no in listed and "处理步骤故障（1）" in listed
    login(client, "clerk-002")  # another township's staff do not see it
    assert case_no not in client.get("/incidents/").get_data(as_text=True)

    with app.app_context():
        _restore(db.factory(), saved)
    login(client, "investigator2-001")
    assert post_form(client, f"/tasks/{task_id}", answers).status_code == 302
    assert _incidents(app) == [("task", 1, "investigator2-001")]


def test_the_api_reports_an_incident_in_json(app, client, at_monday):
    _, task_id, _ = _cosign_that_will_fail(app)
    token = client.post("/api/v1/tokens", json={"username": "investigator2-001", "password": "dibao-demo-2026"})
    headers = {"Authorization": f"Bearer {token.get_json()['token']}"}
    resp = client.post(f"/api/v1/tasks/{task_id}/complete", json=f.cosign(), headers=headers)
    assert resp.status_code == 500 and resp.get_json()["error"]["code"] == "incident"
    assert _incidents(app) == [("task", 1, None)]


def test_a_failing_timer_waits_then_is_retried_from_the_case_page_and_the_cli(app, client, at_monday):
    with app.app_context():
        case_no = publicized(db.factory(), services.get())
        saved = _drop_setting(db.factory(), "dibao.deadline.confirm_wd")
    later = at_monday + timedelta(days=8)
    with app.app_context(), clock.frozen(later):
        assert worker.run_pass().timers == 0
        assert worker.run_pass().timers == 0  # backing off: not even tried again
    assert _incidents(app) == [("timer", 1, None)]
    runner = app.test_cli_runner()
    with clock.frozen(later):
        failed = runner.invoke(args=["retry-timers", "--all"])
    assert failed.exit_code == 1 and "仍未成功 1 件" in failed.output
    assert _incidents(app) == [("timer", 2, None)]

    with app.app_context():
        _restore(db.factory(), saved)
    login(client, "reviewer-001")
    with clock.frozen(later):
        page = client.get(f"/cases/{case_no}").get_data(as_text=True)
        assert "定时事件处理故障" in page and "立即重试" in page
        resp = client.post(f"/cases/{case_no}/timers/retry", data={"csrf_token": csrf(client, f"/cases/{case_no}")},
                           follow_redirects=True)
    assert "已重试成功" in resp.get_data(as_text=True)
    assert _incidents(app) == [("timer", 2, "系统")]
    with clock.frozen(later):
        assert runner.invoke(args=["retry-timers", "--all"]).exit_code == 0  # nothing failing any more
