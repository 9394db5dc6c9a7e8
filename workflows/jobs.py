"""Background jobs (后台任务): asking for one, who may, and how workers run them in slices.

A person asks for a job (``request_job``: the kind's parameters checked, the role and township
scope checked here, an identical open job of theirs given back instead of a second one). The worker
runs jobs a slice at a time (``run_slice``: ``system.job_slice_seconds`` per pass; ``run_all`` for
``flask run-jobs``). A job is claimed with ``SELECT … FOR UPDATE SKIP LOCKED`` and a conditional
write, then worked in batches of ``system.job_progress_every`` items: after each batch the progress
and the checkpoint are committed in a short transaction of their own, which also refreshes the
heartbeat — on the condition that the job is still this worker's. A job whose worker died (its
heartbeat older than ``system.job_stale_after_seconds``) is claimed again and continues from its
checkpoint; the old worker, should it wake, finds the job is no longer its own and stops.
"""

import logging
import os
import socket
import time
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import func, or_, select, update
from sqlalchemy.orm import Session, sessionmaker

from . import access, clock, job_kinds, roster
from .errors import Conflict, DomainError, Forbidden, Invalid, NotFound
from .settings import SettingsView
from .step import Services
from .store import BackgroundJob, Township, User, unit_of_work
from .store.job import DONE, FAILED, OPEN_STATUSES, QUEUED, RUNNING

REQUEST_ROLES = ("reviewer", "leader", "county_auditor", "admin")
KINDS = job_kinds.KINDS
log = logging.getLogger(__name__)


class JobLost(Exception):
    """The job is no longer this worker's (its heartbeat went stale and another worker took it)."""


# --- asking for a job, and seeing it --------------------------------------------------------------------


def _scope(session: Session, user: User, township: str | None, district_ok: bool) -> str | None:
    """The township a job of ``user`` covers (None: the whole district); Forbidden outside their scope."""
    if user.role not in REQUEST_ROLES:
        raise Forbidden("只有乡镇初审、审核确认人员和区级人员可以申请后台任务",
                        "Only township reviewers and leaders and county staff may request background jobs")
    if user.is_township_staff:
        if township and township != user.township_code:
            raise Forbidden("只能申请本乡镇（街道）的后台任务", "You may request jobs for your own township only")
        return user.township_code
    if not township:
        if district_ok:
            return None
        raise Invalid("请选择乡镇（街道）", "Choose a township", {"township": "请选择乡镇（街道）"})
    if session.get(Township, township) is None:
        raise Invalid("没有这个乡镇（街道）", "No such township", {"township": "没有这个乡镇（街道）"})
    return township


def check_can_request(session: Session, user: User, kind: str, township: str | None) -> str | None:
    """Raise unless ``user`` may run a job of ``kind`` for ``township``; returns the township it covers.

    Replay verification is the county's (auditors and administrators: one township or the whole
    district); archives of documents and rosters are for a township's reviewer and leader (their own)
    and the county roles (any township).
    """
    if kind not in KINDS:
        raise Invalid("没有这种后台任务", "No such kind of job", {"kind": "没有这种后台任务"})
    if kind == "audit_verify":
        access.check_can_audit(user)
    scope = _scope(session, user, township, district_ok=kind == "audit_verify")
    if kind == "roster_export":
        roster.check_can_view(user, scope)
    return scope


def request_job(session: Session, user: User, kind: str, form: dict) -> BackgroundJob:
    """Queue a job (the caller commits), or give back the same person's identical job still open.

    Args:
        kind: ``audit_verify``, ``documents_zip`` or ``roster_export``.
        form: what was asked: ``township`` (county roles), and the kind's own fields.

    Raises:
        Forbidden: the role, or a township outside the user's scope.
        Invalid: the parameters (``details`` by field).
    """
    scope = check_can_request(session, user, kind, (form.get("township") or "").strip() or None)
    params = KINDS[kind].parse(form)
    same = session.scalars(select(BackgroundJob).where(
        BackgroundJob.requested_by_id == user.id, BackgroundJob.kind == kind,
        BackgroundJob.status.in_(OPEN_STATUSES),
        BackgroundJob.township_code.is_(None) if scope is None else BackgroundJob.township_code == scope,
    )).all()
    for job in same:
        if job.params == params:
            return job
    job = BackgroundJob(kind=kind, params=params, requested_by_id=user.id, township_code=scope, status=QUEUED,
                        done=0, total=0, attempts=0, created_at=clock.now())
    session.add(job)
    session.flush()
    return job


def jobs_of(session: Session, user: User, limit: int = 50) -> list[BackgroundJob]:
    """The user's jobs, newest first."""
    query = (select(BackgroundJob).where(BackgroundJob.requested_by_id == user.id)
             .order_by(BackgroundJob.created_at.desc(), BackgroundJob.id.desc()).limit(limit))
    return list(session.scalars(query))


