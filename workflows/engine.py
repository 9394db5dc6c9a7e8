"""Steps: start a case, complete a human task, fire due timers, claim and unclaim.

Each public function is one step, run inside the caller's unit of work (one transaction):
load the snapshot on its pinned process version, apply one event on a frozen clock, run the
engine forward, then write the snapshot, append the event (with the state digest and the chain
hash) and refresh the read models. Documents the process issues are rendered in the same step.
"""

from dataclasses import dataclass, field
from uuid import UUID

from SpiffWorkflow.bpmn import BpmnEvent
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.exceptions import WorkflowException
from SpiffWorkflow.spiff.specs.event_definitions import MessageEventDefinition
from SpiffWorkflow.util.task import TaskState
from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, defer

from . import access, clock, effects, incidents, intake, numbers, readmodels, relatives, retention, runtime, specs
from .errors import Conflict, DomainError, Forbidden, Invalid, StepFailed
from .forms import Form, validate_submission
from .history import append_event
from .script_env import StepContext, script_engine
from .step import Services, Step
from .store import Case, CaseEvent, CaseMember, CaseSnapshot, Document, HumanTask, PersonIndex, User
from .store.incident import MESSAGE, TASK, TIMER

DEFAULT_PROCESS = "dibao_application"


@dataclass
class StepResult:
    """What a step did."""

    case: Case
    events: list[CaseEvent] = field(default_factory=list)
    documents: list[Document] = field(default_factory=list)
    data: dict = field(default_factory=dict)  # the case data the step produced


def _context(session: Session, township_code: str) -> StepContext:
    return StepContext(session, township_code, clock.today())




def _completed_ids(wf: BpmnWorkflow) -> set:
    return {t.id for t in wf.get_tasks(state=TaskState.COMPLETED)}


def _finish(
    step: Step, wf: BpmnWorkflow, kind: str, data: dict, task_spec: str | None, done_before: set,
    task_id: str | None = None,
) -> StepResult:
    """Run the engine forward and write everything the step changed.

    A failure nobody typed (a script error, a missing setting, a document that will not render)
    becomes :class:`StepFailed`: the caller rolls the step back and records an incident.
    """
    failed_kind = {"timer_fired": TIMER, "task_completed": TASK}.get(kind, MESSAGE)
    # a case being opened by this step does not exist once it is rolled back: nothing to hold an incident
    case_id = step.case.id if step.case.last_event_seq else None
    try:
        result = _write_step(step, wf, kind, data, task_spec, done_before, task_id)
    except (DomainError, SQLAlchemyError):  # refusals meant for the user; concurrency and the database
        raise
    except Exception as err:  # noqa: BLE001 - whatever else broke is an incident on the case, never a 500
        raise StepFailed(case_id, step.case.township_code, failed_kind, task_spec, err) from err
    incidents.resolve(step.session, step.case.id, failed_kind, step.actor)  # this kind of step works again
    return result


def _write_step(
    step: Step, wf: BpmnWorkflow, kind: str, data: dict, task_spec: str | None, done_before: set,
    task_id: str | None = None,
) -> StepResult:
    wf.do_engine_steps()
    digest = runtime.state_digest(wf)
    # the state is overwritten: not read (and decompressed) again when _load's copy is no longer in the session
    snap = step.session.get(CaseSnapshot, step.case.id, options=[defer(CaseSnapshot.state)])
    if snap is None:
        snap = CaseSnapshot(case_id=step.case.id)
        step.session.add(snap)
    snap.state, snap.digest, snap.digest_version = runtime.dump_state(wf), digest, runtime.DIGEST_VERSION
    snap.serializer_version = runtime.SERIALIZER.VERSION
    result = StepResult(step.case)
    result.events.append(
        append_event(step.session, step.case, kind, at=step.at, actor=step.actor, data=data,
                     state_digest=digest, task_spec=task_spec, task_id=task_id)
    )
    result.data = readmodels.refresh_all(step.session, step.case, wf, step.at)
    new_tasks = [t for t in wf.get_tasks(state=TaskState.COMPLETED) if t.id not in done_before]
    effects.run(step, new_tasks, digest, result)
    step.session.flush()
    return result


