"""P6 at scale: replay-verify every case of a database in parallel processes, extrapolated to 100,000 cases.

Replay needs each case's real event chain and snapshot, so the database is built through the engine
(``bench.generate`` writes only the queue rows, in bulk, and cannot serve here). The cases follow the
shape of a county's database (the mix of ``bench.generate``): 70 % finished (approved 60 %, refused 18 %,
not accepted 8 %, withdrawn 14 %), the others open at every stage; one approval in ten heard an objection
during its 公示 and went back for a second visit, the district's check and a second notice (18 steps).
They are spread over the 15 townships of 兴庆区 and answered by the demo accounts (``demo.advance``), with
the real PDF renderer, so every case carries the documents a real one does.

Verification splits the cases into ``workers`` interleaved shares, one process each with its own database
connection, and calls ``replay.verify_case`` on each case — what the ``audit_verify`` job does for each
case — in sessions of ``system.job_progress_every`` (20) cases, as the job's batches are. Without
``documents`` that is P6's replay-verify (chain, scans' register, every step's digest, the snapshot);
with it, every document is re-rendered as well (once per process for a shared 公示 list).

Building costs one engine step per event and a PDF per document (about 0.3–0.6 s a case), so the measured
database holds a few thousand cases at most, and the 100,000-case figure is **extrapolated linearly** from
the measured time per case: a case is read by its id and replayed alone, so its cost does not depend on
how many other cases the database holds.
"""

import multiprocessing
import os
import random
import statistics
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import func, select

from tests import factories as f
from webapp.documents import render_pdf
from workflows import clock, demo, engine, procedure, reference, replay, store
from workflows.adapters.simulator import seed_simulator
from workflows.documents import DocumentStore
from workflows.errors import Invalid
from workflows.step import Services
from workflows.store import Case, CaseEvent, Township, User

from . import servers

FINISHED = [("APPROVED", 60), ("REFUSED", 18), ("NOT_ACCEPTED", 8), ("WITHDRAWN", 14)]
OPEN = ["ACCEPTING", "WAITING_MATERIALS", "INVESTIGATING", "REVIEWING", "PUBLICIZING", "PENDING_DECISION"]
FINISHED_SHARE, OBJECTION_SHARE = 0.7, 0.1
BATCH = 20  # cases per session, as the audit_verify job's batches (system.job_progress_every)
TARGET_CASES, TARGET_MINUTES = 100_000, 30
START = datetime(2026, 3, 2, 1, 30, tzinfo=UTC)  # a Monday


@dataclass
class Built:
    """The database the cases were written to."""

    cases: int
    events: int
    statuses: dict[str, int]
    seconds: float


@dataclass
class Timing:
    """One case verified."""

    case_no: str
    status: str
    steps: int
    cpu: float
    wall: float
    verified: bool
    problems: list = field(default_factory=list)


@dataclass
class Result:
    """A database built and verified in ``workers`` processes."""

    backend: str
    built: Built
    workers: int
    documents: bool
    timings: list[Timing]
    wall: float  # verification, from the first case started to the last one done (process start-up excluded)
    load: tuple[float, float]

    @property
    def per_case(self) -> float:
        """Wall seconds per case with all workers busy."""
        return self.wall / len(self.timings)

    @property
    def extrapolated_minutes(self) -> float:
        """100,000 cases at this rate, in minutes (linear)."""
        return TARGET_CASES * self.per_case / 60


def _plan(n: int, rng: random.Random) -> list[tuple[str, bool]]:
    """(target status, objection) per case."""
    plan = []
    for _ in range(n):
        if rng.random() < FINISHED_SHARE:
            target = rng.choices([s for s, _ in FINISHED], [w for _, w in FINISHED])[0]
        else:
            target = rng.choice(OPEN)
        plan.append((target, target == "APPROVED" and rng.random() < OBJECTION_SHARE))
    return plan


def _user(sess, name: str) -> User:
    return sess.scalars(select(User).where(User.username == name)).one()


def _register(factory, services, rng: random.Random, town: str, target: str, at: datetime) -> str:
    """Register a household at the township's window (a fresh household if one of its people is taken)."""
    while True:
        sub = demo.household(rng, at.date(), rich=target == "REFUSED", township=town)
        try:
            with store.unit_of_work(factory) as sess, clock.frozen(at):
                if target not in demo.MUST_STAY_ELIGIBLE:  # others may own a car, a business… as found by 核对
                    seed_simulator(sess, sub["members"], rng)
                return engine.start_case(sess, _user(sess, demo.username("clerk", town)), sub, services).case.case_no
        except Invalid:  # a generated ID number already in a case: another household
            continue


