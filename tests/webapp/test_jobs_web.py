"""后台任务 in the browser: asking for a job, its progress (JSON and the page, also after a reload), the download."""

import io
import re
import zipfile
from datetime import date, timedelta

from sqlalchemy import select

from tests import factories as f
from tests.drive import approved, roster, start
from tests.webapp.web import csrf, login
from webapp import db, services, worker
from workflows import clock, settings
from workflows.store import AccessLog, BackgroundJob, unit_of_work


def _ask(client, kind: str, **fields):
    return client.post("/jobs/", data={"csrf_token": csrf(client, "/jobs/"), "kind": kind, **fields})


def _job_id(response) -> int:
    assert response.status_code == 302, response.get_data(as_text=True)
    return int(re.search(r"/jobs/(\d+)$", response.headers["Location"]).group(1))


def test_a_reviewer_exports_the_years_rosters_in_the_background_and_downloads_them(app, client, at_monday):
    with app.app_context():
        factory, svc = db.factory(), services.get()
        approved(factory, svc, at_monday)
        with clock.frozen(at_monday + timedelta(days=8)):
            roster(factory, svc, "2027-01")
    login(client, "reviewer-001")
    assert 'name="kind" value="roster_export"' in client.get("/rosters/").get_data(as_text=True)  # asked from there
    job_id = _job_id(_ask(client, "roster_export", township="640104001", year="2027"))
    page = client.get(f"/jobs/{job_id}").get_data(as_text=True)
    assert f'data-job-progress="/jobs/{job_id}.json"' in page and "排队中" in page  # polled while open
    assert '<script src="/static/jobs.js">' in page and "<script>" not in page  # CSP: scripts from 'self' only
    progress = client.get(f"/jobs/{job_id}.json").get_json()
    assert (progress["status"], progress["status_label"], progress["done"], progress["finished"]) == (
        "queued", "排队中", 0, False)
    assert client.get(f"/jobs/{job_id}/result").status_code == 409  # nothing to download yet

    ran = app.test_cli_runner().invoke(args=["run-jobs"])  # what cron or a test runs; the worker runs it too
    assert ran.exit_code == 0 and "完成 1 件，失败 0 件" in ran.output, ran.output

    progress = client.get(f"/jobs/{job_id}.json").get_json()
    assert progress | {"id": 0} == {
        "id": 0, "kind": "roster_export", "status": "done", "status_label": "已完成", "done": 1, "total": 1,
        "percent": 100, "message": "", "finished": True, "has_result": True, "result_url": f"/jobs/{job_id}/result"}
    page = client.get(f"/jobs/{job_id}").get_data(as_text=True)
    assert "data-job-progress" not in page and f"/jobs/{job_id}/result" in page and "已打包 2 个文件" in page
    listed = client.get("/jobs/").get_data(as_text=True)
    assert f'href="/jobs/{job_id}"' in listed and "花名册年度导出" in listed
    download = client.get(f"/jobs/{job_id}/result")
    assert download.status_code == 200 and download.mimetype == "application/zip"
    assert "filename*=UTF-8''" in download.headers["Content-Disposition"]
    with zipfile.ZipFile(io.BytesIO(download.data)) as zf:
        assert sorted(zf.namelist()) == ["2027-01发放花名册.pdf", "2027-01发放花名册.xlsx", "清单.csv"]
    with app.app_context():
        logged = db.session().execute(select(AccessLog.username, AccessLog.target)
                                      .where(AccessLog.action == "job_result_downloaded")).all()
    assert logged == [("reviewer-001", f"后台任务 {job_id}：凤凰北街街道2027年发放花名册.zip")]
    login(client, "leader-001")  # the same township's leader: another person's job is not there
    assert client.get(f"/jobs/{job_id}").status_code == 404
    assert client.get(f"/jobs/{job_id}/result").status_code == 404