def _check_duplicates(session: Session, members: list[dict], actor: User) -> None:
    errors = {}
    for i, member in enumerate(members):
        held = intake.case_holding(session, member["id_no"])
        if held and access.can_see_township(actor, held.case.township_code):
            errors[f"members.{i}.id_no"] = (
                f"该人员已在案件 {held.case.case_no}（申请人 {held.applicant_name}）中，不能重复申请"
            )
        elif held:  # another township's case is never named to this clerk
            errors[f"members.{i}.id_no"] = "该人员已在其他乡镇（街道）的在办或在保案件中，不能重复申请"
    if errors:
        raise Invalid("有家庭成员已在其他在办或在保案件中", "A member is already in another case", errors)


def start_case(
    session: Session, actor: User, submission: dict, services: Services,
    process_id: str = DEFAULT_PROCESS, locale: str = "zh",
) -> StepResult:
    """Register an application at the window and start its process."""
    version = specs.current_version(session, process_id)
    if not actor.is_township_staff or actor.role != version.task_spec("start").lane:
        raise Forbidden("只有乡镇（街道）窗口受理人员可以登记申请", "Only township window clerks register applications")
    clean, errors = validate_submission(version.form("start"), submission, {}, locale)
    if errors:
        raise Invalid("申请信息有误，请按提示修改", "The application has errors", errors)
    _check_duplicates(session, clean["members"], actor)
    # 近亲属 found in the register (staff of the responsible township, or their registered relatives):
    # recorded with the start data, so the case goes to the district's check as a declared one does.
    clean["near_relative_registered"] = relatives.staff_related(
        session, clean["responsible_township"], [m["id_no"] for m in clean["members"]])
    me = next(m for m in clean["members"] if m["relation"] == "self")
    result = open_case(session, actor, version, actor.township_code, clean, services, kind="application_submitted",
                       status="SUBMITTED", applicant_name=me["name"], applicant_id_no=me["id_no"],
                       household_size=len(clean["members"]))
    for member in clean["members"]:
        session.add(PersonIndex(id_no=member["id_no"], case_id=result.case.id, name=member["name"]))
    return result


def open_case(
    session: Session, actor: User, version: specs.ProcessVersion, township_code: str, initial: dict,
    services: Services, *, kind: str, **row,
) -> StepResult:
    """The first step of any case: number it, start its process with ``initial`` as the start data.

    Every way a case begins (a window registration, a review of a benefit, a spot check, temporary
    assistance) comes through here, so the start event always records what replay needs; the
    household's ID numbers (``initial["members"]``) are kept in ``case_member`` for the 回避 check.

    Args:
        township_code: the township the case belongs to (its number and settings).
        initial: the start data, recorded in full in the first event.
        kind: the first event's kind (``application_submitted``, ``review_started``…).
        **row: the case row's columns (status, applicant_name, applicant_id_no, household_size, links).
    """
    with clock.frozen(clock.now()) as at:
        ctx = _context(session, township_code)
        case_no = numbers.case_number(session, township_code, ctx.today.year)
        case = Case(case_no=case_no, process_id=version.process_id, spec_hash=version.hash,
                    township_code=township_code, applied_on=ctx.today, created_by_id=actor.id, **row)
        session.add(case)
        session.flush()
        people = {str(m["id_no"]) for m in initial.get("members") or [] if m.get("id_no")}
        session.add_all(CaseMember(case_id=case.id, id_no=id_no) for id_no in sorted(people))
        wf = runtime.new_workflow(version, script_engine(ctx))
        wf.get_next_task(state=TaskState.READY).set_data(**initial, case_no=case_no, township_code=township_code)
        step = Step(session, case, version, ctx, at, actor, services)
        started = {"case_no": case_no, "township_code": township_code, "form": initial}
        return _finish(step, wf, kind, started, "start", set())


