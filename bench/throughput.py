"""P4: sustained task completions per second over HTTP, several clients, gunicorn (SQLite and PostgreSQL).

The real app runs under gunicorn with ``gunicorn.conf.py`` (workers and threads from
``DIBAO_WEB_WORKERS`` / ``DIBAO_WEB_THREADS``) on a fresh database, seeded through the engine
with applications registered at the windows of the Xingqing townships: each waits for its
acceptance (受理, the clerk's ``accept`` task). Accepting with every required material is a valid
and cheap step (no document is rendered; the case goes on to wait for its 核对).

Each client is a thread with its own HTTP connection and the session of one township's clerk
(login form, CSRF token from a task page), and completes only its own township's tasks, so no
two clients ever post the same task: any 409 is a fault, not an expected conflict. A client acts
as a browser does: it posts the form, then loads the queue it is sent back to (the redirect, which
also clears the flashed message from the session cookie); ``--no-follow`` leaves the queue out.

Counted are completions (a 302 back to the queue) within the measured time, failures by status,
and the latency of each POST. Afterwards the database must hold exactly one ``task_completed``
event per completion.
"""

import os
import shutil
import tempfile
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from urllib.parse import parse_qs, urlparse

from sqlalchemy import func, select

from tests import factories as f
from tests.webapp.web import flatten
from webapp.documents import render_pdf
from workflows import demo, engine, reference, store
from workflows.documents import DocumentStore
from workflows.step import Services
from workflows.store import CaseEvent, HumanTask, Township, User

from . import servers
from .web import Client, Server, tree_cpu

ANSWERS = flatten(f.accept())  # every core material received: accepted


@dataclass
class Result:
    """One run: what the clients did in ``seconds``."""

    backend: str
    clients: int
    workers: int
    threads: int
    seconds: float
    completions: int
    latencies: list[float] = field(repr=False)
    failures: Counter
    follow: bool
    events: int  # task_completed events in the database afterwards
    seed_seconds: float
    ran_out: int = 0  # clients that had no task left before the time was up (fewer clients from then on)
    cpu: dict[str, float] = field(default_factory=dict)  # CPU seconds used while measuring: app, database, clients
    load: float = 0.0  # the machine's 1-minute load average at the end of the measured time (others share the cores)

    @property
    def rate(self) -> float:
        """Completions per second."""
        return self.completions / self.seconds

    def percentile(self, q: float) -> float:
        """A latency percentile of the POSTs, in seconds."""
        ordered = sorted(self.latencies)
        return ordered[max(0, round(q * len(ordered)) - 1)] if ordered else float("nan")


def seed(url: str, data_dir: Path, per_client: int, clients: int) -> dict[str, list[str]]:
    """Schema, reference data, demo users and ``per_client`` applications per client's township.

    Returns:
        The open task ids by clerk account name (one account, one township per client).
    """
    engine_ = store.make_engine(url)
    factory = store.make_session_factory(engine_)
    services = Services(render_pdf, DocumentStore(data_dir))
    try:
        store.create_schema(engine_)
        with store.unit_of_work(factory) as sess:
            reference.load(sess)
            demo.create_users(sess)
            codes = list(sess.scalars(select(Township.code).order_by(Township.code)))[:clients]
        if len(codes) < clients:
            raise ValueError(f"at most {len(codes)} clients: one township each")
        for n in range(per_client):
            for i, code in enumerate(codes):
                born = date(1940, 1, 1) + timedelta(days=n * len(codes) + i)  # a different person each time
                people = [f.member(f"基准{n}", born, "self", "300", seq=1)]
                with store.unit_of_work(factory) as sess:
                    clerk = sess.scalars(select(User).where(User.username == demo.username("clerk", code))).one()
                    engine.start_case(sess, clerk, f.registration(people, responsible_township=code), services)
        with store.unit_of_work(factory) as sess:
            rows = sess.execute(select(HumanTask.township_code, HumanTask.id).where(HumanTask.task_spec == "accept")
                                .order_by(HumanTask.created_at)).all()
    finally:
        engine_.dispose()
    tasks: dict[str, list[str]] = {}
    for code, task_id in rows:
        tasks.setdefault(demo.username("clerk", code), []).append(task_id)
    return tasks


def _drive(clients: list[Client], seconds: float, follow: bool) -> tuple[float, list[int], list[float], Counter]:
    """All clients at once for ``seconds``: (elapsed, [completions, clients that ran out], latencies, failures)."""
    latencies: list[float] = []
    failures: Counter = Counter()
    done = [0, 0]
    lock = threading.Lock()
    start = threading.Barrier(len(clients) + 1)
    until = [0.0]

    def work(client: Client) -> None:
        start.wait()
        while client.tasks and time.perf_counter() < until[0]:
            status, spent = client.complete(ANSWERS, follow)
            with lock:
                if status == 302:
                    done[0] += 1
                    latencies.append(spent)
                else:
                    failures[status] += 1
        if not client.tasks and time.perf_counter() < until[0]:
            with lock:
                done[1] += 1

    threads = [threading.Thread(target=work, args=(c,)) for c in clients]
    for t in threads:
        t.start()
    until[0] = time.perf_counter() + seconds
    t0 = time.perf_counter()
    start.wait()
    for t in threads:
        t.join()
    return time.perf_counter() - t0, done, latencies, failures


