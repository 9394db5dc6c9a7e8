"""Many users and workers on many cases at once: the harness of the concurrency and crash tests.

Not a test module. ``test_concurrency_many`` and ``test_crash`` use it in-process, and
``tests/workflows/churn_child.py`` runs the same operations in child processes. An operation is a
plain dict (JSON, so it can be sent to a child): complete / claim / unclaim a human task, send an
objection or an extension, publish a 公示 batch, the worker's timer pass, its outside-call pass,
or register a new application. :func:`run_op` runs one in its own unit(s) of work on a frozen
clock and reports what it committed (through :class:`EventTap`) or which exception it raised.
"""

import logging
import random
import threading
from datetime import date, datetime, timedelta

from sqlalchemy import event as sa_event
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from tests import factories as f
from workflows import clock, engine, procedure, queries
from workflows.adapters.simulator import SimulatorAdapter
from workflows.errors import Conflict
from workflows.store import ACTIVE_STATUSES, Case, CaseEvent, HumanTask, User, unit_of_work

TOWNS = ("640104001", "640104002")
# The account prefix that completes each user task (the demo accounts of workflows.demo).
COMPLETES = {
    "accept": "clerk", "supplement": "clerk", "investigate": "investigator", "cosign": "investigator2",
    "review": "reviewer", "deliberation": "reviewer", "leader": "leader",
}
# A colleague with the same role, who may claim the task out from under the one who completes it.
# (Only the claimer can give a task back: engine.unclaim_task's "or a leader of the township" never
# applies to another role's task, because access.task_for refuses the leader first.)
RIVAL = {"investigator": "investigator2", "investigator2": "investigator"}
CONFLICT_ERRORS = ("workflows.errors.Conflict", "sqlalchemy.orm.exc.StaleDataError")


def account(prefix: str, township_code: str) -> str:
    """The demo account of a role prefix in a township (``auditor`` is county-wide)."""
    return "auditor" if prefix == "auditor" else f"{prefix}-{township_code[-3:]}"


def registration(n: int) -> dict:
    """The n-th distinct application (ID numbers differ per n); every fourth declares a 近亲属."""
    town = TOWNS[n % len(TOWNS)]
    born = timedelta(days=n)
    members = [
        f.member("张秀兰", date(1980, 5, 1) + born, "self", "600", seq=2),
        f.member("李建国", date(1978, 3, 9) + born, "spouse", "300", seq=1),
        f.member("李小明", date(2012, 8, 20) + born, "child", "0", seq=3),
    ]
    extra = {"near_relative_declared": True, "near_relative_details": "申请人之弟为社区居委会委员"}
    return f.registration(members, responsible_township=town, **(extra if n % 4 == 3 else {}))


def start_op(n: int) -> dict:
    """The operation that registers the n-th application at its township's window."""
    return {"kind": "start", "user": account("clerk", TOWNS[n % len(TOWNS)]), "registration": registration(n)}


def answers_for(session: Session, human: HumanTask) -> tuple[str, dict]:
    """Who completes this open task, with which form data (a valid answer that moves the case on)."""
    if human.task_spec == "county_check":
        return "auditor", f.county_check()
    builders = {
        "accept": lambda: f.accept(materials=[*f.CORE_MATERIALS, "health_proof"]),
        "supplement": lambda: f.supplement(supplied=["income_declaration", "authorization"]),
        "investigate": lambda: f.investigate(queries.task_data(session, human)["members"]),
        "cosign": f.cosign, "review": f.review, "deliberation": f.deliberation, "leader": f.leader,
    }
    return account(COMPLETES[human.task_spec], human.township_code), builders[human.task_spec]()


