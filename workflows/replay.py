"""Replay: re-run a case from the start on its pinned process version with its recorded events,
on a clock set to the recorded times, and compare the state digest after every step.

Anything that differs — an edited or missing event, an edited snapshot, a setting changed after
the fact, a changed rule — shows up as the first step where the digests part. Nothing is written.
"""

import hashlib
import json
from dataclasses import dataclass, field

from SpiffWorkflow.bpmn import BpmnEvent
from SpiffWorkflow.bpmn.specs.mixins.events.start_event import StartEvent
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.exceptions import WorkflowException
from SpiffWorkflow.spiff.specs.event_definitions import MessageEventDefinition
from SpiffWorkflow.util.task import TaskState
from sqlalchemy import select
from sqlalchemy.orm import Session

from . import attachments, clock, history, retention, roster_process, runtime, specs, version_diff
from .documents import Renderer
from .script_env import StepContext, script_engine
from .store import Case, CaseEvent, CaseSnapshot, Document

UNCHANGED_STATE = (
    "document_issued", "task_claimed", "task_unclaimed", "outside_call_retried",
    "finding_referred", "spot_check_problem_recorded",  # a spot check's finding, on it and on the case checked
    "attachment_added",  # a scan attached to the case (workflows.attachments): checked below, not replayed
)
MESSAGES = ("message_received", "outside_data_received")
# How a case's log starts: a registration at a window, or a case started from data (review, spot check,
# a month's payment roster drawn up).
START_KINDS = ("application_submitted", "review_started", "spot_check_started", "roster_started")


@dataclass
class Divergence:
    """Where replay first disagreed with the record."""

    seq: int
    kind: str
    reason: str
    expected: str = ""
    actual: str = ""


@dataclass
class ReplayResult:
    """The verdict on one case."""

    case_no: str
    steps: int = 0
    problems: list[str] = field(default_factory=list)
    divergence: Divergence | None = None

    @property
    def verified(self) -> bool:
        """True when the chain is intact and every step replayed to its recorded digest."""
        return not self.problems and self.divergence is None

    def as_dict(self) -> dict:
        """A JSON-friendly form (for the API and the CLI)."""
        div = self.divergence
        return {
            "case_no": self.case_no, "verified": self.verified, "steps_checked": self.steps,
            "problems": self.problems,
            "divergence": None if div is None else {
                "seq": div.seq, "kind": div.kind, "reason": div.reason, "expected": div.expected, "actual": div.actual,
            },
        }


class _Mismatch(Exception):
    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


def _apply(wf: BpmnWorkflow, ev: CaseEvent, data: dict) -> BpmnWorkflow:
    if ev.kind == "task_completed":
        ready = wf.get_tasks(state=TaskState.READY, manual=True, spec_name=ev.task_spec)
        if not ready:
            raise _Mismatch(f"no open task {ev.task_spec} to complete")
        ready[0].set_data(**data["form"], **data.get("computed", {}))  # computed: see effects.computed
        ready[0].run()
    elif ev.kind == "timer_fired":
        wf.refresh_timers()
    elif ev.kind in MESSAGES:
        try:
            wf.send_event(BpmnEvent(MessageEventDefinition(data["message"]), data["payload"]))
        except WorkflowException:
            raise _Mismatch(f"the case was not waiting for message {data['message']}") from None
    wf.do_engine_steps()
    return wf


def _first(session: Session, case: Case, version: specs.ProcessVersion, ev: CaseEvent) -> BpmnWorkflow:
    if ev.kind not in START_KINDS:
        raise _Mismatch("the log does not start with a case's start (application, review, spot check, roster)")
    data = json.loads(ev.data)
    township = data.get("township_code", case.township_code)  # the window that registered it
    ctx = StepContext(session, township, clock.today())
    wf = runtime.new_workflow(version, script_engine(ctx))
    wf.get_next_task(state=TaskState.READY).set_data(**data["form"], case_no=data["case_no"], township_code=township)
    wf.do_engine_steps()
    return wf


def _step(session: Session, case: Case, version, wf: BpmnWorkflow | None, ev: CaseEvent,
          contexts: dict | None = None) -> BpmnWorkflow:
    """Apply one recorded event on the recorded clock; returns the workflow after it.

    ``contexts`` keeps one step context per (area, day) across a replay, so the settings in force are
    read once per day the case moved rather than once per step (they are the same within a day).
    """
    with clock.frozen(ev.at):
        if wf is None:
            return _first(session, case, version, ev)
        if ev.kind in UNCHANGED_STATE:
            return wf
        # Settings apply for the township responsible at the time of the step (it changes on routing).
        area = runtime.current_data(wf).get("township_code", case.township_code)
        key = (area, clock.today())
        ctx = contexts.setdefault(key, StepContext(session, *key)) if contexts is not None else StepContext(
            session, *key)
        wf.script_engine = script_engine(ctx)
        if ev.kind == version_diff.MIGRATED:
            return _migrate(session, wf, json.loads(ev.data))
        return _apply(wf, ev, json.loads(ev.data))


def _migrate(session: Session, wf: BpmnWorkflow, data: dict) -> BpmnWorkflow:
    """Repeat a recorded move to another process version (workflows.upgrades) the same way."""
    old = specs.version_by_hash(session, data["from"])
    if wf.spec is not old.spec:
        raise _Mismatch("the migration does not start from the process version the case was on")
    version_diff.move(wf, old, specs.version_by_hash(session, data["to"]))
    return wf


def start_version(session: Session, case: Case, events: list[CaseEvent]) -> specs.ProcessVersion:
    """The version the case started on: the one its first migration left, else the one it is pinned to."""
    for ev in events:
        if ev.kind == version_diff.MIGRATED:
            return specs.version_by_hash(session, json.loads(ev.data)["from"])
    return specs.version_by_hash(session, case.spec_hash)


