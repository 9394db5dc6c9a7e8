"""Child processes of the concurrency and crash tests: ``python -m tests.workflows.churn_child MODE URL DATA_DIR …``.

Modes (each prints JSON lines on stdout, flushed at once, so a parent that kills it keeps what was said):

- ``rounds URL DATA_DIR THREADS SEED`` — reads one round per stdin line (``{"at": iso, "ops": [...]}``),
  runs the operations (shuffled) on THREADS threads, answers with one line of results; exits at EOF.
- ``drive URL DATA_DIR SEED MAX_CASES`` — works cases step after step until killed: registers new
  ones up to MAX_CASES, completes and claims tasks, publishes, objects, extends, runs the worker's
  passes; prints ``{"begin": n, "op": kind}`` before a step and ``{"done": n, …}`` after it.
- ``serve URL DATA_DIR`` — the web app under werkzeug's threaded server on a free port; prints ``{"port": n}``.
"""

import contextlib
import json
import os
import queue
import random
import subprocess
import sys
import threading
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import func, select

from tests import factories as f
from tests.workflows import churn
from workflows import engine, specs, store, users
from workflows.documents import DocumentStore
from workflows.step import Services
from workflows.store import ACTIVE_STATUSES, Case, CaseEvent, HumanTask, User, unit_of_work

STEP = timedelta(hours=3)  # the domain clock moves on by this much per step of the driver
ROOT = Path(__file__).resolve().parents[2]


class Child:
    """A child process in one of the modes, seen from the parent: send it lines, read its lines."""

    def __init__(self, mode: str, *args, log: Path):
        self.log = log
        with log.open("a") as err:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "tests.workflows.churn_child", mode, *map(str, args)],
                cwd=ROOT, env=dict(os.environ, PYTHONPATH=str(ROOT)), text=True,
                stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=err,
            )
        self.lines: queue.Queue = queue.Queue()
        self.said: list[dict] = []  # every complete line, in order
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self) -> None:
        for line in self.proc.stdout:
            if line.endswith("\n"):  # a line cut off by a kill is not a line
                self.said.append(json.loads(line))
                self.lines.put(self.said[-1])
        self.lines.put(None)

    def send(self, obj: dict) -> None:
        """Write one JSON line to the child."""
        self.proc.stdin.write(json.dumps(obj, ensure_ascii=False) + "\n")
        self.proc.stdin.flush()

    def next(self, timeout: float = 120) -> dict:
        """The child's next line (AssertionError with its stderr if it ended or went quiet)."""
        try:
            line = self.lines.get(timeout=timeout)
        except queue.Empty:
            line = None
        if line is None:
            raise AssertionError(f"child {self.proc.args[3]} said nothing: {self.log.read_text()[-3000:]}")
        return line

    def finish(self, timeout: float = 60) -> int:
        """Close its stdin and wait for it to exit; its exit status."""
        self.proc.stdin.close()
        status = self.proc.wait(timeout)
        self.reader.join(timeout)
        self.proc.stdout.close()
        return status

    def kill(self) -> None:
        """SIGKILL (no chance to clean up), and wait until it is gone and all it said is read."""
        self.proc.kill()
        self.proc.wait(30)
        self.reader.join(30)
        self.proc.stdout.close()
        with contextlib.suppress(BrokenPipeError):
            self.proc.stdin.close()


def _say(obj: dict) -> None:
    sys.stdout.write(json.dumps(obj, ensure_ascii=False) + "\n")
    sys.stdout.flush()


def _services(data_dir: str) -> Services:
    from webapp.documents import render_pdf  # noqa: PLC0415 - WeasyPrint only where documents are made

    return Services(render=render_pdf, store=DocumentStore(Path(data_dir) / "documents"))


def _warm_up(factory) -> None:
    """Parse the process (once per process) before telling the parent we are ready."""
    with unit_of_work(factory) as sess:
        specs.current_version(sess, engine.DEFAULT_PROCESS)


def rounds(factory, services, threads: int, seed: int) -> None:
    """Run the rounds the parent sends, until stdin closes."""
    rng, tap = random.Random(seed), churn.tap_for(factory)
    _warm_up(factory)
    _say({"ready": True})
    for line in sys.stdin:
        round_ = json.loads(line)
        ops = list(round_["ops"])
        rng.shuffle(ops)
        results = churn.run_parallel(factory, services, tap, ops, datetime.fromisoformat(round_["at"]), threads)
        _say({"results": results})