class EventTap:
    """The case events each thread's transactions committed, seen through session events on a factory.

    ``before_flush`` notes the new ``CaseEvent`` rows of the session's transaction; ``after_commit``
    (the outermost commit only) hands them to the thread that committed; a rolled-back transaction's
    rows are dropped when the session starts its next one.
    """

    def __init__(self, factory: sessionmaker):
        """Listen on ``factory``; use :func:`tap_for`, which makes one per factory."""
        self._local = threading.local()
        sa_event.listen(factory, "after_transaction_create", self._begun)
        sa_event.listen(factory, "before_flush", self._flushing)
        sa_event.listen(factory, "after_commit", self._committed)

    def _mine(self) -> list:
        if not hasattr(self._local, "events"):
            self._local.events = []
        return self._local.events

    @staticmethod
    def _begun(session, transaction) -> None:
        if transaction.parent is None:
            session.info["tap"] = []

    @staticmethod
    def _flushing(session, _context, _instances) -> None:
        session.info.setdefault("tap", []).extend(o for o in session.new if isinstance(o, CaseEvent))

    def _committed(self, session) -> None:
        self._mine().extend([e.case_id, e.seq, e.hash, e.kind, e.task_id] for e in session.info.pop("tap", []))

    def take(self) -> list:
        """The events this thread committed since the last call."""
        taken, self._local.events = self._mine(), []
        return taken


_TAPS: dict[int, tuple[sessionmaker, EventTap]] = {}


def tap_for(factory: sessionmaker) -> EventTap:
    """The one tap of a session factory (two would both see, and report, every event)."""
    if id(factory) not in _TAPS or _TAPS[id(factory)][0] is not factory:
        _TAPS[id(factory)] = (factory, EventTap(factory))
    return _TAPS[id(factory)][1]


class _LoggedErrors(logging.Handler):
    """Exceptions the outside-call pass logs instead of raising (one broken call must not stop the rest)."""

    def __init__(self):
        super().__init__(logging.ERROR)
        self.local = threading.local()

    def emit(self, record: logging.LogRecord) -> None:
        if record.exc_info and getattr(self.local, "errors", None) is not None:
            self.local.errors.append(record.exc_info[1])


LOGGED = _LoggedErrors()
logging.getLogger("workflows.procedure").addHandler(LOGGED)


def _user(session: Session, name: str) -> User:
    return session.scalars(select(User).where(User.username == name)).one()


def _one_step(factory, services, op: dict) -> None:
    """An operation that is one transaction."""
    kind = op["kind"]
    with unit_of_work(factory) as sess:
        actor = _user(sess, op["user"])
        if kind == "complete":
            engine.complete_task(sess, actor, op["task"], op["answers"], services)
        elif kind == "claim":
            engine.claim_task(sess, actor, op["task"])
        elif kind == "unclaim":
            engine.unclaim_task(sess, actor, op["task"])
        elif kind == "objection":
            procedure.record_objection(sess, actor, op["case_no"], f.objection(), services)
        elif kind == "extend":
            procedure.extend_deadline(sess, actor, op["case_no"], {"reason": "需函询外地单位"}, services)
        elif kind == "publish":
            procedure.publish_notice_batch(sess, actor, services)
        elif kind == "start":
            engine.start_case(sess, actor, op["registration"], services)
        else:
            raise ValueError(f"unknown operation {kind!r}")


def timer_pass(factory, services, errors: list) -> int:
    """The worker's timer pass (as webapp.worker.run_due_timers): one transaction per due case."""
    with unit_of_work(factory) as sess:
        due = engine.due_timer_cases(sess)
    moved = 0
    for case_id in due:
        try:
            with unit_of_work(factory) as sess:
                moved += engine.fire_timers(sess, case_id, services) is not None
        except Exception as err:  # noqa: BLE001 - reported with the operation's result
            errors.append(err)
    return moved


def call_pass(factory, services, errors: list) -> int:
    """The worker's outside-call pass (``procedure.run_due_calls``), with the errors it logs."""
    LOGGED.local.errors = errors
    try:
        return procedure.run_due_calls(factory, SimulatorAdapter, services)
    finally:
        LOGGED.local.errors = None


def _name(err: BaseException) -> str:
    return f"{type(err).__module__}.{type(err).__qualname__}"


def run_op(factory, services, tap: EventTap, op: dict, at: datetime) -> dict:
    """Run one operation at ``at``; what it committed, how many calls/timers it moved and its errors."""
    tap.take()
    errors: list[BaseException] = []
    moved = 0
    with clock.frozen(at):
        try:
            if op["kind"] == "timers":
                moved = timer_pass(factory, services, errors)
            elif op["kind"] == "calls":
                moved = call_pass(factory, services, errors)
            else:
                _one_step(factory, services, op)
                moved = 1
        except Exception as err:  # noqa: BLE001 - reported with the operation's result
            errors.append(err)
    return {"op": op, "events": tap.take(), "moved": moved,
            "errors": [[_name(e), str(e)[:300]] for e in errors]}