def _check_snapshot(session: Session, case: Case, version, digest: str | None,
                    replayed: BpmnWorkflow | None = None) -> list[str]:
    snap = session.get(CaseSnapshot, case.id)
    if snap is None:
        return ["the case has no snapshot"]
    problems = []
    if retention.is_compacted(snap):  # only the final data and digest are kept: check both against the replay
        stored = json.loads(snap.state)["digest"]
        if replayed is not None and retention.final_data(snap) != json.loads(json.dumps(
                runtime.current_data(replayed), default=str)):
            problems.append("the compacted snapshot's data is not what the event log leads to (edited snapshot)")
    else:
        stored = runtime.state_digest(runtime.load_state(snap.state, version, script_engine(
            StepContext(session, case.township_code, clock.today()))))
    if stored != snap.digest:
        problems.append("the snapshot's content does not match its recorded digest (edited snapshot)")
    if digest is not None and snap.digest != digest:
        problems.append("the snapshot is not the state the event log leads to")
    return problems


def verify_case(session: Session, case: Case, render: Renderer | None = None, store=None) -> ReplayResult:
    """Replay one case and check its chain, attachments (given a store: their bytes), snapshot and (given a
    renderer and store) documents."""
    result = ReplayResult(case.case_no, problems=history.verify_chain(session, case))
    result.problems += attachments.check(session, case, store)
    events = history.events_of(session, case)
    version, final = start_version(session, case, events), specs.version_by_hash(session, case.spec_hash)
    wf, digest, contexts = None, None, {}
    for ev in events:
        try:
            wf = _step(session, case, version, wf, ev, contexts)
            digest = runtime.state_digest(wf)
        except _Mismatch as err:
            result.divergence = Divergence(ev.seq, ev.kind, err.reason)
            return result
        except Exception as err:  # noqa: BLE001 - any engine failure on replay is a divergence to report
            result.divergence = Divergence(ev.seq, ev.kind, f"replay failed: {err}")
            return result
        result.steps += 1
        if digest != ev.state_digest:
            result.divergence = Divergence(ev.seq, ev.kind, "state differs from the recorded digest",
                                           ev.state_digest, digest)
            return result
    if wf is not None and wf.spec is not final.spec:
        result.problems.append("the case's process version is not the one its log leads to")
    result.problems += _check_snapshot(session, case, final, digest, wf)
    result.problems += roster_process.check_issued(session, case, store)  # a roster case: its workbook
    if render is not None and store is not None:
        result.problems += check_documents(session, case, render, store)
    return result


def check_documents(session: Session, case: Case, render: Renderer, store) -> list[str]:
    """Re-render every issued document from its recorded context and compare the SHA-256."""
    problems = []
    for ev in history.events_of(session, case):
        if ev.kind != "document_issued":
            continue
        data = json.loads(ev.data)
        doc = session.scalars(select(Document).where(Document.number == data["number"])).first()
        if doc is None or doc.sha256 != data["sha256"]:
            problems.append(f"document {data['number']}: the register does not match the event")
        context = data.get("context") or _shared_context(session, data)
        if context is None:
            problems.append(f"document {data['number']}: the event its context is kept in is missing")
        elif hashlib.sha256(render(data["kind"], context)).hexdigest() != data["sha256"]:
            problems.append(f"document {data['number']}: re-rendering gives different bytes")
    return problems


def _shared_context(session: Session, data: dict) -> dict | None:
    """The context of a document about several cases, kept in the first case's history."""
    ref = data.get("context_in")
    if not ref:
        return None
    held = session.scalars(
        select(CaseEvent).join(Case, Case.id == CaseEvent.case_id)
        .where(Case.case_no == ref["case_no"], CaseEvent.seq == ref["seq"], CaseEvent.kind == "document_issued")
    ).first()
    kept = json.loads(held.data) if held is not None else {}
    return kept.get("context") if kept.get("sha256") == data["sha256"] else None


@dataclass
class StepView:
    """The case as it was right after one recorded step (for the auditor's diagram)."""

    seq: int
    kind: str
    task_spec: str | None
    at: str
    actor: str
    completed: list[str]
    active: list[str]
    status: str | None
    data: dict


def _bpmn_ids(wf: BpmnWorkflow, state: TaskState) -> list[str]:
    ids = [t.task_spec.bpmn_id for t in wf.get_tasks(state=state) if getattr(t.task_spec, "bpmn_id", None)
           # a start event still waiting is an event subprocess listening (e.g. for an extension), not a step
           and not (t.state == TaskState.WAITING and isinstance(t.task_spec, StartEvent))]
    return list(dict.fromkeys(ids))


def trace(session: Session, case: Case) -> list[StepView]:
    """Replay the case and describe its state after every step (stops at a divergence)."""
    events = history.events_of(session, case)
    version, views, wf, contexts = start_version(session, case, events), [], None, {}
    for ev in events:
        try:
            wf = _step(session, case, version, wf, ev, contexts)
        except Exception:  # noqa: BLE001 - the trace shows what replays; verify_case reports why not
            break
        views.append(StepView(
            seq=ev.seq, kind=ev.kind, task_spec=ev.task_spec, at=ev.at.astimezone(clock.CHINA_TZ).isoformat(),
            actor=ev.actor_name,
            completed=_bpmn_ids(wf, TaskState.COMPLETED),
            # an ended case has no current step (a listening event subprocess is not one)
            active=[] if wf.is_completed() else _bpmn_ids(wf, TaskState.READY | TaskState.WAITING),
            status=runtime.case_status(wf), data=json.loads(json.dumps(runtime.current_data(wf), default=str)),
        ))
    return views
