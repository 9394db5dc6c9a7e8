"""探访 cases (process ``dibao_visit``): one case per visit target and month, started from data.

Starting: :func:`schedule_township` brings the township's targets in line with the benefit register
and starts the month's case of every target of the month that has none (the worker once a day, and
``flask start-visits``; one transaction per case, by the scheduler account). A target registered by
hand gets its case at once (:func:`register_target`). The month's case of a target is number 1 in
``visit_case``, unique per target and month, so a start made twice is refused by the database too.

Recording: :func:`record_visit` (the 探访 page and the API) completes the target's open 探访 task of the
visit date's month through the engine, like the task page does. When the month's case is done already,
a further visit gets a case of its own (number 2, 3 …) that is started and completed in the same
transaction; once the month has closed (``visit.close_after_wd`` working days after its last day) a
visit of it is refused. Ending a target by hand (:func:`end_target`) cancels its open cases of later
months (message ``visit_target_ended``).

The monthly rate is counted from the ``Visit`` rows the completed tasks write (``workflows.visits``).
"""

from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from . import access, clock, engine, queries, rules, specs, visits
from .errors import Conflict, Forbidden, Invalid
from .forms import validate_submission
from .i18n import N_
from .settings import SettingsView
from .step import Services
from .store import Case, HumanTask, Township, User, Visit, VisitCase, VisitScheduleRun, VisitTarget, unit_of_work
from .visit_steps import PROCESS, VISIT_TASK

STARTED = "visit_started"
SCHEDULED, EXTRA = "scheduled", "extra"
ENDED_MESSAGE = "visit_target_ended"
SCHEDULER = "visit-scheduler"  # the account the worker's and the command's starts are recorded as
CLOSES_AFTER = "visit.close_after_wd"


@dataclass
class DueVisit:
    """An open 探访 task of a month, with its target and case (the due list)."""

    task: HumanTask
    target: VisitTarget
    case: Case


def scheduler_account(session: Session) -> User:
    """The account scheduled starts are recorded as (created on first use; it cannot log in)."""
    found = session.scalars(select(User).where(User.username == SCHEDULER)).first()
    if found is None:
        found = User(username=SCHEDULER, display_name="系统（探访排期）", role="system", township_code=None,
                     password_hash="!", active=False)
        session.add(found)
        session.flush()
    return found


def check_can_visit(session: Session, user: User, target: VisitTarget) -> None:
    """Raise Forbidden unless ``user`` may record a visit to ``target``: the role of the 探访 task's lane
    (the township's investigators), in the target's township."""
    lane = specs.current_version(session, PROCESS).task_spec(VISIT_TASK).lane
    if user.role != lane or not user.is_township_staff or user.township_code != target.township_code:
        raise Forbidden("只有本乡镇（街道）的入户调查人员可以登记探访",
                        "Only the township's investigators record visits")


def _start_data(target: VisitTarget, month: str, kind: str, seq: int, version: specs.ProcessVersion) -> dict:
    data = {"target_id": target.id, "target_name": target.name, "target_category": target.category,
            "target_source": target.source, "target_benefit_id": target.benefit_id, "visit_month": month,
            "visit_seq": seq, "members": [{"name": target.name, "id_no": target.id_no}]}
    form, errors = validate_submission(version.form("start"), {"visit_kind": kind}, data)
    if errors:  # the data comes from the target's row: a failure here is a bug, not a user's mistake
        raise ValueError(f"visit start data refused by its form: {errors}")
    return {**data, **form}


def start_case(session: Session, actor: User, target: VisitTarget, month: str, services: Services,
               kind: str = SCHEDULED) -> engine.StepResult:
    """Start a visit case of ``target`` for ``month`` (one step; its 探访 task opens).

    Raises:
        Conflict: the month's scheduled case exists already (also when another start won just now).
    """
    numbers = list(session.scalars(select(VisitCase.seq).where(VisitCase.target_id == target.id,
                                                               VisitCase.month == month)))
    if kind == SCHEDULED and 1 in numbers:
        raise Conflict(f"{target.name} {month} 的探访已排期", f"The {month} visit of {target.name} is scheduled")
    seq = 1 if kind == SCHEDULED else max([1, *numbers]) + 1
    version = specs.current_version(session, PROCESS)
    result = engine.open_case(session, actor, version, target.township_code,
                              _start_data(target, month, kind, seq, version), services, kind=STARTED,
                              status="VISIT_DUE", applicant_name=target.name, applicant_id_no=target.id_no,
                              household_size=1)
    session.add(VisitCase(case_id=result.case.id, target_id=target.id, township_code=target.township_code,
                          month=month, seq=seq))
    try:
        session.flush()
    except IntegrityError as exc:  # started by someone else at the same moment
        raise Conflict(f"{target.name} {month} 的探访已由他人登记，请刷新页面",
                       f"The {month} visit of {target.name} was just started by someone else") from exc
    return result


