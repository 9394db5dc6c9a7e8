"""P3: the task queue page at 10,000 and 1,000,000 cases (SQLite file and PostgreSQL).

Each size gets a fresh database written by ``bench.generate``. Measured in the township with the
most open tasks, as its clerk, investigator, reviewer and leader, and as the county auditor (every
township), in each view of the page (all / mine / unclaimed / overdue / week):

- the page's queries, through the functions the page calls (``queries.task_queue``,
  ``queries.queue_counts``, ``queues.steps`` (the step filter's choices), ``queries.townships`` for county
  roles, and ``readside.nav_counts``, which ``base.html`` asks for), each repetition in a new session as a
  request has;
- the whole page, ``GET /tasks/?view=…`` through the Flask test client (login, session, template).

Figures are p50 and p95 over every user × view × repetition; the ratio is p95 at the larger size
over p95 at the smaller (target: ≤ 30 ms p95 at 1M, ratio ≤ 2).
"""

import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import func, select

from tests.webapp.web import login
from webapp import create_app, readside
from webapp.areas.tasks import VIEWS
from workflows import clock, demo, queries, queues, store
from workflows.store import HumanTask, User

from . import generate, servers

ROLES = ("clerk", "investigator", "reviewer", "leader")
PARTS = ("task_queue", "queue_counts", "queue_steps", "nav_counts")


@dataclass
class Figures:
    """p50 and p95 (seconds) of one measure, over ``n`` samples."""

    p50: float
    p95: float
    n: int

    @classmethod
    def of(cls, samples: list[float]) -> "Figures":
        """Median and 95th percentile of the samples."""
        ordered = sorted(samples)
        return cls(statistics.median(ordered), ordered[max(0, round(0.95 * len(ordered)) - 1)], len(ordered))


def _timed(fn: Callable[[], object]) -> float:
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


def _people(factory) -> list[str]:
    """Usernames: the township staff of the township with the most open tasks, and the county auditor."""
    with store.unit_of_work(factory) as sess:
        busiest = sess.scalars(select(HumanTask.township_code).group_by(HumanTask.township_code)
                               .order_by(func.count().desc(), HumanTask.township_code)).first() or "640104001"
    return [demo.username(role, busiest) for role in ROLES] + ["auditor"]


def _page_parts(sess, user: User, view: str) -> dict[str, Callable[[], object]]:
    """What ``tasks.queue`` and the navigation of ``base.html`` query, by part."""
    parts = {
        "task_queue": lambda: queries.task_queue(sess, user, view, 1),
        "queue_counts": lambda: queries.queue_counts(sess, user),
        "queue_steps": lambda: queues.steps(sess, user),
        "nav_counts": lambda: readside.nav_counts(sess, user),
    }
    if not user.is_township_staff:
        parts["townships"] = lambda: queries.townships(sess)
    return parts


def _query_samples(factory, names: list[str], repeats: int, samples: dict[str, list[float]]) -> None:
    """Add ``repeats`` timings of the page's queries per user and view, each in a fresh session (as a request)."""
    for name in names:
        for view in VIEWS:
            for _ in range(repeats):
                with factory() as sess:
                    user = sess.scalars(select(User).where(User.username == name)).one()
                    spent = {part: _timed(fn) for part, fn in _page_parts(sess, user, view).items()}
                samples["page queries"].append(sum(spent.values()))
                for part in PARTS:
                    samples[part].append(spent[part])


class _Pages:
    """The app on one database with a logged-in test client per user: ``GET /tasks/?view=…`` as they see it."""

    def __init__(self, url: str, names: list[str], data: str):
        self.app = create_app({"DATABASE_URL": url, "DIBAO_DATA_DIR": data, "SECRET_KEY": "bench"})
        self.clients = []
        for name in names:
            client = self.app.test_client()
            login(client, name)
            self.clients.append(client)

    def sample(self, repeats: int, samples: list[float]) -> None:
        """Add ``repeats`` timings of every user's page in every view."""
        for client in self.clients:
            for view in VIEWS:
                path = f"/tasks/?view={view}"
                samples += [_timed(lambda p=path, c=client: _ok(c.get(p))) for _ in range(repeats)]

    def close(self) -> None:
        """Close the app's database connections."""
        self.app.extensions["dibao_db"]["engine"].dispose()


def _ok(response) -> None:
    assert response.status_code == 200, response.status_code


