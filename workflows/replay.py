"""Replay: re-run a case from the start on its pinned process version with its recorded events,
on a clock set to the recorded times, and compare the state digest after every step (each by the
digest version it was recorded with: ``runtime.state_digest``).

Anything that differs — an edited or missing event, an edited snapshot, a setting changed after
the fact, a changed rule — shows up as the first step where the digests part. Nothing is written.
"""

import hashlib
import json
import threading
from collections import OrderedDict
from dataclasses import dataclass, field

from SpiffWorkflow.bpmn import BpmnEvent
from SpiffWorkflow.bpmn.specs.mixins.events.start_event import StartEvent
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.exceptions import WorkflowException
from SpiffWorkflow.spiff.specs.event_definitions import MessageEventDefinition
from SpiffWorkflow.util.task import TaskState
from sqlalchemy import select
from sqlalchemy.orm import Session

from . import attachments, clock, history, retention, roster_process, runtime, specs, version_diff, visit_steps
from .documents import DocumentIntegrityError, Renderer
from .script_env import StepContext, script_engine
from .store import Case, CaseEvent, CaseSnapshot, Document

UNCHANGED_STATE = (
    "document_issued", "task_claimed", "task_unclaimed", "outside_call_retried",
    "finding_referred", "spot_check_problem_recorded",  # a spot check's finding, on it and on the case checked
    "attachment_added",  # a scan attached to the case (workflows.attachments): checked below, not replayed
    "visit_change_referred",  # a change a visit found, sent to a review of the household (workflows.visit_steps)
)
MESSAGES = ("message_received", "outside_data_received")
# How a case's log starts: a registration at a window, or a case started from data (review, spot check,
# a month's payment roster drawn up).
START_KINDS = ("application_submitted", "review_started", "spot_check_started", "roster_started", "visit_started")


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
            raise _Mismatch(f"没有可以办结的待办环节 {ev.task_spec}")
        ready[0].set_data(**data["form"], **data.get("computed", {}))  # computed: see effects.computed
        ready[0].run()
    elif ev.kind == "timer_fired":
        wf.refresh_timers()
    elif ev.kind in MESSAGES:
        try:
            wf.send_event(BpmnEvent(MessageEventDefinition(data["message"]), data["payload"]))
        except WorkflowException:
            raise _Mismatch(f"案件当时并未等待事项 {data['message']}") from None
    wf.do_engine_steps()
    return wf


def _first(session: Session, case: Case, version: specs.ProcessVersion, ev: CaseEvent) -> BpmnWorkflow:
    if ev.kind not in START_KINDS:
        raise _Mismatch("事件记录的第一条不是案件的开始（申请、复核、抽查、花名册、探访）")
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
        raise _Mismatch("流程版本迁移的起点不是案件当时所在的版本")
    version_diff.move(wf, old, specs.version_by_hash(session, data["to"]))
    return wf


def start_version(session: Session, case: Case, events: list[CaseEvent]) -> specs.ProcessVersion:
    """The version the case started on: the one its first migration left, else the one it is pinned to."""
    for ev in events:
        if ev.kind == version_diff.MIGRATED:
            return specs.version_by_hash(session, json.loads(ev.data)["from"])
    return specs.version_by_hash(session, case.spec_hash)


def _check_snapshot(session: Session, case: Case, version, digest: tuple[str, int] | None,
                    replayed: BpmnWorkflow | None = None) -> list[str]:
    snap = session.get(CaseSnapshot, case.id)
    if snap is None:
        return ["the case has no snapshot"]
    problems = []
    if retention.is_compacted(snap):  # only the final data and digest are kept: check both against the replay
        stored = json.loads(snap.state)["digest"]
        if replayed is not None and retention.final_data(snap) != json.loads(json.dumps(
                runtime.current_data(replayed), default=str)):
            problems.append("压缩后快照的数据与事件记录推演的结果不一致（快照被改动）")
    else:
        stored = runtime.state_digest(runtime.load_state(snap.state, version, script_engine(
            StepContext(session, case.township_code, clock.today()))), snap.digest_version)
    if stored != snap.digest:
        problems.append("快照内容与其登记的状态摘要不一致（快照被改动）")
    if digest is not None and replayed is not None and digest[1] != snap.digest_version:
        digest = (runtime.state_digest(replayed, snap.digest_version), snap.digest_version)
    if digest is not None and snap.digest != digest[0]:
        problems.append("快照不是事件记录推演出的状态")
    return problems


