"""Drive cases through the procedure on the engine (no HTTP): the set-up the engine and web tests share.

Each helper is one or a few steps, each in its own unit of work, answered with the builders of
``tests/factories.py`` by the demo accounts of 640104001 (two investigators: the visit is paired).
"""

from datetime import datetime, timedelta

from sqlalchemy import select

from tests import factories as f
from workflows import clock, engine, outside, procedure, queries, roster_process
from workflows.adapters.simulator import SimulatorAdapter
from workflows.store import Case, HumanTask, User, unit_of_work


def user(sess, name: str) -> User:
    """A demo account."""
    return sess.scalars(select(User).where(User.username == name)).one()


def case_row(factory, case_no: str) -> Case:
    """The case's row as it is now."""
    with unit_of_work(factory) as sess:
        return sess.scalars(select(Case).where(Case.case_no == case_no)).one()


def open_task(factory, case_no: str) -> HumanTask:
    """The case's single open task."""
    with unit_of_work(factory) as sess:
        (task,) = queries.case_open_tasks(sess, case_row(factory, case_no))
        return task


def start(factory, services, sub: dict | None = None, clerk: str = "clerk-001") -> str:
    """Register an application at the window; the case number."""
    with unit_of_work(factory) as sess:
        return engine.start_case(sess, user(sess, clerk), sub or f.registration(), services).case.case_no


def do(factory, services, case_no: str, username: str, answers: dict) -> Case:
    """Complete the case's open task as ``username``."""
    task = open_task(factory, case_no)
    with unit_of_work(factory) as sess:
        return engine.complete_task(sess, user(sess, username), task.id, answers, services).case


def run_calls(factory, services, failing=()) -> int:
    """One worker pass over the due outside calls (the 核对), against the simulator."""
    with unit_of_work(factory) as sess:
        due = outside.due_calls(sess, clock.now())
    answered = 0
    for call_id in due:
        with unit_of_work(factory) as sess:
            answered += procedure.run_call(sess, call_id, SimulatorAdapter(sess, failing), services)
    return answered


def accepted(factory, services, sub: dict | None = None, town: str = "001") -> str:
    """A case accepted at the window of township 640104<town>, waiting for its 核对."""
    sub = sub or f.registration(responsible_township=f"640104{town}")
    case_no = start(factory, services, sub, clerk=f"clerk-{town}")
    do(factory, services, case_no, f"clerk-{town}", f.accept(materials=[*f.CORE_MATERIALS, "health_proof"]))
    return case_no


def to_review(factory, services, sub: dict | None = None, town: str = "001") -> str:
    """Accepted, checked, visited by two investigators: waiting for the township review."""
    sub = sub or f.registration(responsible_township=f"640104{town}")
    case_no = accepted(factory, services, sub, town)
    assert run_calls(factory, services) == 1
    do(factory, services, case_no, f"investigator-{town}", f.investigate(sub["members"]))
    do(factory, services, case_no, f"investigator2-{town}", f.cosign())
    return case_no


def to_notice(factory, services, sub: dict | None = None, town: str = "001") -> str:
    """Reviewed and proposed for approval: waiting for the next 公示 batch (or the district's check)."""
    case_no = to_review(factory, services, sub, town)
    do(factory, services, case_no, f"reviewer-{town}", f.review())
    return case_no


def publish(factory, services, reviewer: str = "reviewer-001") -> tuple[str, list[str]]:
    """Publish the township's waiting cases as one batch; the batch number and the cases."""
    with unit_of_work(factory) as sess:
        doc, cases = procedure.publish_notice_batch(sess, user(sess, reviewer), services)
        return doc.number, [c.case_no for c in cases]


def publicized(factory, services, sub: dict | None = None) -> str:
    """Published: in its 7-day public notice."""
    case_no = to_notice(factory, services, sub)
    publish(factory, services)
    return case_no


def tick(factory, services, at: datetime) -> int:
    """Fire the timers due at ``at``; how many cases moved."""
    moved = 0
    with clock.frozen(at):
        with unit_of_work(factory) as sess:
            due = engine.due_timer_cases(sess)
        for case_id in due:
            with unit_of_work(factory) as sess:
                moved += engine.fire_timers(sess, case_id, services) is not None
    return moved


def approved(factory, services, published_at: datetime, sub: dict | None = None) -> str:
    """Published at ``published_at``, the notice over, approved by the leader: the approval notice issued."""
    case_no = publicized(factory, services, sub)
    later = published_at + timedelta(days=8)
    assert tick(factory, services, later) == 1
    with clock.frozen(later):
        do(factory, services, case_no, "leader-001", f.leader())
    return case_no


def roster(factory, services, month: str, town: str = "001", approve: bool = True) -> str:
    """A month's payment roster drawn up by the township's reviewer and, by default, approved (issued) by
    its leader; the roster case's number."""
    with unit_of_work(factory) as sess:
        case_no = roster_process.start(sess, user(sess, f"reviewer-{town}"), {"month": month, "roster_confirm": True},
                                       services).case.case_no
    if approve:
        do(factory, services, case_no, f"leader-{town}", f.roster_approval())
    return case_no
