"""Read models refreshed by every step, in the step's transaction: open human tasks and the case
summary. Queues and lists read only these tables; they never deserialize a workflow."""

from datetime import date, datetime
from decimal import Decimal

from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from . import rules
from .runtime import case_status, current_data, ready_human_tasks
from .script_env import StepContext
from .store import Case, HumanTask, PersonIndex

ENDED_WITHOUT_BENEFIT = ("NOT_ACCEPTED", "REFUSED", "WITHDRAWN")


def task_properties(task_spec) -> dict:
    """The ``spiffworkflow:property`` values of a task spec."""
    return getattr(task_spec, "extensions", {}).get("properties", {})


def refresh_human_tasks(session: Session, case: Case, wf: BpmnWorkflow, ctx: StepContext, at: datetime) -> None:
    """Make the case's rows in ``human_task`` match its READY user tasks."""
    existing = {row.id: row for row in session.scalars(select(HumanTask).where(HumanTask.case_id == case.id))}
    ready = {str(t.id): t for t in ready_human_tasks(wf)}
    for task_id, row in existing.items():
        if task_id not in ready:
            session.delete(row)
    for task_id, task in ready.items():
        if task_id in existing:
            continue
        spec = task.task_spec
        due_key = task_properties(spec).get("dueWorkingDays")
        due_on = rules.add_working_days(ctx.today, int(ctx.settings.get(due_key))) if due_key else None
        session.add(
            HumanTask(
                id=task_id,
                case_id=case.id,
                task_spec=spec.bpmn_id,
                title=spec.bpmn_name or spec.bpmn_id,
                role=spec.lane or "",
                township_code=case.township_code,
                form=f"{case.process_id}/{spec.bpmn_id}",
                created_at=at,
                due_on=due_on,
            )
        )


def _next_timer(wf: BpmnWorkflow) -> datetime | None:
    # Timer kinds: TimeDateEventDefinition, DurationTimerEventDefinition, CycleTimerEventDefinition.
    times = [datetime.fromisoformat(e.value) for e in wf.waiting_events() if "Time" in e.event_type]
    return min(times) if times else None


def refresh_summary(session: Session, case: Case, wf: BpmnWorkflow) -> dict:
    """Copy status, household, amount and deadlines from the workflow into the case row."""
    data = current_data(wf)
    case.status = case_status(wf) or case.status
    case.household_size = len(data.get("members", [])) or case.household_size
    total = (data.get("amount") or {}).get("total")
    case.amount_total = Decimal(total) if total is not None and data.get("eligible") else None
    if data.get("case_deadline"):
        case.case_deadline = date.fromisoformat(data["case_deadline"])
    if data.get("decision_date"):
        case.decided_on = date.fromisoformat(data["decision_date"])
    case.next_timer_at = _next_timer(wf)
    if case.status in ENDED_WITHOUT_BENEFIT:
        session.execute(delete(PersonIndex).where(PersonIndex.case_id == case.id))
    return data
