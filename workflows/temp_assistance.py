"""临时救助 (temporary assistance, DOMAIN.md §4): registering an application (process ``temp_assistance``).

The process is in ``bpmn/temp_assistance.bpmn``: 急难型 is approved by the township leader and paid
first from the township reserve (``workflows.reserve``), with the paperwork completed afterwards
within a deadline; 支出型 is checked and reviewed first, then approved by the township within its
authority limit (paid from the reserve) or by the county above it (paid by the county).

A temporary assistance case is not a 低保 application: its members are not entered in the person
index (a household on 低保 may get temporary assistance too), and one applicant has at most one
temporary assistance case under way.
"""

from sqlalchemy import select
from sqlalchemy.orm import Session

from . import engine, specs
from .access import CASE_VIEW_ROLES
from .errors import Conflict, Forbidden, Invalid
from .forms import validate_submission
from .queries import page_offset
from .step import Services
from .store import ACTIVE_STATUSES, Case, User

PROCESS = "temp_assistance"
STATUSES = ("EMERGENCY_DECISION", "PAPERWORK", "VERIFYING", "REVIEWING", "PENDING_DECISION", "COUNTY_APPROVAL",
            "PAID", "REFUSED")
PAGE_SIZE = 50


def running_case(session: Session, id_no: str) -> str | None:
    """The case number of the person's temporary assistance under way, if there is one."""
    return session.scalars(select(Case.case_no).where(
        Case.process_id == PROCESS, Case.applicant_id_no == id_no, Case.status.in_(ACTIVE_STATUSES))).first()


def start(session: Session, actor: User, submission: dict, services: Services, locale: str = "zh") -> engine.StepResult:
    """Register an application for temporary assistance at the actor's township window and start its process.

    Raises:
        Forbidden: the actor is not a township window clerk (the lane of the process's start).
        Invalid: the form has errors.
        Conflict: the applicant already has a temporary assistance case under way.
    """
    version = specs.current_version(session, PROCESS)
    if not actor.is_township_staff or actor.role != version.task_spec("start").lane:
        raise Forbidden("只有乡镇（街道）窗口受理人员可以登记临时救助申请",
                        "Only township window clerks register applications")
    clean, errors = validate_submission(version.form("start"), submission, {}, locale)
    if errors:
        raise Invalid("申请信息有误，请按提示修改", "The application has errors", errors)
    me = next(m for m in clean["members"] if m["relation"] == "self")
    running = running_case(session, me["id_no"])
    if running:
        raise Conflict(f"申请人已有在办的临时救助申请（{running}）",
                       f"The applicant has temporary assistance under way ({running})")
    return engine.open_case(session, actor, version, actor.township_code, clean, services,
                            kind="application_submitted", status="SUBMITTED", applicant_name=me["name"],
                            applicant_id_no=me["id_no"], household_size=len(clean["members"]))


def cases(session: Session, user: User, status: str | None = None, township: str | None = None,
          page: int = 1) -> list[Case]:
    """Temporary assistance cases the user may see, newest first: township staff their own township's,
    county roles every township's (or ``township``'s).

    Raises:
        Forbidden: a role that sees no cases. Invalid: an unknown status.
    """
    if user.role not in CASE_VIEW_ROLES:
        raise Forbidden("您的岗位无权查看临时救助案件", "Your role may not see temporary assistance cases")
    if status is not None and status not in STATUSES:
        raise Invalid("status 取值无效", "Unknown status", {"status": "one of " + ", ".join(STATUSES)})
    query = select(Case).where(Case.process_id == PROCESS)
    if user.is_township_staff:
        query = query.where(Case.township_code == user.township_code)
    elif township:
        query = query.where(Case.township_code == township)
    if status:
        query = query.where(Case.status == status)
    query = query.order_by(Case.id.desc()).limit(PAGE_SIZE).offset(page_offset(page, PAGE_SIZE))
    return list(session.scalars(query))
