"""Background jobs (后台任务): who may ask, claiming with SKIP LOCKED, progress in slices, crash recovery, results."""

import csv
import io
import threading
import zipfile
from datetime import date, timedelta

import pytest
from sqlalchemy import select, text, update

from tests import factories as f
from tests.drive import approved, start, user
from tests.drive import roster as drive_roster
from workflows import clock, jobs, roster, settings
from workflows.errors import Conflict, Forbidden, Invalid, NotFound
from workflows.store import BackgroundJob, Case, CaseEvent, Document, unit_of_work

STALE = timedelta(seconds=600)  # system.job_stale_after_seconds in the reference settings


def _setting(factory, key: str, value) -> None:
    with unit_of_work(factory) as sess:
        settings.set_value(sess, key, "", date(2026, 1, 1), value, "test")


def _queue(factory, username: str, kind: str, **form) -> int:
    with unit_of_work(factory) as sess:
        return jobs.request_job(sess, user(sess, username), kind, form).id


def _job(factory, job_id: int) -> BackgroundJob:
    with unit_of_work(factory) as sess:
        return sess.get(BackgroundJob, job_id)


def _cases(factory, services, n: int) -> list[str]:
    """n cases registered at 640104001's window, one person each."""
    return [start(factory, services, f.registration(members=[f.member(f"申请人{i}", date(1970, 1, 1 + i), seq=i)]))
            for i in range(1, n + 1)]


def _run(factory, services, tmp_path, seconds=None) -> jobs.RunReport:
    return jobs.run_all(factory, services, tmp_path / "jobs", seconds)


def _result(factory, services, job_id: int, username: str):
    with unit_of_work(factory) as sess:
        return jobs.result_of(sess, user(sess, username), job_id, services.store)


def test_who_may_ask_for_which_job(factory, at_monday):
    with unit_of_work(factory) as sess:
        with pytest.raises(Forbidden):  # window clerks run no jobs
            jobs.request_job(sess, user(sess, "clerk-001"), "roster_export", {"year": "2027"})
        with pytest.raises(Forbidden):  # replay verification is the county's
            jobs.request_job(sess, user(sess, "reviewer-001"), "audit_verify", {})
        with pytest.raises(Forbidden):  # another township
            jobs.request_job(sess, user(sess, "leader-001"), "roster_export", {"township": "640104002", "year": "2027"})
        with pytest.raises(Invalid) as err:  # county roles name the township of an archive
            jobs.request_job(sess, user(sess, "auditor"), "documents_zip",
                             {"date_from": "2026-01-01", "date_to": "2026-12-31"})
        assert "township" in err.value.details
        with pytest.raises(Invalid) as err:
            jobs.request_job(sess, user(sess, "reviewer-001"), "documents_zip",
                             {"date_from": "2026-12-31", "date_to": "2026-01-01"})
        assert "date_to" in err.value.details
        with pytest.raises(Invalid):
            jobs.request_job(sess, user(sess, "reviewer-001"), "roster_export", {"year": "27"})
        with pytest.raises(Invalid):
            jobs.request_job(sess, user(sess, "reviewer-001"), "backup_everything", {})
        district = jobs.request_job(sess, user(sess, "auditor"), "audit_verify", {})
        own = jobs.request_job(sess, user(sess, "reviewer-001"), "roster_export", {"year": "2027"})
        assert (district.township_code, own.township_code) == (None, "640104001")
        again = jobs.request_job(sess, user(sess, "reviewer-001"), "roster_export", {"year": "2027", "township": ""})
        assert again.id == own.id  # the same open job, not a second one
        with pytest.raises(NotFound):  # each person sees their own jobs
            jobs.job_for(sess, user(sess, "leader-001"), own.id)
        assert jobs.job_for(sess, user(sess, "reviewer-001"), own.id) is own


