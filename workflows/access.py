"""Who may see and do what: role, township scope and separation of duties.

Checked here, below the web layer, so the web UI, the JSON API and the CLI enforce the same rules.
A case of another township is reported as not found, never as forbidden, so ids cannot be probed.
"""

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from . import relatives, roster
from .errors import Conflict, Forbidden, NotFound
from .store import Benefit, Case, CaseEvent, HumanTask, PaymentRoster, User

CASE_VIEW_ROLES = ("clerk", "investigator", "reviewer", "leader", "county_auditor", "admin")
AUDIT_ROLES = ("county_auditor", "admin")
# Lanes worked by district staff: any township's case, no township scope.
COUNTY_TASK_ROLES = ("county_auditor",)


def check_can_audit(user: User) -> None:
    """Raise unless the user may replay and verify cases."""
    if user.role not in AUDIT_ROLES:
        raise Forbidden("只有区民政局审计人员和管理员可以重放验证", "Only auditors and administrators may replay cases")


def can_see_township(user: User, township_code: str) -> bool:
    """Township staff see their own township; county roles see the whole county."""
    if user.is_township_staff:
        return user.township_code == township_code
    return user.role in ("county_auditor", "admin")


def case_for(session: Session, user: User, case_no: str) -> Case:
    """The case, if this user may see it; NotFound otherwise (also for another township's case)."""
    case = session.scalars(select(Case).where(Case.case_no == case_no)).first()
    if case is None or user.role not in CASE_VIEW_ROLES or not can_see_township(user, case.township_code):
        raise NotFound("未找到该案件，或您无权查看", "No such case, or not visible to you")
    if case.process_id == roster.PROCESS:  # a payment roster's case: for those who read rosters
        roster.check_can_view(user, case.township_code)
    return case


def benefit_for(session: Session, user: User, benefit_id: int) -> Benefit:
    """A household on 低保 (the benefit register's row), if this user may see it.

    Raises:
        NotFound: no such benefit, or another township's (county roles see every township).
        Forbidden: the user's role may not see the register.
    """
    benefit = session.get(Benefit, benefit_id)
    if benefit is None or not can_see_township(user, benefit.township_code):
        raise NotFound("未找到该在保家庭，或您无权查看", "No such benefit, or not visible to you")
    if user.role not in CASE_VIEW_ROLES:
        raise Forbidden("您的岗位无权查看在保家庭", "Your role may not see the benefit register")
    return benefit


def roster_for(session: Session, user: User, number: str) -> PaymentRoster:
    """An issued payment roster by its number, if this user may read it.

    Raises:
        NotFound: no such roster, or another township's (county roles see every township).
        Forbidden: the user's role may not read rosters (the township's leader and reviewer, county
            auditors and administrators may).
    """
    found = session.scalars(select(PaymentRoster).where(PaymentRoster.pdf_number == number)).first()
    if found is None or not can_see_township(user, found.township_code):
        raise NotFound("未找到该花名册，或您无权查看", "No such roster, or not visible to you")
    roster.check_can_view(user, found.township_code)
    return found


def task_for(session: Session, user: User, task_id: str) -> HumanTask:
    """An open task of the user's own role and township.

    Raises:
        Forbidden: the task belongs to another role (or the user works no tasks).
        Conflict: the task was completed already (a double submit, or a colleague was quicker).
        NotFound: no such task in a township the user may see.
    """
    task = session.get(HumanTask, task_id)
    if task is not None and can_see_township(user, task.township_code):
        if user.role != task.role:
            raise Forbidden("该环节不属于您的岗位职责", "This step belongs to another role")
        return task
    done = session.scalars(
        select(Case.township_code).join(CaseEvent, CaseEvent.case_id == Case.id)
        .where(CaseEvent.task_id == str(task_id), CaseEvent.kind == "task_completed")
    ).first()
    if done is not None and can_see_township(user, done):
        raise Conflict("该任务已办结，案件已进入下一环节", "This task has already been completed; the case moved on")
    raise NotFound("该任务不存在", "No such task")


def check_can_work(session: Session, user: User, task: HumanTask, separate_from: list[str]) -> None:
    """Raise unless ``user`` may complete or claim ``task`` now."""
    if task.role not in COUNTY_TASK_ROLES and (not user.is_township_staff or user.township_code != task.township_code):
        raise NotFound("该任务不存在或已办结", "No such open task (it may have been completed)")
    if user.role != task.role:
        raise Forbidden("该环节不属于您的岗位职责", "This step belongs to another role")
    if task.claimed_by_id not in (None, user.id):
        raise Conflict("该任务已由其他工作人员认领", "Another member of staff has claimed this task")
    if separate_from:
        # a step done: a task completed, or the case's start (its first event, recorded as the step "start")
        earlier = session.scalars(
            select(CaseEvent.task_spec).where(
                CaseEvent.case_id == task.case_id,
                or_(CaseEvent.kind == "task_completed", CaseEvent.seq == 1),
                CaseEvent.actor_id == user.id,
                CaseEvent.task_spec.in_(separate_from),
            )
        ).first()
        if earlier:
            raise Forbidden(
                "您已办理过本案的前序环节，按职责分离要求不能办理此环节",
                "Separation of duties: you handled an earlier step of this case",
            )
    check_not_involved(session, user, session.get(Case, task.case_id))


def check_not_involved(session: Session, user: User, case: Case) -> None:
    """Raise unless ``user`` may act on ``case`` as far as 回避 goes: neither they nor a near relative
    registered for them is one of its people (``relatives.involved``; every role, administrators included).

    The message does not say which relative: the register is the staff member's own business.
    """
    if relatives.involved(session, user, case):
        raise Forbidden(
            "按回避规定，您本人或您登记备案的近亲属是本案家庭成员，不能办理本案，请由其他工作人员办理",
            "Conflict of interest: you or a near relative registered for you belongs to this case's household; "
            "another member of staff must handle it",
        )


def check_can_send(user: User, case: Case, message: str, roles: list[str]) -> None:
    """Raise unless ``user`` may send ``message`` to ``case`` (roles from the catching event in the BPMN)."""
    if not can_see_township(user, case.township_code):
        raise NotFound("未找到该案件，或您无权操作", "No such case, or not yours to act on")
    if not user.is_township_staff or user.township_code != case.township_code or user.role not in roles:
        raise Forbidden("该操作不属于您的岗位职责", f"Your role may not send {message}")


def check_can_retry(user: User, case: Case) -> None:
    """Raise unless ``user`` may retry the case's failed outside calls (administrators, the township's staff)."""
    if user.role == "admin":
        return
    if not user.is_township_staff or user.township_code != case.township_code:
        raise Forbidden("只有本乡镇（街道）工作人员或管理员可以重试",
                        "Only the township's staff or an administrator may retry")


def check_can_attach(user: User, case: Case) -> None:
    """Raise unless ``user`` may attach a scan to ``case`` now: the case township's staff, while it is open.

    Raises:
        NotFound: another township's case.
        Forbidden: county roles and administrators, who read attachments but do not add them.
        Conflict: the case has ended.
    """
    if not can_see_township(user, case.township_code):
        raise NotFound("未找到该案件，或您无权操作", "No such case, or not yours to act on")
    if not user.is_township_staff:
        raise Forbidden("区民政局和管理员只能查看材料扫描件，上传由乡镇（街道）工作人员办理",
                        "County roles and administrators read attachments; the township's staff add them")
    if not case.is_active:
        raise Conflict("案件已办结，不能再上传材料扫描件", "The case has ended; no more attachments can be added")