def _publish(factory, services, town: str, at: datetime) -> None:
    with store.unit_of_work(factory) as sess, clock.frozen(at):
        procedure.publish_notice_batch(sess, _user(sess, demo.username("reviewer", town)), services)


def _notice_over(factory, services, cases: list[tuple[str, str]], at: datetime) -> None:
    """The 公示 of these (case, target) ends (its timer fires); the approvals are decided."""
    for case_no, target in cases:
        with store.unit_of_work(factory) as sess, clock.frozen(at):
            engine.fire_timers(sess, sess.scalars(select(Case.id).where(Case.case_no == case_no)).one(), services)
        if target == "APPROVED":
            demo.advance(factory, services, case_no, target, at + timedelta(days=1))


def _township_round(factory, services, rng: random.Random, town: str, plans: list[tuple[str, bool]],
                    at: datetime) -> None:
    """A township's cases of one round, registered the same day and taken through the procedure together:
    those ready for 公示 are published in one batch (one list for all of them), those an objection sent back
    in a second one."""
    cases = []
    for target, objection in plans:
        case_no = _register(factory, services, rng, town, target, at)
        demo.advance(factory, services, case_no, target, at + timedelta(hours=2))
        cases.append((case_no, target, objection))
    published = [(c, t, o) for c, t, o in cases if t in demo.PUBLISHED]
    if not published:
        return
    at += timedelta(days=20)  # after every case of the round has reached its notice (a step a day at most)
    _publish(factory, services, town, at)
    heard = [c for c, _, o in published if o]
    for case_no in heard:  # heard during the 公示: a second visit, the district's check, a fresh notice
        with store.unit_of_work(factory) as sess, clock.frozen(at + timedelta(days=1)):
            procedure.record_objection(sess, _user(sess, demo.username("clerk", town)), case_no, f.objection(),
                                       services)
        demo.advance(factory, services, case_no, "APPROVED", at + timedelta(days=2))
    _notice_over(factory, services, [(c, t) for c, t, o in published if t != "PUBLICIZING" and not o],
                 at + timedelta(days=8))
    if heard:
        _publish(factory, services, town, at + timedelta(days=12))
        _notice_over(factory, services, [(c, "APPROVED") for c in heard], at + timedelta(days=20))