def test_workers_claim_each_job_once_skipping_locked_rows(db_url, factory, at_monday):
    ids = [_queue(factory, "auditor", "audit_verify", township=t) for t in ("640104001", "640104002")]
    with unit_of_work(factory) as first:
        mine = jobs.claim(first, "worker-a", clock.now(), STALE)
        assert mine is not None and mine.id == ids[0]  # the oldest first
        if db_url.startswith("postgresql"):  # its row stays locked until this commit: another worker skips it
            with unit_of_work(factory) as second:
                second.execute(text("SET LOCAL lock_timeout = '5s'"))  # waiting on the row would be the bug
                other = jobs.claim(second, "worker-b", clock.now(), STALE)
                assert other is not None and other.id == ids[1]
    if not db_url.startswith("postgresql"):  # SQLite: the write that takes a job waits; the job is then taken
        with unit_of_work(factory) as second:
            assert jobs.claim(second, "worker-b", clock.now(), STALE).id == ids[1]
    with unit_of_work(factory) as third:
        assert jobs.claim(third, "worker-c", clock.now(), STALE) is None  # both held, heartbeats fresh
    assert [_job(factory, i).claimed_by for i in ids] == ["worker-a", "worker-b"]


def test_concurrent_claims_never_share_a_job(db_url, factory, at_monday):
    ids = {_queue(factory, "auditor", "audit_verify", township=t) for t in ("640104001", "640104002")}
    barrier, taken, errors = threading.Barrier(4), [], []

    def claim(name: str) -> None:
        try:
            with clock.frozen(at_monday), unit_of_work(factory) as sess:
                barrier.wait()
                job = jobs.claim(sess, name, clock.now(), STALE)
                taken.append(job.id if job else None)
        except Exception as err:  # noqa: BLE001 - reported by the assertion
            errors.append(err)

    threads = [threading.Thread(target=claim, args=(f"worker-{i}",)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    claimed = [i for i in taken if i is not None]
    assert errors == [] and len(claimed) == len(set(claimed)) and set(claimed) <= ids
    if db_url.startswith("postgresql"):  # skip locked: the two free jobs go to two of the four workers
        assert set(claimed) == ids


def test_progress_is_committed_batch_by_batch_and_a_slice_stops_when_its_time_is_up(factory, services, tmp_path,
                                                                                     at_monday):
    _setting(factory, "system.job_progress_every", 1)
    _cases(factory, services, 3)
    job_id = _queue(factory, "auditor", "audit_verify")
    assert (_job(factory, job_id).status, _job(factory, job_id).total) == ("queued", 0)
    report = _run(factory, services, tmp_path, seconds=0)  # one batch, then the slice is over
    assert report.paused == [job_id]
    job = _job(factory, job_id)
    assert (job.status, job.done, job.total, job.claimed_by) == ("running", 1, 3, None)
    assert job.heartbeat_at == at_monday and job.state["passed"] == 1
    assert jobs.progress(job)["percent"] == 33
    assert _run(factory, services, tmp_path, seconds=0).paused == [job_id]
    assert _job(factory, job_id).done == 2
    assert _run(factory, services, tmp_path).finished == [job_id]
    job = _job(factory, job_id)
    assert (job.status, job.done, job.attempts, job.claimed_by) == ("done", 3, 3, None)
    assert job.result == {"scope": "", "cases": 3, "passed": 3, "failed_count": 0, "failed": []}
    assert jobs.progress(job) | {"id": 0} == {
        "id": 0, "kind": "audit_verify", "status": "done", "done": 3, "total": 3, "percent": 100, "message": "",
        "finished": True, "has_result": True}


def test_a_crashed_workers_job_is_picked_up_again_from_its_checkpoint(factory, services, tmp_path, at_monday):
    _setting(factory, "system.job_progress_every", 1)
    _cases(factory, services, 2)
    job_id = _queue(factory, "auditor", "audit_verify")
    _run(factory, services, tmp_path, seconds=0)  # the first case verified, the checkpoint committed
    with unit_of_work(factory) as sess:  # a worker takes the job and dies before writing any progress
        dead = jobs.claim(sess, "dead-worker", clock.now(), STALE)
        assert dead.id == job_id
    with clock.frozen(at_monday + STALE - timedelta(seconds=1)):
        assert _run(factory, services, tmp_path).touched == 0  # its heartbeat is still fresh: left alone
    with clock.frozen(at_monday + STALE + timedelta(seconds=1)):
        assert _run(factory, services, tmp_path).finished == [job_id]
    job = _job(factory, job_id)
    assert (job.status, job.done, job.attempts) == ("done", 2, 3)
    assert job.result["passed"] == 2 and job.result["cases"] == 2  # the first case counted once, not again
    assert "中断" in job.message
    woke = jobs.JobRun(factory, services, tmp_path, job_id, "dead-worker", job.kind, job.params, None, job.state,
                       1, 2, 1, 0.0)
    with pytest.raises(jobs.JobLost):  # the dead worker, waking up, may not write to the job any more
        woke.save()
    assert _job(factory, job_id).done == 2


def test_audit_verify_finds_the_tampered_case(factory, services, tmp_path, at_monday):
    good, bad = _cases(factory, services, 2)
    with unit_of_work(factory) as sess:
        event = sess.scalars(select(CaseEvent).join(Case, Case.id == CaseEvent.case_id)
                             .where(CaseEvent.seq == 1, Case.case_no == bad)).one()
        event.data = event.data.replace("申请人2", "冒名人")
    district = _queue(factory, "auditor", "audit_verify")
    elsewhere = _queue(factory, "admin", "audit_verify", township="640104002")
    report = _run(factory, services, tmp_path)
    assert sorted(report.finished) == sorted([district, elsewhere])
    result = _job(factory, district).result
    assert (result["cases"], result["passed"], result["failed_count"]) == (2, 1, 1)
    assert result["failed"][0]["case_no"] == bad and result["failed"][0]["township_code"] == "640104001"
    assert result["failed"][0]["problems"] or result["failed"][0]["divergence"]
    assert _job(factory, district).message is None  # (the page says it from the result, in the user's language)
    assert _job(factory, elsewhere).result["cases"] == 0  # no case of 640104002
    content, name, kind = _result(factory, services, district, "auditor")
    assert (name, kind) == ("全区重放验证结果.json", "json")
    assert bad.encode() in content and good.encode() not in content


def _manifest(zf: zipfile.ZipFile) -> list[dict]:
    return list(csv.DictReader(io.StringIO(zf.read("清单.csv").decode("utf-8-sig"))))


def test_documents_zip_packs_the_townships_pdfs_of_the_period_checked(factory, services, tmp_path, at_monday):
    approved(factory, services, at_monday)
    with unit_of_work(factory) as sess:
        docs = {d.number: d for d in sess.scalars(select(Document).where(Document.township_code == "640104001"))}
    assert {d.kind for d in docs.values()} >= {"approval_notice", "public_notice_list"}
    everything = _queue(factory, "reviewer-001", "documents_zip", date_from="2026-11-01", date_to="2026-12-31")
    notices = _queue(factory, "auditor", "documents_zip", township="640104001", date_from="2026-11-01",
                     date_to="2026-12-31", kinds=["approval_notice"])
    before = _queue(factory, "leader-001", "documents_zip", date_from="2026-01-01", date_to="2026-10-31")
    assert sorted(_run(factory, services, tmp_path).finished) == sorted([everything, notices, before])
    content, name, kind = _result(factory, services, everything, "reviewer-001")
    assert (name, kind) == ("凤凰北街街道2026-11-01至2026-12-31文书.zip", "zip")
    assert _job(factory, everything).result_sha256 == services.store.put(content, ".zip")  # stored by its SHA-256
    with zipfile.ZipFile(io.BytesIO(content)) as zf:
        assert sorted(zf.namelist()) == sorted([f"{d.kind}/{n}.pdf" for n, d in docs.items()] + ["清单.csv"])
        for number, doc in docs.items():
            assert zf.read(f"{doc.kind}/{number}.pdf") == services.store.get(doc.sha256)
        rows = _manifest(zf)
    assert {r["文书编号"]: r["SHA-256"] for r in rows} == {n: d.sha256 for n, d in docs.items()}
    with zipfile.ZipFile(io.BytesIO(_result(factory, services, notices, "auditor")[0])) as zf:
        assert [n for n in zf.namelist() if n.endswith(".pdf")] == [
            f"approval_notice/{n}.pdf" for n, d in docs.items() if d.kind == "approval_notice"]
    with zipfile.ZipFile(io.BytesIO(_result(factory, services, before, "leader-001")[0])) as zf:
        assert zf.namelist() == ["清单.csv"] and _manifest(zf) == [{"说明": "所选范围内没有文件"}]
    assert not list((tmp_path / "jobs").iterdir())  # no part file left behind


def test_a_missing_file_is_listed_not_packed_and_a_lost_part_file_is_packed_again(factory, services, tmp_path,
                                                                                 at_monday):
    _setting(factory, "system.job_progress_every", 1)
    approved(factory, services, at_monday)
    with unit_of_work(factory) as sess:
        docs = list(sess.scalars(select(Document).where(Document.township_code == "640104001").order_by(Document.id)))
    job_id = _queue(factory, "reviewer-001", "documents_zip", date_from="2026-11-01", date_to="2026-12-31")
    _run(factory, services, tmp_path, seconds=0)  # the first file packed
    (part,) = (tmp_path / "jobs").iterdir()
    part.unlink()  # e.g. the next worker runs on another host without the part file
    services.store.path(docs[-1].sha256).unlink()  # and a stored PDF went missing
    assert _run(factory, services, tmp_path).finished == [job_id]
    job = _job(factory, job_id)
    assert job.done == len(docs) and job.result["problems"] == [docs[-1].number]
    assert job.message == "上次未完成的打包文件不完整，已从头重新打包"
    with zipfile.ZipFile(io.BytesIO(_result(factory, services, job_id, "reviewer-001")[0])) as zf:
        assert sorted(zf.namelist()) == sorted([f"{d.kind}/{d.number}.pdf" for d in docs[:-1]] + ["清单.csv"])
        assert [r["压缩包内文件"] for r in _manifest(zf)][-1] == "（文件缺失或已被改动，未打包）"


def test_roster_export_packs_a_years_workbooks_and_pdfs(factory, services, tmp_path, at_monday):
    approved(factory, services, at_monday)
    with clock.frozen(at_monday + timedelta(days=8)):
        drive_roster(factory, services, "2027-01")  # drawn up by the reviewer, approved (issued) by the leader
    with unit_of_work(factory) as sess:
        issued = roster.find(sess, "640104001", "2027-01")
        xlsx, pdf_sha = issued.xlsx_sha256, roster.pdf_document(sess, issued).sha256
    job_id = _queue(factory, "leader-001", "roster_export", year="2027")
    empty = _queue(factory, "leader-001", "roster_export", year="2026")
    _run(factory, services, tmp_path)
    content, name, _ = _result(factory, services, job_id, "leader-001")
    assert name == "凤凰北街街道2027年发放花名册.zip"
    with zipfile.ZipFile(io.BytesIO(content)) as zf:
        assert zf.read("2027-01发放花名册.xlsx") == services.store.get(xlsx, ".xlsx")
        assert zf.read("2027-01发放花名册.pdf") == services.store.get(pdf_sha)
        (row,) = _manifest(zf)
    assert (row["发放月份"], row["户数"], row["与在保登记簿核对"], row["文件"]) == ("2027-01", "1", "一致", "已打包")
    assert _job(factory, empty).result == {"rosters": 0, "files": 0, "problems": []}


def test_a_failing_job_is_recorded_and_the_others_still_run(factory, services, tmp_path, at_monday):
    broken = _queue(factory, "reviewer-001", "roster_export", year="2027")
    fine = _queue(factory, "auditor", "audit_verify")
    with unit_of_work(factory) as sess:  # a job of a kind this code does not know (e.g. written by a newer release)
        sess.execute(update(BackgroundJob).where(BackgroundJob.id == broken).values(kind="unknown_kind"))
    report = _run(factory, services, tmp_path)
    assert (report.failed, report.finished) == ([broken], [fine])
    job = _job(factory, broken)
    assert job.status == "failed" and "unknown_kind" in job.message and job.claimed_by is None
    with pytest.raises(Conflict):  # the person sees it failed; there is nothing to download
        _result(factory, services, broken, "reviewer-001")


def test_result_files_are_deleted_after_the_setting_and_the_summary_stays(factory, services, tmp_path, at_monday):
    with clock.frozen(at_monday):
        old = _queue(factory, "leader-001", "roster_export", year="2026")
        _run(factory, services, tmp_path)
    sha = _job(factory, old).result_sha256
    assert services.store.path(sha, ".zip").exists()
    with clock.frozen(at_monday + timedelta(days=10)):  # a newer job offers the very same bytes
        newer = _queue(factory, "leader-001", "roster_export", year="2026")
        _run(factory, services, tmp_path)
        with unit_of_work(factory) as sess:
            sess.get(BackgroundJob, newer).result_sha256 = sha
            assert jobs.expire_results(sess, services.store) == 0  # 10 days < system.job_result_days (14)
    with clock.frozen(at_monday + timedelta(days=15)), unit_of_work(factory) as sess:
        assert jobs.expire_results(sess, services.store) == 1
    assert services.store.path(sha, ".zip").exists()  # still the newer job's result
    expired = _job(factory, old)
    assert expired.result_sha256 is None
    assert expired.result["expired_on"] == (at_monday + timedelta(days=15)).date().isoformat()
    assert expired.result["rosters"] == 0 and not jobs.progress(expired)["has_result"]
    with pytest.raises(Conflict) as refused:
        _result(factory, services, old, "leader-001")
    assert "过期删除，请重新申请" in refused.value.message_zh
    with clock.frozen(at_monday + timedelta(days=30)), unit_of_work(factory) as sess:
        assert jobs.expire_results(sess, services.store) == 1
    assert not services.store.path(sha, ".zip").exists()
    with clock.frozen(at_monday + timedelta(days=30)), unit_of_work(factory) as sess:
        assert jobs.expire_results(sess, services.store) == 0  # nothing left to expire


def test_audit_verify_checks_stored_documents_and_re_renders_them_only_when_asked(factory, services, tmp_path,
                                                                                  at_monday):
    case_no = approved(factory, services, at_monday)
    with unit_of_work(factory) as sess:
        case = sess.scalars(select(Case).where(Case.case_no == case_no)).one()
        doc = sess.scalars(select(Document).where(Document.case_id == case.id)).first()
        number, path = doc.number, services.store.path(doc.sha256)
    fast = _queue(factory, "auditor", "audit_verify")
    _run(factory, services, tmp_path)
    assert _job(factory, fast).params == {"render": False} and _job(factory, fast).result["failed_count"] == 0
    original = path.read_bytes()
    path.write_bytes(original + b"%changed")  # the stored file no longer is the one the chain records
    again = _queue(factory, "auditor", "audit_verify")
    _run(factory, services, tmp_path)
    (failed,) = _job(factory, again).result["failed"]
    assert f"文书 {number}：保存的文件缺失或被改动" in failed["problems"]
    path.write_bytes(original)
    thorough = _queue(factory, "auditor", "audit_verify", render="1")
    _run(factory, services, tmp_path)
    assert _job(factory, thorough).params == {"render": True}
    assert _job(factory, thorough).result["failed_count"] == 0