def _load(session: Session, case: Case, ctx: StepContext) -> tuple[specs.ProcessVersion, BpmnWorkflow]:
    version = specs.version_by_hash(session, case.spec_hash)
    snap = session.get(CaseSnapshot, case.id)
    if retention.is_compacted(snap):  # finished and archived: nothing can move it any more
        raise Conflict("该案件已办结归档，不能再办理", "The case is finished and archived")
    return version, runtime.load_state(snap.state, version, script_engine(ctx))


def complete_task(
    session: Session, actor: User, task_id: str, submission: dict, services: Services, locale: str = "zh"
) -> StepResult:
    """Validate the form of an open task and complete it; the case moves on."""
    human = access.task_for(session, actor, task_id)
    case = session.get(Case, human.case_id)
    version = specs.version_by_hash(session, case.spec_hash)
    props = runtime.task_properties(version.task_spec(human.task_spec))
    separate = [s for s in props.get("separateFrom", "").split(",") if s]
    access.check_can_work(session, actor, human, separate)
    with clock.frozen(clock.now()) as at:
        ctx = _context(session, case.township_code)
        version, wf = _load(session, case, ctx)
        task = wf.get_task_from_id(UUID(task_id))
        if task is None or task.state != TaskState.READY:
            raise Conflict("该任务已办结，请刷新页面", "This task has already been completed")
        form = version.form(human.task_spec)
        clean, errors = validate_submission(form, submission, task.data, locale)
        if errors:
            raise Invalid("表单填写有误，请按提示修改", "The form has errors", errors)
        # what the engine layer works out for this step (``computes``): recorded beside the form for replay
        computed = effects.computed(session, actor, case, props.get("computes"), {**task.data, **clean})
        done_before = _completed_ids(wf)
        task.set_data(**clean, **computed)
        task.run()
        step = Step(session, case, version, ctx, at, actor, services)
        recorded = {"form": clean, "computed": computed} if computed else {"form": clean}
        return _finish(step, wf, "task_completed", recorded, human.task_spec, done_before, task_id)


def start_form(session: Session, process_id: str = DEFAULT_PROCESS) -> Form:
    """The registration form of the version new cases start on."""
    return specs.current_version(session, process_id).form("start")


def task_form(session: Session, human: HumanTask) -> Form:
    """The form of an open task, as pinned by its case's process version."""
    case = session.get(Case, human.case_id)
    return specs.version_by_hash(session, case.spec_hash).form(human.task_spec)


def due_timer_cases(session: Session, limit: int = 100) -> list[int]:
    """Ids of cases with a timer due now, oldest first (rows locked, skipping locked ones)."""
    query = (
        select(Case.id).where(Case.next_timer_at <= clock.now(), ~incidents.timer_backing_off())
        .order_by(Case.next_timer_at).limit(limit).with_for_update(skip_locked=True)
    )
    return list(session.scalars(query))


def fire_timers(session: Session, case_id: int, services: Services) -> StepResult | None:
    """Fire the due timers of one case; None if nothing was due after all or another worker has the case."""
    # The row stays locked until the caller commits, so a second worker skips the case instead of
    # repeating the step and failing on the version check.
    case = session.scalars(select(Case).where(Case.id == case_id).with_for_update(skip_locked=True)).first()
    with clock.frozen(clock.now()) as at:
        if case is None or case.next_timer_at is None or case.next_timer_at > at:
            return None
        ctx = _context(session, case.township_code)
        version, wf = _load(session, case, ctx)
        waiting = {t.id for t in wf.get_tasks(state=TaskState.WAITING)}
        done_before = _completed_ids(wf)
        wf.refresh_timers()
        fired = sorted(t.task_spec.bpmn_id for t in wf.get_tasks(state=TaskState.READY) if t.id in waiting)
        step = Step(session, case, version, ctx, at, None, services)
        return _finish(step, wf, "timer_fired", {"timers": fired}, None, done_before)