def build(url: str, cases: int, documents: Path, seed: int = 20261129, per_township: int = 4) -> Built:
    """Write ``cases`` cases through the engine into the database at ``url`` (schema, reference data and the demo
    accounts made first where missing), in rounds of ``per_township`` cases in each township."""
    t0 = time.perf_counter()
    engine_ = store.make_engine(url)
    try:
        store.create_schema(engine_)
        factory = store.make_session_factory(engine_)
        with store.unit_of_work(factory) as sess:
            if sess.scalar(select(func.count()).select_from(Township)) == 0:
                reference.load(sess)
            demo.create_users(sess)
            towns = list(sess.scalars(select(Township.code).order_by(Township.code)))
        services, rng = Services(render_pdf, DocumentStore(documents)), random.Random(seed)
        plan = _plan(cases, rng)
        for n, start in enumerate(range(0, cases, per_township)):
            _township_round(factory, services, rng, towns[n % len(towns)], plan[start:start + per_township],
                            START + timedelta(days=n // len(towns)))
        with store.unit_of_work(factory) as sess:
            statuses = dict(sess.execute(select(Case.status, func.count()).group_by(Case.status)).all())
            events = sess.scalar(select(func.count()).select_from(CaseEvent))
    finally:
        engine_.dispose()
    return Built(sum(statuses.values()), events, statuses, time.perf_counter() - t0)


def _verify_share(url: str, ids: list[int], documents: str | None) -> tuple[float, float, list[Timing]]:
    """Verify these cases in this process; (started, ended, timings), times from ``time.time``."""
    engine_ = store.make_engine(url)
    factory = store.make_session_factory(engine_)
    render, docs = (render_pdf, DocumentStore(Path(documents))) if documents else (None, None)
    timings, started = [], time.time()
    try:
        for start in range(0, len(ids), BATCH):
            with store.unit_of_work(factory) as sess:
                for case in sess.scalars(select(Case).where(Case.id.in_(ids[start:start + BATCH])).order_by(Case.id)):
                    c0, w0 = time.process_time(), time.perf_counter()
                    result = replay.verify_case(sess, case, render, docs)
                    timings.append(Timing(case.case_no, case.status, result.steps, time.process_time() - c0,
                                          time.perf_counter() - w0, result.verified,
                                          result.problems + ([result.divergence.reason] if result.divergence else [])))
    finally:
        engine_.dispose()
    return started, time.time(), timings


def verify_all(url: str, workers: int, documents: Path | None = None) -> tuple[float, list[Timing]]:
    """Verify every case in ``workers`` processes (interleaved shares); (wall seconds, timings by case id)."""
    engine_ = store.make_engine(url)
    try:
        with engine_.connect() as conn:
            ids = list(conn.scalars(select(Case.id).order_by(Case.id)))
    finally:
        engine_.dispose()
    shares = [ids[k::workers] for k in range(workers)]
    context = multiprocessing.get_context("spawn")  # a fresh interpreter each: no connection crosses a fork
    with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
        done = list(pool.map(_verify_share, [url] * workers, shares, [str(documents) if documents else None] * workers))
    wall = max(end for _, end, _ in done) - min(start for start, _, _ in done)
    return wall, [t for _, _, timings in done for t in timings]


def measure(url: str, cases: int, workers: int, folder: Path, documents: bool = False) -> Result:
    """Build ``cases`` cases into the database at ``url``, then verify them all in ``workers`` processes."""
    built = build(url, cases, folder / "documents")
    load = os.getloadavg()[0]
    wall, timings = verify_all(url, workers, folder / "documents" if documents else None)
    return Result(url.split(":", 1)[0].split("+", 1)[0], built, workers, documents, timings, wall,
                  (load, os.getloadavg()[0]))


def run(cases: int, workers: int, backend: str = "sqlite", documents: bool = False) -> Result:
    """``measure`` on a fresh database of ``backend``."""
    with tempfile.TemporaryDirectory(prefix="dibao-bench-") as folder, \
            servers.database(backend, Path(folder)) as url:
        return measure(url, cases, workers, Path(folder), documents)


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f} ms"


def report(result: Result) -> list[str]:
    """Lines: the database, the verification, by length of history, the extrapolation to 100,000 cases."""
    t, built = result.timings, result.built
    ok = sum(x.verified for x in t)
    what = "replay-verify + documents re-rendered" if result.documents else "replay-verify"
    statuses = ", ".join(f"{s} {n}" for s, n in sorted(built.statuses.items(), key=lambda kv: -kv[1]))
    cpu = sorted(x.cpu for x in t)
    lines = [
        f"P6 {result.backend}: {built.cases:,} cases built through the engine in {built.seconds:.0f} s "
        f"({built.events:,} events, {built.events / built.cases:.1f} a case): {statuses}",
        f"P6 {what}, {result.workers} processes: {ok:,}/{len(t):,} verified in {result.wall:.1f} s "
        f"({_ms(result.per_case)} a case of wall time; CPU a case p50 {_ms(statistics.median(cpu))}, "
        f"p95 {_ms(cpu[max(0, round(0.95 * len(cpu)) - 1)])}); load {result.load[0]:.1f}→{result.load[1]:.1f}",
    ]
    for low, high in ((1, 5), (6, 10), (11, 15), (16, 20), (21, 999)):
        some = [x for x in t if low <= x.steps <= high]
        if some:
            cpu_median, wall_median = statistics.median(x.cpu for x in some), statistics.median(x.wall for x in some)
            lines.append(f"  {low:>2}–{high if high < 999 else '':<3} steps: {len(some):>6,} cases, "
                         f"CPU {_ms(cpu_median)} median, wall {_ms(wall_median)}")
    verdict = "met" if result.extrapolated_minutes <= TARGET_MINUTES else "not met"
    lines.append(f"P6 {TARGET_CASES:,} cases, {result.workers} processes: {result.extrapolated_minutes:.1f} min "
                 f"(extrapolated linearly from {len(t):,} cases; target ≤ {TARGET_MINUTES} min — {verdict})")
    lines += [f"  not verified: {x.case_no} {x.problems[:2]}" for x in t if not x.verified][:5]
    return lines