def _now_after_last_step(sess, idle: int) -> datetime:
    """A step later than the last one recorded (more when steps changed nothing, so timers come due)."""
    last = sess.scalar(select(func.max(CaseEvent.at)))
    return f.MONDAY if last is None else max(last, f.MONDAY) + STEP * (1 + idle)


def _pick(sess, rng: random.Random, max_cases: int) -> dict:
    """The driver's next operation, chosen at random among what the cases allow now."""
    cases = list(sess.scalars(select(Case).order_by(Case.id)))
    tasks = list(sess.scalars(select(HumanTask).order_by(HumanTask.id)))
    choices: list[dict] = [{"kind": "timers"}, {"kind": "calls"}]
    if len(cases) < max_cases:
        choices += [churn.start_op(len(cases))] * 3
    for human in tasks:
        choices += [{"kind": "complete", "task": human.id}] * 3
        rival = churn.RIVAL.get(churn.COMPLETES.get(human.task_spec, ""))
        if rival and rng.random() < 0.2:  # a colleague claims it: the completion then conflicts
            choices.append({"kind": "claim", "task": human.id, "user": churn.account(rival, human.township_code)})
        if human.claimed_by_id is not None:  # ... until the colleague gives it back
            choices.append({"kind": "unclaim", "task": human.id, "user": sess.get(User, human.claimed_by_id).username})
    for case in cases:
        if case.status == "AWAITING_NOTICE":
            choices.append({"kind": "publish", "user": churn.account("reviewer", case.township_code)})
        if case.status == "PUBLICIZING" and case.objection_count == 0 and rng.random() < 0.1:
            choices.append({"kind": "objection", "case_no": case.case_no,
                            "user": churn.account("clerk", case.township_code)})
    active = [c for c in cases if c.status in ACTIVE_STATUSES]
    if active and rng.random() < 0.1:
        case = rng.choice(active)
        choices.append({"kind": "extend", "case_no": case.case_no, "user": churn.account("leader", case.township_code)})
    op = rng.choice(choices)
    if op["kind"] == "complete":  # the answers of the one task chosen (reading a task's data costs)
        op["user"], op["answers"] = churn.answers_for(sess, sess.get(HumanTask, op["task"]))
    return op


def drive(factory, services, seed: int, max_cases: int) -> None:
    """Step after step at random until the parent kills it (idle steps once every case is done)."""
    rng, tap, idle = random.Random(seed), churn.tap_for(factory), 0
    _warm_up(factory)
    _say({"ready": True})
    for n in range(100_000):
        with unit_of_work(factory) as sess:
            at = _now_after_last_step(sess, idle)
            op = _pick(sess, rng, max_cases)
        _say({"begin": n, "op": op["kind"]})
        result = churn.run_op(factory, services, tap, op, at)
        idle = 0 if result["events"] else idle + 1
        _say({"done": n, "op": op["kind"], "events": len(result["events"]), "errors": result["errors"]})


def serve(url: str, data_dir: str) -> None:
    """The web app on a real (threaded) server, until killed."""
    from werkzeug.serving import make_server  # noqa: PLC0415

    from webapp import create_app  # noqa: PLC0415

    users.use_cheap_hashing_for_tests()  # as in the test process: a login must not rehash at full cost
    db = store.make_engine(url)
    _warm_up(store.make_session_factory(db))
    db.dispose()
    app = create_app({"DATABASE_URL": url, "DIBAO_DATA_DIR": data_dir, "SECRET_KEY": "crash-test-secret",
                      "DIBAO_TESTING": True})
    server = make_server("127.0.0.1", 0, app, threaded=True)
    _say({"port": server.server_port})
    server.serve_forever()


def main(argv: list[str]) -> None:
    """Dispatch on the mode (see the module docstring)."""
    mode, url, data_dir, *rest = argv
    if mode == "serve":
        serve(url, data_dir)
        return
    db = store.make_engine(url)
    factory = store.make_session_factory(db)
    try:
        if mode == "rounds":
            rounds(factory, _services(data_dir), int(rest[0]), int(rest[1]))
        elif mode == "drive":
            drive(factory, _services(data_dir), int(rest[0]), int(rest[1]))
        else:
            raise SystemExit(f"unknown mode {mode!r}")
    finally:
        db.dispose()


if __name__ == "__main__":
    main(sys.argv[1:])