def _digest(wf: BpmnWorkflow, ev: CaseEvent, last: tuple[str, int] | None) -> tuple[str, int]:
    """The replayed state's digest by the version ``ev`` was recorded with; an event that did not change
    the state keeps the digest of the step before it when that was made by the same version."""
    if last is not None and ev.kind in UNCHANGED_STATE and last[1] == ev.digest_version:
        return last
    return runtime.state_digest(wf, ev.digest_version), ev.digest_version


def verify_case(session: Session, case: Case, render: Renderer | None = None, store=None) -> ReplayResult:
    """Replay one case and check its chain, attachments (given a store: their bytes), snapshot and (given a
    renderer and store) documents."""
    events = history.events_of(session, case)
    result = ReplayResult(case.case_no, problems=history.verify_chain(session, case, events))
    result.problems += attachments.check(session, case, store)
    version, final = start_version(session, case, events), specs.version_by_hash(session, case.spec_hash)
    wf, digest, contexts = None, None, {}
    for ev in events:
        try:
            wf = _step(session, case, version, wf, ev, contexts)
            digest = _digest(wf, ev, digest)
        except _Mismatch as err:
            result.divergence = Divergence(ev.seq, ev.kind, err.reason)
            return result
        except Exception as err:  # noqa: BLE001 - any engine failure on replay is a divergence to report
            result.divergence = Divergence(ev.seq, ev.kind, f"重放失败：{err}")
            return result
        result.steps += 1
        if digest[0] != ev.state_digest:
            result.divergence = Divergence(ev.seq, ev.kind, "状态与登记的状态摘要不一致",
                                           ev.state_digest, digest[0])
            return result
    if wf is not None and wf.spec is not final.spec:
        result.problems.append("案件的流程版本与事件记录推演的版本不一致")
    result.problems += _check_snapshot(session, case, final, digest, wf)
    result.problems += roster_process.check_issued(session, case, store)  # a roster case: its workbook
    result.problems += visit_steps.check_recorded(session, case)  # a visit case: the visits it wrote
    if store is not None:
        result.problems += check_documents(session, case, render, store, events)
    return result


class _Rendered:
    """What re-rendering gave in this process: (renderer, kind, SHA-256 of the canonical context) → the SHA-256 of
    the bytes. Rendering is reproducible (the same context gives the same bytes), so a context is rendered once per
    process: a batch verification would otherwise render a township's 公示 list again for every case on it (a
    200-row list takes over a second)."""

    def __init__(self, size: int = 256):
        self.size, self.lock, self.shas = size, threading.Lock(), OrderedDict()

    def sha256(self, render: Renderer, kind: str, context: dict) -> str:
        """The SHA-256 of ``render(kind, context)``, rendered now unless it was before."""
        key = (render, kind, hashlib.sha256(history.canonical(context).encode()).hexdigest())
        with self.lock:
            if key in self.shas:
                self.shas.move_to_end(key)
                return self.shas[key]
        sha = hashlib.sha256(render(kind, context)).hexdigest()
        with self.lock:
            self.shas[key] = sha
            while len(self.shas) > self.size:
                self.shas.popitem(last=False)
        return sha


RENDERED = _Rendered()


def check_documents(session: Session, case: Case, render: Renderer | None, store,
                    events: list[CaseEvent] | None = None) -> list[str]:
    """Check every issued document: its register row and its stored bytes against the event's SHA-256, and
    (given a renderer) the bytes re-rendered from its recorded context (a context this process re-rendered
    before is not rendered again: :data:`RENDERED`). Without a renderer the check is much faster — a
    document takes 60–130 ms to render — and still proves the stored file is the one the chain records."""
    problems = []
    for ev in history.events_of(session, case) if events is None else events:
        if ev.kind != "document_issued":
            continue
        data = json.loads(ev.data)
        doc = session.scalars(select(Document).where(Document.number == data["number"])).first()
        if doc is None or doc.sha256 != data["sha256"]:
            problems.append(f"文书 {data['number']}：文书登记与事件记录不一致")
        if not _stored_intact(store, data["sha256"]):
            problems.append(f"文书 {data['number']}：保存的文件缺失或被改动")
        if render is None:
            continue
        context = data.get("context") or _shared_context(session, data)
        if context is None:
            problems.append(f"文书 {data['number']}：保存其内容的事件缺失")
        elif RENDERED.sha256(render, data["kind"], context) != data["sha256"]:
            problems.append(f"文书 {data['number']}：按记录重新生成的文件与原件不一致")
    return problems


def _stored_intact(store, sha256: str) -> bool:
    try:
        store.get(sha256)
    except DocumentIntegrityError:
        return False
    return True


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