def unscheduled(session: Session, township_code: str, month: str, on: date) -> list[VisitTarget]:
    """The month's targets (active on a day of it up to ``on``) without the month's scheduled case."""
    scheduled = select(VisitCase.target_id).where(VisitCase.township_code == township_code,
                                                  VisitCase.month == month, VisitCase.seq == 1)
    have = set(session.scalars(scheduled))
    return [t for t in visits.targets_of_month(session, township_code, month) if t.since <= on and t.id not in have]


def townships_due(session: Session, on: date) -> list[str]:
    """Townships whose visits were not scheduled yet on ``on`` (the worker's daily pass)."""
    done = select(VisitScheduleRun.township_code).where(VisitScheduleRun.scheduled_on >= on)
    return list(session.scalars(select(Township.code).where(Township.code.not_in(done)).order_by(Township.code)))


def schedule_township(factory: sessionmaker, township_code: str, services: Services, on: date | None = None) -> dict:
    """Bring the township's targets in line with the register and start the month's missing cases.

    One transaction for the targets, one per case started (a case another worker started meanwhile is
    skipped), then the day is noted for the township (:func:`townships_due`).

    Returns:
        ``added`` and ``ended`` (targets, ``visits.sync_targets``) and ``started`` (cases).
    """
    on = on or clock.today()
    month = rules.month_of(on)
    with unit_of_work(factory) as sess:
        synced = visits.sync_targets(sess, township_code, on)
        pending = [t.id for t in unscheduled(sess, township_code, month, on)]
        actor_id = scheduler_account(sess).id
        ended = sess.scalars(select(VisitTarget).join(VisitCase, VisitCase.target_id == VisitTarget.id).where(
            VisitTarget.township_code == township_code, VisitTarget.until < visits.month_bounds(month)[0],
            VisitCase.month == month).distinct())
        for target in list(ended):  # ended by the register on a month's first day after its case started
            _cancel_after_end(sess, target, services, sess.get(User, actor_id))
    started = 0
    for target_id in pending:
        try:
            with unit_of_work(factory) as sess:
                start_case(sess, sess.get(User, actor_id), sess.get(VisitTarget, target_id), month, services)
            started += 1
        except Conflict:
            continue
    with unit_of_work(factory) as sess:
        row = sess.get(VisitScheduleRun, township_code)
        if row is None:
            sess.add(VisitScheduleRun(township_code=township_code, scheduled_on=on))
        else:
            row.scheduled_on = max(row.scheduled_on, on)
    return {**synced, "started": started}


def register_target(session: Session, actor: User, township_code: str, values: dict,
                    services: Services) -> tuple[VisitTarget, engine.StepResult]:
    """Register a key person by hand (``visits.register_target``: ``id_no``, ``name``, ``category``, ``note``)
    and start this month's visit case of them at once."""
    target = visits.register_target(session, actor, township_code, values.get("id_no", ""), values.get("name", ""),
                                    values.get("category", ""), values.get("note", ""))
    return target, start_case(session, actor, target, rules.month_of(clock.today()), services)


def end_target(session: Session, actor: User, target_id: int, last_day: date | None, reason: str,
               services: Services) -> VisitTarget:
    """End a hand-registered target (``visits.end_target``) and cancel its open visit cases of months
    after the last day (a month that includes it is still due)."""
    target = visits.end_target(session, actor, target_id, last_day, reason)
    _cancel_after_end(session, target, services, actor)
    return target


def _cancel_after_end(session: Session, target: VisitTarget, services: Services, actor: User | None) -> int:
    """Cancel the target's open visit cases of months after its last day (message ``visit_target_ended``)."""
    after = rules.month_of(target.until)
    opened = session.scalars(select(Case).join(VisitCase, VisitCase.case_id == Case.id).where(
        VisitCase.target_id == target.id, VisitCase.month > after, Case.status == "VISIT_DUE").order_by(Case.id))
    cancelled = 0
    for case in list(opened):
        engine.deliver_message(session, case, ENDED_MESSAGE, {"last_day": target.until.isoformat(),
                                                               "reason": target.end_reason or ""}, services, actor)
        cancelled += 1
    return cancelled


def month_closes_on(session: Session, township_code: str, month: str) -> date:
    """The last day a visit of ``month`` can be recorded (``visit.close_after_wd`` working days after the
    month's last day, as the setting is in force today)."""
    last = visits.month_bounds(month)[1]
    return rules.add_working_days(last, int(SettingsView(session, township_code, clock.today()).get(CLOSES_AFTER)))


def _visit_day(submission) -> date:
    try:
        day = date.fromisoformat(str(submission.get("visited_on", "")).strip())
    except (AttributeError, ValueError):
        raise Invalid("探访记录有误，请按提示修改", "The visit record has errors",
                      {"visited_on": N_("请填写探访日期")}) from None
    if day > clock.today():
        raise Invalid("探访记录有误，请按提示修改", "The visit record has errors",
                      {"visited_on": N_("探访日期不能晚于今天")})
    return day


