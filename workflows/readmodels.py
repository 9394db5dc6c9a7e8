"""Read models refreshed by every step, in the step's transaction: open human tasks, the case
summary and the outside calls a case waits for. Queues and lists read only these tables; they
never deserialize a workflow."""

from datetime import date, datetime, timedelta
from decimal import Decimal

from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.util.task import TaskState
from sqlalchemy import bindparam, delete, select
from sqlalchemy.orm import Session

from . import outside
from .clock import CHINA_TZ
from .runtime import case_status, current_data, ready_human_tasks, task_properties
from .store import Case, HumanTask, OutsideCall, PersonIndex
from .store.outside_call import CANCELLED, INCIDENT, PENDING

ENDED_WITHOUT_BENEFIT = ("NOT_ACCEPTED", "REFUSED", "WITHDRAWN")

__all__ = ["ENDED_WITHOUT_BENEFIT", "refresh_all", "task_properties"]


def _timer_siblings(task) -> list:
    """The boundary timer tasks attached to a user task (children of its boundary-event split)."""
    parent = task.parent
    if parent is None or not parent.task_spec.name.endswith(".BoundaryEventSplit"):
        return []
    return [t for t in parent.children
            if t is not task and isinstance(getattr(t.task_spec, "event_definition", None), TimerEventDefinition)]


def _due_and_escalation(task) -> tuple[date | None, bool]:
    """The task's due day and whether its due timer has fired.

    A task with a due timer (non-interrupting: 逾期督办) is due when that fires — also once it has fired,
    and when it had fired already as the task opened (a 探访 started after its month's due day) — even
    when a timer that ends it comes later (an interrupting one: a 探访 month closing); a task whose only
    timer ends it (补正期满) is due then.
    """
    timers = _timer_siblings(task)
    due_timers = [t for t in timers if not getattr(t.task_spec, "cancel_activity", True)]
    fired = any(t.state == TaskState.COMPLETED for t in due_timers)
    counted = TaskState.WAITING | TaskState.COMPLETED if due_timers else TaskState.WAITING
    pending = [datetime.fromisoformat(t.internal_data["event_value"]) for t in due_timers or timers
               if t.state & counted and t.internal_data.get("event_value")]
    if not pending:
        return None, fired
    # Timers fire at the end of the due day (midnight China time), so the due day is the one before.
    return (min(pending).astimezone(CHINA_TZ) - timedelta(microseconds=1)).date(), fired


# Built once: on the hot path (every step) building a statement costs more than running it (issue 7 P4).
_TASKS_OF_CASE = select(HumanTask).where(HumanTask.case_id == bindparam("case_id"))
_CALLS_OF_CASE = select(OutsideCall).where(OutsideCall.case_id == bindparam("case_id"))


def refresh_human_tasks(session: Session, case: Case, wf: BpmnWorkflow, at: datetime) -> None:
    """Make the case's rows in ``human_task`` match its READY user tasks (due day, escalation).

    Only what differs is written: a row whose values stay the same is left alone (no UPDATE).
    """
    with session.no_autoflush:  # what the step wrote so far is no row of these (one flush at the step's end)
        existing = {row.id: row for row in session.scalars(_TASKS_OF_CASE, {"case_id": case.id})}
    ready = {str(t.id): t for t in ready_human_tasks(wf)}
    for task_id, row in existing.items():
        if task_id not in ready:
            session.delete(row)
    for task_id, task in ready.items():
        due_on, escalated = _due_and_escalation(task)
        # A follow-up task opened by a missed deadline (``escalation`` names the step that missed it,
        # e.g. a 核对 still unanswered) is itself the escalation: on the 逾期督办 page from the start.
        escalated = escalated or bool(task_properties(task.task_spec).get("escalation"))
        row = existing.get(task_id)
        if row is None:
            spec = task.task_spec
            row = HumanTask(
                id=task_id, case_id=case.id, task_spec=spec.bpmn_id, title=spec.bpmn_name or spec.bpmn_id,
                role=spec.lane or "", township_code=case.township_code, form=f"{case.process_id}/{spec.bpmn_id}",
                created_at=at, due_on=due_on,
            )
            session.add(row)
        if row.township_code != case.township_code:
            row.township_code = case.township_code
        if due_on is not None and row.due_on != due_on:
            row.due_on = due_on
        if escalated and row.escalated_at is None:
            row.escalated_at = at


def refresh_outside_calls(session: Session, case: Case, wf: BpmnWorkflow, at: datetime) -> None:
    """Open an outside call for each receive task that waits on one (``outsideCall`` property);
    close those whose task stopped waiting. One query: the case's calls (a few at most)."""
    waiting = wf.get_tasks(state=TaskState.WAITING)
    waiting_ids = {str(t.id) for t in waiting}
    with session.no_autoflush:  # as in refresh_human_tasks: the step flushes once, at its end
        calls = session.scalars(_CALLS_OF_CASE, {"case_id": case.id}).all()
    for call in calls:
        if call.status in (PENDING, INCIDENT) and call.task_id not in waiting_ids:
            call.status, call.finished_at = CANCELLED, at
    known = {call.task_id for call in calls}
    for task in waiting:
        kind = task_properties(task.task_spec).get("outsideCall")
        if not kind or str(task.id) in known:
            continue
        session.add(OutsideCall(
            case_id=case.id, task_id=str(task.id), kind=kind, message=task.task_spec.event_definition.name,
            township_code=case.township_code, request=outside.request_for(kind, task.data), next_attempt_at=at,
        ))


def _next_timer(wf: BpmnWorkflow) -> datetime | None:
    # Timer kinds: TimeDateEventDefinition, DurationTimerEventDefinition, CycleTimerEventDefinition.
    times = [datetime.fromisoformat(e.value) for e in wf.waiting_events() if "Time" in e.event_type]
    return min(times) if times else None


def _route(case: Case, data: dict) -> None:
    """Follow the process when it passed the case to the responsible township (异地受理)."""
    township = data.get("township_code")
    if township and township != case.township_code:
        case.received_by, case.township_code = case.township_code, township


def refresh_summary(session: Session, case: Case, wf: BpmnWorkflow) -> dict:
    """Copy status, township, household, amount, flags and deadlines from the workflow into the case row."""
    data = current_data(wf)
    _route(case, data)
    case.status = case_status(wf) or case.status
    case.household_size = (data.get("household") or {}).get("persons") or len(data.get("members", [])) or \
        case.household_size
    total = (data.get("amount") or {}).get("total")
    case.amount_total = Decimal(total) if total is not None and data.get("eligible") else None
    case.near_relative = bool(data.get("near_relative_declared"))
    case.objection_count = len(data.get("objections") or [])
    clock_data = wf.data_objects.get("case_clock") or {}
    if clock_data.get("deadline"):
        case.case_deadline = date.fromisoformat(clock_data["deadline"])
    case.deadline_extended = bool(clock_data.get("extended"))
    if data.get("decision_date"):
        case.decided_on = date.fromisoformat(data["decision_date"])
    case.next_timer_at = _next_timer(wf)
    if case.status in ENDED_WITHOUT_BENEFIT:
        session.execute(delete(PersonIndex).where(PersonIndex.case_id == case.id))
    return data


def refresh_all(session: Session, case: Case, wf: BpmnWorkflow, at: datetime) -> dict:
    """Every read model of one case, after a step (summary first: it may move the case's township)."""
    data = refresh_summary(session, case, wf)
    refresh_human_tasks(session, case, wf, at)
    refresh_outside_calls(session, case, wf, at)
    return data
