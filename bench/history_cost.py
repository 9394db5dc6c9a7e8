"""P2, P6, P7: step cost against history length, replay of one case, stored bytes per finished case.

- P2: the engine's work for one step — restore the snapshot on its pinned version, complete the
  township review, run the engine, digest and serialize the state — on a case at its first review
  and on a case whose review was sent back for investigation again and again (about 200 earlier
  steps). In this design a household's years of reviews are separate cases (process
  dibao_review), so one case's history stays short; the long case here is the worst a single
  case can get, by loops inside one application.
- P6: replay-verify one finished case with about 20 recorded steps (an objection and a second notice).
- P7: stored bytes per finished case: the SQLite file grows by this much per approved case, after
  VACUUM, with every table written by the steps (documents are files and are left out).
"""

import os
import shutil
import sqlite3
import statistics
import tempfile
import time
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from uuid import UUID

from sqlalchemy import func, select

from tests import factories as f
from webapp.documents import render_pdf
from workflows import clock, demo, engine, procedure, queries, reference, replay, reviews, runtime, specs, store
from workflows.adapters.simulator import SimulatorAdapter
from workflows.documents import DocumentStore
from workflows.script_env import StepContext, script_engine
from workflows.step import Services
from workflows.store import Benefit, Case, CaseEvent, CaseSnapshot, OutsideCall, User


@contextmanager
def _database():
    workdir = Path(tempfile.mkdtemp(prefix="dibao-bench-"))
    engine_ = store.make_engine(f"sqlite:///{workdir / 'bench.sqlite3'}")
    store.create_schema(engine_)
    factory = store.make_session_factory(engine_)
    with store.unit_of_work(factory) as sess:
        reference.load(sess)
        demo.create_users(sess)
    try:
        yield factory, Services(render_pdf, DocumentStore(workdir / "documents")), workdir / "bench.sqlite3"
    finally:
        engine_.dispose()
        shutil.rmtree(workdir, ignore_errors=True)


class _Driver:
    """Drives cases through the real engine as the demo accounts of 凤凰北街街道."""

    def __init__(self, factory, services):
        self.factory, self.services, self.n = factory, services, 0

    def _user(self, sess, name):
        return sess.scalars(select(User).where(User.username == name)).one()

    def start(self) -> str:
        self.n += 1
        people = [f.member(f"测试{self.n}", f.date(1970, 1, 1), "self", "300", seq=2 * self.n + 1)]
        with store.unit_of_work(self.factory) as sess:
            return engine.start_case(sess, self._user(sess, "clerk-001"), f.registration(people),
                                     self.services).case.case_no

    def do(self, case_no, who, answers):
        with store.unit_of_work(self.factory) as sess:
            case = sess.scalars(select(Case).where(Case.case_no == case_no)).one()
            task = queries.case_open_tasks(sess, case)[0]
            engine.complete_task(sess, self._user(sess, who), task.id, answers, self.services)

    def members(self, case_no):
        with store.unit_of_work(self.factory) as sess:
            case = sess.scalars(select(Case).where(Case.case_no == case_no)).one()
            return queries.case_data(sess, case)["members"]

    def check(self, case_no):
        with store.unit_of_work(self.factory) as sess:
            case = sess.scalars(select(Case).where(Case.case_no == case_no)).one()
            call = sess.scalars(select(OutsideCall.id).where(OutsideCall.case_id == case.id)).one()
            procedure.run_call(sess, call, SimulatorAdapter(sess), self.services)

    def to_review(self) -> str:
        case_no = self.start()
        self.do(case_no, "clerk-001", f.accept())
        self.check(case_no)
        self.visit(case_no)
        return case_no

    def visit(self, case_no):
        self.do(case_no, "investigator-001", f.investigate(self.members(case_no)))
        self.do(case_no, "investigator2-001", f.cosign())