def _task_given(session: Session, actor: User, target: VisitTarget, task_id: str) -> HumanTask:
    """The open 探访 task named by the page or the API client (a double submit finds it done: 409)."""
    human = access.task_for(session, actor, task_id)
    link = session.scalars(select(VisitCase).where(VisitCase.case_id == human.case_id)).first()
    if link is None or link.target_id != target.id or human.task_spec != VISIT_TASK:
        raise Invalid("该任务不是该对象的探访任务", "The task is not this person's visit", {"task_id": N_("任务不符")})
    return human


def open_task(session: Session, target: VisitTarget, month: str) -> HumanTask | None:
    """The target's open 探访 task of ``month``, if there is one."""
    return session.scalars(select(HumanTask).join(VisitCase, VisitCase.case_id == HumanTask.case_id).where(
        VisitCase.target_id == target.id, VisitCase.month == month, HumanTask.task_spec == VISIT_TASK)).first()


def _task_for_visit(session: Session, actor: User, target: VisitTarget, day: date, services: Services) -> HumanTask:
    """The task a visit on ``day`` completes: the month's open one, else one of a case started now (the
    month's, or a further visit's when the month's is done)."""
    month = rules.month_of(day)
    human = open_task(session, target, month)
    if human is not None:
        return human
    if clock.today() > month_closes_on(session, target.township_code, month):
        raise Invalid("该月探访已结案，不能再登记该月的探访", "The month's visits are closed",
                      {"visited_on": N_("该月探访已结案，不能再登记")})
    if not visits.in_period(target, day):
        raise Invalid("探访日期不在该对象的探访期间内", "The date is outside the person's visiting period",
                      {"visited_on": N_("探访日期不在该对象的探访期间内")})
    scheduled = session.scalars(select(VisitCase.id).where(VisitCase.target_id == target.id, VisitCase.month == month,
                                                           VisitCase.seq == 1)).first()
    result = start_case(session, actor, target, month, services, EXTRA if scheduled else SCHEDULED)
    (human,) = queries.case_open_tasks(session, result.case)
    return human


def record_visit(session: Session, actor: User, target_id: int, submission: dict, services: Services,
                 task_id: str | None = None, locale: str = "zh") -> engine.StepResult:
    """Record a visit to a target (the 探访 page, the API): complete its 探访 task of the visit's month.

    Args:
        submission: the 探访 form (``visited_on``, ``method``, ``notes``, ``change_found``, ``change_detail``).
        task_id: the task the page or client showed; without it, the target's open task of the month, or
            a case started now.

    Raises:
        NotFound: no such target. Forbidden: not an investigator of its township.
        Invalid: the form, a date in the future, outside the person's period or of a closed month.
        Conflict: the task named was completed already (a double submit, or a colleague was quicker).
    """
    target = queries.visit_target_for(session, actor, target_id)
    check_can_visit(session, actor, target)
    if not isinstance(submission, dict):
        raise Invalid("探访记录有误，请按提示修改", "The visit record has errors")
    if task_id:
        human = _task_given(session, actor, target, task_id)
    else:
        human = _task_for_visit(session, actor, target, _visit_day(submission), services)
    return engine.complete_task(session, actor, human.id, submission, services, locale)


def month_view(session: Session, township_code: str, month: str) -> dict:
    """The township's 探访 of a month for its staff's page and the API.

    Returns:
        ``due`` (:class:`DueVisit`, open 探访 tasks by name), ``visited`` (the month's visits, newest first,
        as ``(Visit, VisitTarget, staff name, case number or None)``), ``unscheduled`` (targets of the month
        with no case yet) and ``rate`` (``visits.monthly_rate``).

    Raises:
        Invalid: the month is not YYYY-MM.
    """
    first, last = visits.month_bounds(month)
    rows = session.execute(
        select(HumanTask, VisitTarget, Case).join(VisitCase, VisitCase.case_id == HumanTask.case_id)
        .join(VisitTarget, VisitTarget.id == VisitCase.target_id).join(Case, Case.id == HumanTask.case_id)
        .where(VisitCase.township_code == township_code, VisitCase.month == month, HumanTask.task_spec == VISIT_TASK)
        .order_by(VisitTarget.name, VisitTarget.id))
    made = session.execute(
        select(Visit, VisitTarget, User.display_name, Case.case_no).join(VisitTarget, VisitTarget.id == Visit.target_id)
        .join(User, User.id == Visit.staff_id).outerjoin(Case, Case.id == Visit.case_id)
        .where(Visit.township_code == township_code, Visit.visited_on >= first, Visit.visited_on <= last)
        .order_by(Visit.visited_on.desc(), Visit.id.desc()))
    return {"due": [DueVisit(*row) for row in rows], "visited": [tuple(row) for row in made],
            "unscheduled": unscheduled(session, township_code, month, min(last, clock.today())),
            "rate": visits.monthly_rate(session, township_code, month)}