def _claim_event(session: Session, case: Case, actor: User, kind: str, human: HumanTask) -> CaseEvent:
    """Record a claim or unclaim; call it before changing the task row.

    It writes the case row (its version check) at once: every step locks the case row first and
    its task rows after. Writing the task row first deadlocked on PostgreSQL against a step on the
    same case (which held the case row and waited for the task row), and one of them failed with
    a deadlock error after a second instead of the other one getting the usual conflict.
    """
    snap = session.get(CaseSnapshot, case.id)
    event = append_event(session, case, kind, at=clock.now(), actor=actor, state_digest=snap.digest,
                         digest_version=snap.digest_version, data={}, task_spec=human.task_spec, task_id=human.id)
    session.flush()
    return event


def claim_task(session: Session, actor: User, task_id: str) -> HumanTask:
    """Take a task so colleagues see it is being worked on."""
    human = access.task_for(session, actor, task_id)
    access.check_can_work(session, actor, human, [])
    if human.claimed_by_id != actor.id:
        _claim_event(session, session.get(Case, human.case_id), actor, "task_claimed", human)
        human.claimed_by_id, human.claimed_at = actor.id, clock.now()
    return human


def unclaim_task(session: Session, actor: User, task_id: str) -> HumanTask:
    """Give a claimed task back to the queue (the claimer, or a leader of the township)."""
    human = access.task_for(session, actor, task_id)
    if human.claimed_by_id is None:
        return human
    if human.claimed_by_id != actor.id and not (actor.role == "leader" and actor.township_code == human.township_code):
        raise Conflict("该任务已由其他工作人员认领", "Another member of staff has claimed this task")
    _claim_event(session, session.get(Case, human.case_id), actor, "task_unclaimed", human)
    human.claimed_by_id, human.claimed_at = None, None
    return human


def _catching_spec(version: specs.ProcessVersion, message: str):
    """The task spec that catches ``message`` (in the process or an event subprocess)."""
    for spec in [version.spec, *version.subprocess_specs.values()]:
        for task_spec in spec.task_specs.values():
            definition = getattr(task_spec, "event_definition", None)
            if definition is not None and getattr(definition, "name", None) == message:
                return task_spec
    raise ValueError(f"the process does not catch message {message!r}")


def catches_message(version: specs.ProcessVersion, message: str) -> bool:
    """Whether the process (or one of its event subprocesses) has an event that catches ``message``."""
    try:
        _catching_spec(version, message)
    except ValueError:
        return False
    return True


def message_senders(version: specs.ProcessVersion, message: str) -> list[str]:
    """The roles the BPMN lets send ``message`` (``senderRoles`` on the catching event)."""
    roles = runtime.task_properties(_catching_spec(version, message)).get("senderRoles", "")
    return [r for r in roles.split(",") if r]


def deliver_message(
    session: Session, case: Case, message: str, payload: dict, services: Services,
    actor: User | None = None, kind: str = "message_received",
) -> StepResult:
    """One step: the case catches a BPMN message with its payload (recorded, so replay sends it again).

    Raises:
        Conflict: the case is not at a step that takes this message (it moved on, or never will).
    """
    with clock.frozen(clock.now()) as at:
        ctx = _context(session, case.township_code)
        version, wf = _load(session, case, ctx)
        done_before = _completed_ids(wf)
        try:
            wf.send_event(BpmnEvent(MessageEventDefinition(message), payload))
        except WorkflowException:
            raise Conflict("案件当前所处环节不能办理此项操作，请刷新页面",
                           f"The case is not waiting for {message}") from None
        step = Step(session, case, version, ctx, at, actor, services)
        return _finish(step, wf, kind, {"message": message, "payload": payload}, None, done_before)