def _step_timer(factory, case_no: str, repeats: int, answers: dict | None = None) -> tuple[float, int, int]:
    """Median of the engine's work for the review step on this case (nothing written)."""
    with store.unit_of_work(factory) as sess:
        case = sess.scalars(select(Case).where(Case.case_no == case_no)).one()
        state = sess.get(CaseSnapshot, case.id).state
        version = specs.version_by_hash(sess, case.spec_hash)
        task_id = queries.case_open_tasks(sess, case)[0].id
        scripts = script_engine(StepContext(sess, case.township_code, clock.today()))
        scripts.environment.globals["setting"]("dibao.standard.urban")  # settings loaded once, as in a step
        times = []
        for _ in range(repeats):
            t0 = time.perf_counter()
            wf = runtime.load_state(state, version, scripts)
            task = wf.get_task_from_id(UUID(task_id))
            task.set_data(**(answers or f.review("reinvestigate")))
            task.run()
            wf.do_engine_steps()
            runtime.state_digest(wf)
            runtime.dump_state(wf)
            times.append(time.perf_counter() - t0)
    return statistics.median(times), len(state), len(wf.get_tasks())


def p2(repeats: int) -> list[tuple[str, float, str]]:
    with _database() as (factory, services, _path), clock.frozen(f.MONDAY):
        drive = _Driver(factory, services)
        fresh = drive.to_review()
        long = drive.to_review()
        loops = 0
        while True:  # review → back to investigation → visit → second signature: 3 steps a loop
            with store.unit_of_work(factory) as sess:
                events = sess.scalars(select(Case.last_event_seq).where(Case.case_no == long)).one()
            if events >= 200:
                break
            drive.do(long, "reviewer-001", f.review("reinvestigate"))
            drive.visit(long)
            loops += 1
        t_fresh, size_fresh, tasks_fresh = _step_timer(factory, fresh, repeats)
        t_long, size_long, tasks_long = _step_timer(factory, long, repeats)
    return [
        ("P2 review step, fresh case", t_fresh, f"{tasks_fresh} tasks, state {size_fresh / 1024:.0f} KB"),
        (f"P2 review step, after {events} steps ({loops} loops)", t_long,
         f"{tasks_long} tasks, state {size_long / 1024:.0f} KB; ratio {t_long / t_fresh:.1f}× (target ≤ 1.2×)"),
    ]


def _reviewed_household(drive: _Driver, factory, services, reviews_before: int) -> str:
    """A household approved and reviewed ``reviews_before`` times; returns its next review, at the review task."""
    case_no = drive.to_review()
    drive.do(case_no, "reviewer-001", f.review())
    with store.unit_of_work(factory) as sess:
        procedure.publish_notice_batch(sess, drive._user(sess, "reviewer-001"), services)
    _approve_all(factory, services, [case_no], f.MONDAY + timedelta(days=9))
    with store.unit_of_work(factory) as sess:
        benefit_id = sess.scalars(select(Benefit.id).where(Benefit.case_id == select(Case.id).where(
            Case.case_no == case_no).scalar_subquery())).one()
    for year in range(reviews_before + 1):
        at = f.MONDAY + timedelta(days=30 + 182 * year)  # twice a year
        with clock.frozen(at):
            with store.unit_of_work(factory) as sess:
                review_no = reviews.start_review(sess, drive._user(sess, "clerk-001"), benefit_id,
                                                 {"review_reason": "scheduled", "change_report": ""},
                                                 services).case.case_no
            drive.check(review_no)
            visit = f.investigate(drive.members(review_no))
            visit.pop("neighbours")
            drive.do(review_no, "investigator-001", visit)
            if year < reviews_before:
                drive.do(review_no, "reviewer-001", {"review_opinion": "agree", "review_comment": "属实"})
                drive.do(review_no, "leader-001", {"leader_decision": "confirm", "meeting_ref": "x",
                                                   "change_reason": "定期复核"})
    return review_no