@dataclass
class SizeResult:
    """One database size on one backend."""

    backend: str
    built: generate.Built
    parts: dict[str, Figures]
    page: Figures
    load: tuple[float, float]  # the machine's 1-minute load average when measuring began and ended


@dataclass
class _Target:
    url: str
    built: generate.Built
    engine: object
    names: list[str]
    pages: _Pages
    queries: dict[str, list[float]]
    page: list[float]


def _target(url: str, cases: int, data: str) -> _Target:
    built = generate.build(url, cases)
    print(f"P3 {url.split(':', 1)[0]}: {cases:,} cases written in {built.seconds:.0f} s",
          file=sys.stderr, flush=True)
    engine = store.make_engine(url)
    names = _people(store.make_session_factory(engine))
    with clock.frozen(built.now):
        pages = _Pages(url, names, data)
    return _Target(url, built, engine, names, pages, {"page queries": [], **{p: [] for p in PARTS}}, [])


def measure_all(databases: list[tuple[str, int]], repeats: int, rounds: int = 4) -> list[SizeResult]:
    """Write each (empty database, cases), then measure them in turns, ``rounds`` times: noise on a shared
    machine then falls on every size alike. ``repeats`` per user and view in all, split over the rounds."""
    per_round = max(1, repeats // rounds)
    with tempfile.TemporaryDirectory(prefix="dibao-bench-") as data:
        targets = [_target(url, cases, data) for url, cases in databases]
        try:
            load = os.getloadavg()[0]
            for round_ in range(rounds + 1):  # round 0 warms up (statement caches, pages, templates)
                for t in targets:
                    with clock.frozen(t.built.now):
                        queries_ = {k: [] for k in t.queries} if round_ == 0 else t.queries
                        _query_samples(store.make_session_factory(t.engine), t.names, per_round, queries_)
                        t.pages.sample(per_round, [] if round_ == 0 else t.page)
            loads = (load, os.getloadavg()[0])
        finally:
            for t in targets:
                t.pages.close()
                t.engine.dispose()
    return [SizeResult(t.engine.dialect.name, t.built, {k: Figures.of(v) for k, v in t.queries.items()},
                       Figures.of(t.page), loads) for t in targets]


def measure(url: str, cases: int, repeats: int) -> SizeResult:
    """Write ``cases`` cases into the empty database at ``url`` and measure the queue page on it."""
    return measure_all([(url, cases)], repeats, rounds=1)[0]


def run(sizes: list[int], backends: list[str], repeats: int = 40) -> list[SizeResult]:
    """Every size on every backend (a database each, measured in turns), smallest first."""
    results = []
    with tempfile.TemporaryDirectory(prefix="dibao-bench-") as folder:
        for backend in backends:
            with servers.databases(backend, Path(folder), len(sizes)) as urls:
                results += measure_all(list(zip(urls, sorted(sizes), strict=True)), repeats)
    return results


def report(results: list[SizeResult]) -> list[str]:
    """Lines of a table: one row per backend × size, then the ratio of each backend's largest to smallest."""
    ms = 1000
    lines = [f"{'P3 queue page':<34} {'build':>8} {'tasks':>7}  {'queries p50/p95':>17}  {'worst part p95':>22}"
             f"  {'GET /tasks/ p50/p95':>20}"]
    for r in results:
        worst = max(PARTS, key=lambda p: r.parts[p].p95)
        q, g = r.parts["page queries"], r.page
        lines.append(f"{r.backend + ' ' + format(r.built.cases, ','):<34} {r.built.seconds:>7.1f}s {r.built.tasks:>7}"
                     f"  {q.p50 * ms:>7.2f}/{q.p95 * ms:>6.2f}ms  {worst:>12} {r.parts[worst].p95 * ms:>6.2f}ms"
                     f"  {g.p50 * ms:>8.2f}/{g.p95 * ms:>6.2f}ms")
    for backend in dict.fromkeys(r.backend for r in results):
        mine = [r for r in results if r.backend == backend]
        if len(mine) > 1:
            small, big = mine[0], mine[-1]
            ratio = big.parts["page queries"].p95 / small.parts["page queries"].p95
            page_ratio = big.page.p95 / small.page.p95
            lines.append(f"P3 {backend}: p95 {big.built.cases:,} / {small.built.cases:,} cases: queries {ratio:.2f}×, "
                         f"page {page_ratio:.2f}× (target ≤ 30 ms p95 at 1M, ratio ≤ 2); load average "
                         f"{big.load[0]:.1f}→{big.load[1]:.1f} while measuring")
    return lines