def run_parallel(factory, services, tap: EventTap, ops: list[dict], at: datetime, threads: int) -> list[dict]:
    """Run ``ops`` on ``threads`` threads that start together and take the next operation as they finish one."""
    queue, lock, barrier, out = list(reversed(ops)), threading.Lock(), threading.Barrier(threads), []

    def work():
        barrier.wait()
        while True:
            with lock:
                if not queue:
                    return
                op = queue.pop()
            out.append(run_op(factory, services, tap, op, at))

    pool = [threading.Thread(target=work) for _ in range(threads)]
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    return out


def plan_round(factory, rng: random.Random, copies: int = 3) -> list[dict]:
    """Operations on every open task and waiting case, each task completed ``copies`` times at once."""
    ops: list[dict] = []
    with unit_of_work(factory) as sess:
        for human in sess.scalars(select(HumanTask).order_by(HumanTask.id)):
            who, answers = answers_for(sess, human)
            ops += [{"kind": "complete", "task": human.id, "user": who, "answers": answers}] * copies
            # A colleague of the same role claims it and gives it back (or the one who completes it does).
            claimer = account(RIVAL.get(who.split("-")[0], who.split("-")[0]), human.township_code)
            ops += [{"kind": k, "task": human.id, "user": claimer} for k in ("claim", "unclaim")]
        cases = list(sess.scalars(select(Case).where(Case.status.in_(ACTIVE_STATUSES)).order_by(Case.id)))
    for case in cases:
        if case.status == "PUBLICIZING" and case.objection_count == 0 and rng.random() < 0.4:
            ops += [{"kind": "objection", "case_no": case.case_no, "user": account(p, case.township_code)}
                    for p in ("clerk", "reviewer")]
    for town in sorted({c.township_code for c in cases if c.status == "AWAITING_NOTICE"}):
        ops += [{"kind": "publish", "user": account(p, town)} for p in ("reviewer", "leader")]
    if cases:
        case = rng.choice(cases)
        ops += [{"kind": "extend", "case_no": case.case_no, "user": account("leader", case.township_code)}] * 2
    ops += [{"kind": "timers"}, {"kind": "calls"}] * 2
    rng.shuffle(ops)
    return ops


def open_work(factory) -> tuple[int, int]:
    """How many cases are still active, and how many human tasks are open."""
    with unit_of_work(factory) as sess:
        active = len(list(sess.scalars(select(Case.id).where(Case.status.in_(ACTIVE_STATUSES)))))
        return active, len(list(sess.scalars(select(HumanTask.id))))


def releases(factory) -> list[dict]:
    """Unclaims, by their claimers, of the tasks claimed by someone other than the one who completes them."""
    with unit_of_work(factory) as sess:
        claimed = sess.execute(select(HumanTask, User.username).join(User, User.id == HumanTask.claimed_by_id))
        return [{"kind": "unclaim", "task": human.id, "user": name} for human, name in claimed
                if name != account(COMPLETES.get(human.task_spec, "auditor"), human.township_code)]


def drive_to_end(factory, services, start: datetime, max_days: int = 60) -> datetime:
    """Work every case to its end, one step at a time, a day per pass; the clock it ended on.

    Raises:
        AssertionError: a step failed, or cases were still open after ``max_days``.
    """
    tap, at = tap_for(factory), start
    for _ in range(max_days):
        if open_work(factory) == (0, 0):
            return at
        ops = [op for op in plan_round(factory, random.Random(0), copies=1) if op["kind"] in ("complete", "publish")]
        for op in [*releases(factory), *ops, {"kind": "calls"}, {"kind": "timers"}]:
            result = run_op(factory, services, tap, op, at)
            assert result["errors"] == [] or _tolerated(op, result["errors"]), result
        at += timedelta(days=1)
    raise AssertionError(f"cases still open after {max_days} days: {open_work(factory)}")


def _tolerated(op: dict, errors: list) -> bool:
    # The second publish of a pass finds nothing left to publish (Conflict), which is the point.
    return op["kind"] == "publish" and [e[0] for e in errors] == [_name(Conflict(""))]