def job_for(session: Session, user: User, job_id: int) -> BackgroundJob:
    """One of the user's jobs, if it is still within what they may see.

    Raises:
        NotFound: no such job, or another person's.
        Forbidden: the user's role or township changed since and no longer covers the job.
    """
    job = session.get(BackgroundJob, job_id)
    if job is None or job.requested_by_id != user.id:
        raise NotFound("未找到该后台任务，或您无权查看", "No such job, or not visible to you")
    if job.kind in KINDS:  # (a job of an unknown kind failed: it has nothing to show)
        check_can_request(session, user, job.kind, job.township_code)
    return job


def progress(job: BackgroundJob) -> dict:
    """How far the job got, for the progress bar (JSON-friendly)."""
    percent = 100 if job.status == DONE else (job.done * 100 // job.total if job.total else 0)
    return {"id": job.id, "kind": job.kind, "status": job.status, "done": job.done, "total": job.total,
            "percent": min(percent, 100), "message": job.message or "",
            "finished": job.status not in OPEN_STATUSES, "has_result": job.status == DONE and not expired(job)}


def expired(job: BackgroundJob) -> bool:
    """Whether the job's result file was deleted after ``system.job_result_days`` (the summary is kept)."""
    return bool((job.result or {}).get("expired_on"))


def result_of(session: Session, user: User, job_id: int, store) -> tuple[bytes, str, str]:
    """The finished job's result as a download: (bytes, file name, ``zip`` or ``json``).

    A file is read back from the document store, checked against its SHA-256; a summary is its JSON.

    Raises:
        Conflict: the job has not finished, or failed.
    """
    job = job_for(session, user, job_id)
    if job.status != DONE:
        raise Conflict("该后台任务尚未完成，没有可下载的结果", "The job has not finished: there is nothing to download")
    if expired(job):
        raise Conflict(f"该任务的结果文件已于 {job.result['expired_on']} 过期删除，请重新申请",
                       f"The job's file was deleted on {job.result['expired_on']}: ask for the job again")
    if job.result_sha256:
        return store.get(job.result_sha256, ".zip"), job.result_name or f"job-{job.id}.zip", "zip"
    return job_kinds.summary_bytes(job.result or {}), job.result_name or f"job-{job.id}.json", "json"


# --- running jobs ---------------------------------------------------------------------------------------


@dataclass
class JobRun:
    """One worker's hold on one job for one slice: what it needs, and the progress it has not saved yet."""

    factory: sessionmaker[Session]
    services: Services
    workdir: Path
    job_id: int
    token: str
    kind: str
    params: dict
    township: str | None
    state: dict | None
    done: int
    total: int
    every: int
    deadline: float
    note: str | None = None  # what the job's page says about this run (resumed after a crash, packed again)

    def save(self, **values) -> None:
        """Commit progress in a transaction of its own (heartbeat too); JobLost if the job is not ours now."""
        values = {"done": self.done, "total": self.total, "state": self.state, **values}
        with unit_of_work(self.factory) as sess:
            held = sess.execute(
                update(BackgroundJob).where(BackgroundJob.id == self.job_id, BackgroundJob.claimed_by == self.token)
                .values(heartbeat_at=clock.now(), **values).execution_options(synchronize_session=False)
            ).rowcount
        if not held:
            raise JobLost(self.job_id)

    def out_of_time(self) -> bool:
        """True when this slice has used its time."""
        return time.monotonic() >= self.deadline


@dataclass
class RunReport:
    """What one slice (or ``run_all``) did: job ids by outcome."""

    finished: list[int] = field(default_factory=list)
    failed: list[int] = field(default_factory=list)
    paused: list[int] = field(default_factory=list)
    lost: list[int] = field(default_factory=list)

    @property
    def touched(self) -> int:
        """Jobs that were worked on."""
        return len(self.finished) + len(self.failed) + len(self.paused) + len(self.lost)


def worker_token() -> str:
    """A name for one claim: host, process and a random part (two claims never share one)."""
    return f"{socket.gethostname()[:30]}-{os.getpid()}-{uuid.uuid4().hex[:12]}"


def _claimable(now: datetime, stale: timedelta):
    return (BackgroundJob.status.in_(OPEN_STATUSES),
            or_(BackgroundJob.claimed_by.is_(None), BackgroundJob.heartbeat_at < now - stale))


def claim(session: Session, token: str, now: datetime, stale: timedelta) -> BackgroundJob | None:
    """Take the job worked on least recently (queued, between slices, or its worker's heartbeat stale).

    The row is locked, skipping rows other workers have locked, and taken by a write on the
    condition that it is still free: where rows cannot be locked (SQLite) a second worker's write
    waits for the first one's commit and then matches nothing. The caller commits at once.
    """
    job = session.scalars(
        select(BackgroundJob).where(*_claimable(now, stale))
        .order_by(func.coalesce(BackgroundJob.heartbeat_at, BackgroundJob.created_at), BackgroundJob.id)
        .limit(1).with_for_update(skip_locked=True)
    ).first()
    if job is None:
        return None
    crashed = job.claimed_by is not None
    taken = session.execute(
        update(BackgroundJob).where(BackgroundJob.id == job.id, *_claimable(now, stale))
        .values(claimed_by=token, heartbeat_at=now, status=RUNNING, attempts=BackgroundJob.attempts + 1,
                started_at=func.coalesce(BackgroundJob.started_at, now))
        .execution_options(synchronize_session=False)
    ).rowcount
    if not taken:
        return None
    session.refresh(job)
    if crashed:
        job.message = "上次运行的后台进程中断，已由其他进程从最近的进度继续"
    return job


def _settings(session: Session) -> SettingsView:
    return SettingsView(session, "", clock.today())


def _claim_run(factory, services: Services, workdir: Path, deadline: float) -> JobRun | None:
    token = worker_token()
    with unit_of_work(factory) as sess:
        settings = _settings(sess)
        stale = timedelta(seconds=int(settings.get("system.job_stale_after_seconds")))
        job = claim(sess, token, clock.now(), stale)
        if job is None:
            return None
        return JobRun(factory, services, workdir, job.id, token, job.kind, job.params, job.township_code, job.state,
                      job.done, job.total, max(1, int(settings.get("system.job_progress_every"))), deadline,
                      job.message)


def _finish(run: JobRun, **values) -> None:
    run.save(claimed_by=None, finished_at=clock.now(), **values)


def work(run: JobRun) -> str:
    """Work the claimed job until it is done or the slice's time is up; returns the outcome."""
    kind = KINDS.get(run.kind)
    try:
        if kind is None:
            raise DomainError(f"没有这种后台任务：{run.kind}", f"No such kind of job: {run.kind}")
        kind.prepare(run)
        run.save(**({"message": run.note} if run.note else {}))
        while True:
            with unit_of_work(run.factory) as sess:
                ids = kind.batch(sess, run)
                if ids:
                    kind.process(sess, run, ids)
            if not ids:
                break
            run.done += len(ids)
            run.state = {**run.state, "after": ids[-1]}
            run.save()
            if run.out_of_time() and run.done < run.total:  # (all counted done: finish rather than pause)
                run.save(claimed_by=None)
                return "paused"
        with unit_of_work(run.factory) as sess:
            outcome = kind.finish(sess, run)
        _finish(run, status=DONE, result=outcome.summary, result_sha256=outcome.sha256, result_name=outcome.name,
                message=run.note)
        return "finished"
    except JobLost:
        return "lost"
    except Exception as err:  # noqa: BLE001 - a failing job is recorded as failed; the worker carries on
        log.warning("background job %s failed: %s", run.job_id, err)
        text = err.message_zh if isinstance(err, DomainError) else f"{type(err).__name__}: {err}"
        try:
            _finish(run, status=FAILED, message=f"后台任务出错：{text}"[:2000])
        except JobLost:
            return "lost"
        job_kinds.discard(run)
        return "failed"


def _run(factory, services: Services, workdir: Path, seconds: float | None) -> RunReport:
    deadline = float("inf") if seconds is None else time.monotonic() + seconds
    report = RunReport()
    while True:
        run = _claim_run(factory, services, workdir, deadline)
        if run is None:
            return report
        getattr(report, work(run)).append(run.job_id)
        if time.monotonic() >= deadline:
            return report


def run_slice(factory, services: Services, workdir: Path) -> RunReport:
    """One worker pass's share: jobs for about ``system.job_slice_seconds`` (at least one batch)."""
    with unit_of_work(factory) as sess:
        seconds = float(_settings(sess).get("system.job_slice_seconds"))
    return _run(factory, services, workdir, seconds)


def run_all(factory, services: Services, workdir: Path, seconds: float | None = None) -> RunReport:
    """Run every job that can be claimed until none is left (or ``seconds`` are up): ``flask run-jobs``."""
    return _run(factory, services, workdir, seconds)


# --- keeping results ------------------------------------------------------------------------------------


def _still_offered(session: Session, sha256: str) -> bool:
    """Whether another job still offers the same zip (the store is content-addressed: one file serves both;
    an older one expiring in the same run has let go of it already, so the last to let go deletes it)."""
    return bool(session.scalar(select(BackgroundJob.id).where(BackgroundJob.result_sha256 == sha256).limit(1)))


def expire_results(session: Session, store) -> int:
    """Delete the files of jobs finished more than ``system.job_result_days`` ago; how many jobs lost theirs.

    An archive or export is a copy of what the case records and the document store already hold, so it
    is kept only long enough to be downloaded; the job's summary stays, and the file can be asked for
    again. A zip a newer job still offers (the same bytes) is left in the store.
    """
    days = int(SettingsView(session, "", clock.today()).get("system.job_result_days"))
    old = session.scalars(select(BackgroundJob).where(
        BackgroundJob.status == DONE, BackgroundJob.result_sha256.is_not(None),
        BackgroundJob.finished_at < clock.now() - timedelta(days=days))).all()
    for job in old:
        sha, job.result_sha256 = job.result_sha256, None
        job.result = {**(job.result or {}), "expired_on": clock.today().isoformat()}
        session.flush()
        if not _still_offered(session, sha):
            store.path(sha, ".zip").unlink(missing_ok=True)
    return len(old)