def test_a_reload_shows_the_progress_the_worker_has_made(app, client, at_monday):
    with app.app_context():
        factory, svc = db.factory(), services.get()
        for i in range(1, 4):
            start(factory, svc, f.registration(members=[f.member(f"申请人{i}", date(1970, 1, i), seq=i)]))
        with unit_of_work(factory) as sess:  # a batch is one case, and a worker pass's slice one batch
            settings.set_value(sess, "system.job_progress_every", "", date(2026, 1, 1), 1, "test")
            settings.set_value(sess, "system.job_slice_seconds", "", date(2026, 1, 1), 0, "test")
    login(client, "auditor")
    assert 'name="kind" value="audit_verify"' in client.get("/audit/anchors").get_data(as_text=True)
    job_id = _job_id(_ask(client, "audit_verify"))
    assert _job_id(_ask(client, "audit_verify")) == job_id  # asked twice: the same job, still open
    with app.app_context():
        assert worker.run_pass().jobs == 1  # the worker's pass: timers and calls, then a slice of jobs
    page = client.get(f"/jobs/{job_id}").get_data(as_text=True)
    assert '<progress value="1" max="3"' in page and "进行中" in page and "data-job-progress" in page
    assert client.get(f"/jobs/{job_id}.json").get_json()["percent"] == 33
    with app.app_context():
        worker.run_pass()
    assert '<progress value="2" max="3"' in client.get(f"/jobs/{job_id}").get_data(as_text=True)  # reloaded
    assert '<progress value="2" max="3"' in client.get("/jobs/").get_data(as_text=True)
    with app.app_context():
        worker.run_pass()
        job = db.session().get(BackgroundJob, job_id)
        assert (job.status, job.result["passed"]) == ("done", 3)
    page = client.get(f"/jobs/{job_id}").get_data(as_text=True)
    assert "共验证 3 件案件，全部通过" in page
    assert client.get(f"/jobs/{job_id}/result").mimetype == "application/json"


def test_wrong_requests_are_refused_beside_the_form_or_by_scope(app, client):
    login(client, "auditor")
    wrong = _ask(client, "documents_zip", township="", date_from="2026-12-01", date_to="2026-01-01")
    assert wrong.status_code == 422
    page = wrong.get_data(as_text=True)
    assert 'aria-invalid="true"' in page and "请选择乡镇（街道）" in page
    assert _ask(client, "documents_zip", township="640104001", date_from="2026-12-01",
                date_to="2026-01-01").status_code == 422
    login(client, "reviewer-001")
    assert _ask(client, "audit_verify").status_code == 403  # replay verification is the county's
    assert _ask(client, "roster_export", township="640104002", year="2027").status_code == 403
    login(client, "clerk-001")
    assert client.get("/jobs/").status_code == 403
    with app.app_context():
        assert db.session().scalars(select(BackgroundJob)).all() == []


def test_an_expired_result_says_so_and_the_compact_command_deletes_it(app, client, at_monday):
    login(client, "leader-001")
    job_id = _job_id(_ask(client, "roster_export", township="640104001", year="2026"))
    assert app.test_cli_runner().invoke(args=["run-jobs"]).exit_code == 0
    with clock.frozen(clock.now() + timedelta(days=15)):
        ran = app.test_cli_runner().invoke(args=["compact"])
    assert ran.exit_code == 0 and "已删除 1 个过期的后台任务结果文件" in ran.output, ran.output
    page = client.get(f"/jobs/{job_id}").get_data(as_text=True)
    assert "过期删除" in page and f"/jobs/{job_id}/result" not in page
    assert "结果已过期删除" in client.get("/jobs/").get_data(as_text=True)
    assert client.get(f"/jobs/{job_id}.json").get_json()["has_result"] is False
    refused = client.get(f"/jobs/{job_id}/result")
    assert refused.status_code == 409 and "过期删除，请重新申请" in refused.get_data(as_text=True)
