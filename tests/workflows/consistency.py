"""What must hold of every case after any mix of concurrent, refused and killed steps.

Not a test module: the concurrency and crash tests call :func:`problems` and expect ``[]``.
"""

from collections import Counter
from datetime import datetime

from SpiffWorkflow.util.task import TaskState
from sqlalchemy import select
from sqlalchemy.orm import Session

from workflows import clock, history, replay, runtime, specs
from workflows.documents import DocumentIntegrityError
from workflows.script_env import StepContext, script_engine
from workflows.store import Case, CaseEvent, CaseSnapshot, Document, HumanTask, OutsideCall, unit_of_work
from workflows.store.outside_call import DONE, INCIDENT, PENDING


def _workflow(session: Session, case: Case):
    snap = session.get(CaseSnapshot, case.id)
    version = specs.version_by_hash(session, case.spec_hash)
    scripts = script_engine(StepContext(session, case.township_code, clock.today()))
    return runtime.load_state(snap.state, version, scripts)


def _log_problems(session: Session, case: Case, render, store) -> list[str]:
    """The chain, replay to every recorded digest, contiguous sequence numbers, no task completed twice."""
    result = replay.verify_case(session, case, render, store)
    found = list(result.problems) + history.verify_chain(session, case)
    if result.divergence is not None:
        found.append(f"replay diverges at event {result.divergence.seq} ({result.divergence.kind}): "
                     f"{result.divergence.reason}")
    events = history.events_of(session, case)
    if [e.seq for e in events] != list(range(1, len(events) + 1)) or case.last_event_seq != len(events):
        found.append(f"event sequence not contiguous: {[e.seq for e in events]}, head {case.last_event_seq}")
    twice = [t for t, n in Counter(e.task_id for e in events if e.kind == "task_completed").items() if n > 1]
    if twice:
        found.append(f"human tasks completed more than once: {twice}")
    return found


def _read_model_problems(session: Session, case: Case) -> list[str]:
    """The open-task rows, status, next timer and outside calls say what the snapshot says."""
    wf, found = _workflow(session, case), []
    ready = {str(t.id): t.task_spec.bpmn_id for t in runtime.ready_human_tasks(wf)}
    rows = {h.id: h.task_spec for h in session.scalars(select(HumanTask).where(HumanTask.case_id == case.id))}
    if rows != ready:
        found.append(f"human_task rows {rows} but READY user tasks {ready}")
    if case.status != (runtime.case_status(wf) or case.status):
        found.append(f"status {case.status} but the workflow is at {runtime.case_status(wf)}")
    timers = [datetime.fromisoformat(e.value) for e in wf.waiting_events() if "Time" in e.event_type]
    if case.next_timer_at != min(timers, default=None):
        found.append(f"next_timer_at {case.next_timer_at}, earliest waiting timer {min(timers, default=None)}")
    waiting = {str(t.id) for t in wf.get_tasks(state=TaskState.WAITING)
               if runtime.task_properties(t.task_spec).get("outsideCall")}
    calls = list(session.scalars(select(OutsideCall).where(OutsideCall.case_id == case.id)))
    open_calls = {c.task_id for c in calls if c.status in (PENDING, INCIDENT)}
    if open_calls != waiting:
        found.append(f"open outside calls for tasks {open_calls} but waiting receive tasks {waiting}")
    answers = session.scalars(select(CaseEvent.id).where(
        CaseEvent.case_id == case.id, CaseEvent.kind == "outside_data_received")).all()
    if len(answers) != len([c for c in calls if c.status == DONE]):
        found.append(f"{len(answers)} outside answers recorded but the calls are {[c.status for c in calls]}")
    return found


def _document_problems(session: Session, store) -> list[str]:
    found = []
    for doc in session.scalars(select(Document)):
        try:
            store.get(doc.sha256)
        except DocumentIntegrityError:
            found.append(f"document {doc.number}: file missing or changed")
    return found


def problems(factory, services=None, rerender: bool = False) -> list[str]:
    """Every inconsistency found in the database, prefixed with its case number (empty when all is well).

    Args:
        services: given, every registered document's file is checked against its SHA-256.
        rerender: also re-render every document from its recorded context and compare (slow).
    """
    render = services.render if services is not None and rerender else None
    store = services.store if services is not None else None
    found = []
    with unit_of_work(factory) as sess:
        for case in sess.scalars(select(Case).order_by(Case.id)):
            found += [f"{case.case_no}: {p}" for p in
                      _log_problems(sess, case, render, store) + _read_model_problems(sess, case)]
        if store is not None:
            found += _document_problems(sess, store)
    return found


def log_of(factory) -> dict[tuple[int, int], tuple[str, str, str | None]]:
    """Every event in the database: (case id, seq) → (hash, kind, task id)."""
    with unit_of_work(factory) as sess:
        return {(e.case_id, e.seq): (e.hash, e.kind, e.task_id) for e in sess.scalars(select(CaseEvent))}