def p2_reviews(repeats: int, years: int = 33) -> list[tuple[str, float, str]]:
    """A household's years of reviews are separate cases: the review step on the newest vs the first."""
    with _database() as (factory, services, _path), clock.frozen(f.MONDAY):
        drive = _Driver(factory, services)
        first_no = _reviewed_household(drive, factory, services, 0)
        newest_no = _reviewed_household(drive, factory, services, years)
        with store.unit_of_work(factory) as sess:
            history = sess.scalar(select(func.count()).select_from(CaseEvent).join(Case).where(
                Case.benefit_id.is_not(None)))
        t_first, _, _ = _step_timer(factory, first_no, repeats, {"review_opinion": "agree", "review_comment": "x"})
        t_new, _, _ = _step_timer(factory, newest_no, repeats, {"review_opinion": "agree", "review_comment": "x"})
    return [(f"P2 household review step after {years} reviews ({history} steps)", t_new,
             f"first review {t_first * 1000:.2f} ms; ratio {t_new / t_first:.2f}× (target ≤ 1.2×)")]


def _finish_with_objection(drive: _Driver, factory, services) -> str:
    case_no = drive.to_review()
    drive.do(case_no, "reviewer-001", f.review())
    with store.unit_of_work(factory) as sess:
        procedure.publish_notice_batch(sess, drive._user(sess, "reviewer-001"), services)
    with store.unit_of_work(factory) as sess:
        procedure.record_objection(sess, drive._user(sess, "clerk-001"), case_no, f.objection(), services)
    drive.visit(case_no)
    drive.do(case_no, "reviewer-001", f.review())
    drive.do(case_no, "auditor", f.county_check())
    with store.unit_of_work(factory) as sess:
        procedure.publish_notice_batch(sess, drive._user(sess, "reviewer-001"), services)
    return case_no


def _approve_all(factory, services, case_nos, at):
    with clock.frozen(at):
        with store.unit_of_work(factory) as sess:
            due = engine.due_timer_cases(sess, 10_000)
        for case_id in due:
            with store.unit_of_work(factory) as sess:
                engine.fire_timers(sess, case_id, services)
        drive = _Driver(factory, services)
        for case_no in case_nos:
            drive.do(case_no, "leader-001", f.leader())


def p6_p7(repeats: int, cases: int = 40) -> list[tuple[str, float, str]]:
    with _database() as (factory, services, path):
        empty = _vacuumed_size(factory, path)
        with clock.frozen(f.MONDAY):
            drive = _Driver(factory, services)
            long = _finish_with_objection(drive, factory, services)
            plain = []
            for _ in range(cases - 1):
                case_no = drive.to_review()
                drive.do(case_no, "reviewer-001", f.review())
                plain.append(case_no)
            with store.unit_of_work(factory) as sess:
                procedure.publish_notice_batch(sess, drive._user(sess, "reviewer-001"), services)
        _approve_all(factory, services, [long, *plain], f.MONDAY + timedelta(days=9))
        full = _vacuumed_size(factory, path)
        with store.unit_of_work(factory) as sess:
            case = sess.scalars(select(Case).where(Case.case_no == long)).one()
            steps = case.last_event_seq
            times = []
            for _ in range(repeats):
                t0 = time.perf_counter()
                result = replay.verify_case(sess, case)
                times.append(time.perf_counter() - t0)
            assert result.verified, result.as_dict()
    per_case = (full - empty) / cases
    return [
        (f"P6 replay-verify one case of {steps} steps", statistics.median(times), "target ≤ 50 ms"),
        (f"P7 stored bytes per finished case ({cases} approved cases, SQLite after VACUUM)", 0.0,
         f"{per_case / 1024:.1f} KB per case (target ≤ 30 KB)"),
    ]


def _vacuumed_size(factory, path: Path) -> int:
    """The database file's size once the WAL is folded in and free pages are dropped."""
    factory.kw["bind"].dispose()  # no pooled connection may hold the file
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        conn.execute("VACUUM")
    finally:
        conn.close()
    return os.path.getsize(path)


def run(repeats: int = 20) -> list[tuple[str, float, str]]:
    """Measure and return (name, median seconds, note) rows."""
    return [*p2(repeats), *p2_reviews(repeats), *p6_p7(max(3, repeats // 4))]