def _postmaster(url: str) -> int | None:
    """The PostgreSQL server's process id (its socket folder holds data/postmaster.pid), or None."""
    host = parse_qs(urlparse(url).query).get("host")
    pid_file = Path(host[0]) / "data" / "postmaster.pid" if host else None
    return int(pid_file.read_text().split()[0]) if pid_file and pid_file.exists() else None


def _completed_events(url: str) -> int:
    engine_ = store.make_engine(url)
    try:
        with engine_.connect() as conn:
            return conn.scalar(select(func.count()).select_from(CaseEvent).where(
                CaseEvent.kind == "task_completed", CaseEvent.task_spec == "accept")) or 0
    finally:
        engine_.dispose()


@dataclass
class Options:
    """How one P4 run is set up."""

    clients: int = 4
    seconds: float = 10.0
    workers: int = 4
    threads: int = 2
    follow: bool = True
    per_client: int = 0  # tasks seeded per client; 0: enough for 160 completions/s
    warmup: int = 3  # completions per client before the clock starts (templates, process specs)


def measure(url: str, options: Options, folder: Path) -> Result:
    """Seed the database at ``url``, start gunicorn on it, run the clients, stop, check the event log."""
    per_client = options.per_client or int(160 * options.seconds / options.clients) + options.warmup
    t0 = time.perf_counter()
    tasks = seed(url, folder / "documents", per_client, options.clients)
    seeded = time.perf_counter() - t0
    server = Server(url, folder / "documents", options.workers, options.threads, folder / "gunicorn.log")
    try:
        clients = [Client(server.port, name, ids) for name, ids in sorted(tasks.items())]
        for client in clients:
            client.login()
            for _ in range(options.warmup):
                status, _ = client.complete(ANSWERS, options.follow)
                if status != 302:
                    raise RuntimeError(f"warm-up completion failed: {status}; see {folder / 'gunicorn.log'}")
        for client in clients:  # a fresh connection each: the server closes keep-alive ones left idle
            client.conn.close()
        postmaster = _postmaster(url)
        before = {"app": tree_cpu(server.process.pid), "database": tree_cpu(postmaster) if postmaster else 0.0,
                  "clients": time.process_time()}
        elapsed, done, latencies, failures = _drive(clients, options.seconds, options.follow)
        load = os.getloadavg()[0]
        cpu = {"app": tree_cpu(server.process.pid), "database": tree_cpu(postmaster) if postmaster else 0.0,
               "clients": time.process_time()}
        cpu = {k: cpu[k] - before[k] for k in cpu}
        for client in clients:
            client.conn.close()
    finally:
        server.stop()
    events = _completed_events(url) - options.warmup * len(clients)
    backend = url.split(":", 1)[0].split("+", 1)[0]
    return Result(backend, options.clients, options.workers, options.threads, elapsed, done[0], latencies, failures,
                  options.follow, events, seeded, done[1], cpu, load)


def run(backends: list[str], options: Options) -> list[Result]:
    """P4 on a fresh database of each backend, in a temporary folder removed afterwards."""
    results = []
    for backend in backends:
        folder = Path(tempfile.mkdtemp(prefix="dibao-bench-p4-"))
        try:
            with servers.database(backend, folder) as url:
                results.append(measure(url, options, folder))
        finally:
            shutil.rmtree(folder, ignore_errors=True)
    return results


def report(results: list[Result]) -> list[str]:
    """Lines of a table, one row per run, with the CPU each completion cost (app / database / clients)."""
    lines = [f"{'P4 completions over HTTP':<30} {'done':>6} {'per s':>6} {'POST p50/p95':>15}"
             f"  {'CPU ms/completion app/db/clients':>32}  failures"]
    for r in results:
        setup = f"{r.backend} {r.clients}c {r.workers}w×{r.threads}t{'' if r.follow else ' no-follow'}"
        failures = ", ".join(f"{k}: {v}" for k, v in r.failures.items()) or "none"
        check = "" if r.events == r.completions else f"; EVENTS {r.events} ≠ completions"
        check += f"; {r.ran_out} client(s) ran out of tasks early" if r.ran_out else ""
        per = [r.cpu.get(k, 0.0) * 1000 / max(r.completions, 1) for k in ("app", "database", "clients")]
        lines.append(f"{setup:<30} {r.completions:>6} {r.rate:>6.1f} {r.percentile(0.5) * 1000:>6.1f}/"
                     f"{r.percentile(0.95) * 1000:>6.1f}ms  {per[0]:>20.1f}/{per[1]:.1f}/{per[2]:.1f}"
                     f"  {failures}{check} (seed {r.seed_seconds:.0f}s, load {r.load:.1f})")
    lines.append("P4 target: ≥ 100 completions/s")
    return lines
