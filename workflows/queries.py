"""Read-side queries for queues, lists and case pages (read models only, never workflows)."""

import json
from dataclasses import dataclass
from datetime import date
from uuid import UUID

from SpiffWorkflow.bpmn.script_engine import PythonScriptEngine
from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session, load_only

from . import clock, queues, reserve, retention, roster, runtime, specs
from .access import can_see_township
from .errors import Forbidden, NotFound
from .forms import display_values
from .store import (
    ACTIVE_STATUSES,
    Benefit,
    BenefitChange,
    Case,
    CaseEvent,
    CaseSnapshot,
    Document,
    HumanTask,
    Township,
    User,
    VisitTarget,
)

PAGE_SIZE = 50
# Pages past this would need an OFFSET beyond what the database takes (PostgreSQL: bigint); the API
# refuses them (422), other callers get an empty page.
MAX_PAGE = 2**31 - 1


def page_offset(page: int, size: int = PAGE_SIZE) -> int:
    """The OFFSET of a 1-based page of ``size`` rows (page < 1 is the first; beyond MAX_PAGE, MAX_PAGE)."""
    return (min(max(page, 1), MAX_PAGE) - 1) * size


@dataclass
class QueueRow:
    """One line of a task queue."""

    task: HumanTask
    case: Case
    claimed_by: str | None

    @property
    def urgency(self) -> str:
        """overdue / due_soon (within ``queues.DUE_SOON_WORKING_DAYS`` working days) / normal, for colouring."""
        return queues.urgency(self.task.due_on, clock.today())


def _scope(query, user: User, column):
    if user.is_township_staff:
        return query.where(column == user.township_code)
    return query


def task_queue(session: Session, user: User, view: str = "all", page: int = 1,
               filters: queues.QueueFilter | None = None) -> list[QueueRow]:
    """Open tasks of the user's role in the user's township, most urgent first (or as ``filters`` say).

    ``view`` is one of all / mine / unclaimed / overdue / week (``queues.VIEWS``); ``filters`` narrows the
    queue (a county role's township, a step, a search) and orders it (``queues.QueueFilter``).
    """
    filters = filters or queues.QueueFilter()
    query = (
        select(HumanTask, Case, User.display_name)
        .join(Case, Case.id == HumanTask.case_id)
        .outerjoin(User, User.id == HumanTask.claimed_by_id)
    )
    query = queues.narrowed(query, user, filters)
    condition = queues.view_conditions(user, clock.today()).get(view)
    if condition is not None:
        query = query.where(condition)
    # By default the order of ix_human_task_queue / ix_human_task_role_due (tasks without a due day last), so
    # the database reads one page of the index instead of sorting the whole queue (P3, docs/performance.md).
    query = query.order_by(*queues.order(filters))
    query = query.limit(PAGE_SIZE).offset(page_offset(page))
    # Only the case's columns a queue shows (a case row has ~25: loading all of them was a fifth of the
    # page's time, issue 7 P4); any other is still read on first use.
    query = query.options(load_only(Case.case_no, Case.applicant_name, Case.household_size, Case.township_code,
                                    Case.status))
    return [QueueRow(t, c, name) for t, c, name in session.execute(query)]


def queue_counts(session: Session, user: User, filters: queues.QueueFilter | None = None) -> dict[str, int]:
    """How many open tasks the user's queue holds (narrowed by ``filters``): all, mine, unclaimed, overdue, week.

    One pass over the queue's index entries (``COUNT(*) FILTER``), not one query per view.
    """
    filters = filters or queues.QueueFilter()
    conditions = queues.view_conditions(user, clock.today())
    query = select(func.count(), *(func.count().filter(c) for c in conditions.values())).select_from(HumanTask)
    if filters.text:  # the search reads the case's number and applicant
        query = query.join(Case, Case.id == HumanTask.case_id)
    counts = session.execute(queues.narrowed(query, user, filters)).one()
    return dict(zip(("all", *conditions), (n or 0 for n in counts), strict=True))


# The processes the case list can be narrowed to, in the order its filter offers them. Visits (one case
# per person and month) would crowd out everything else, so the list leaves them out unless asked.
CASE_PROCESSES = ("dibao_application", "dibao_review", "temp_assistance", "dibao_spot_check", "dibao_visit",
                  roster.PROCESS)
VISIT_PROCESS = "dibao_visit"
ALL_PROCESSES = "all"


def case_list(session: Session, user: User, status: str | None = None, text: str = "", page: int = 1,
              peek: bool = False, process: str | None = None) -> list[Case]:
    """Cases the user may see, newest first, filtered by status, process and applicant name/number.

    ``process``: one of CASE_PROCESSES, ``"all"``, or None — every process but the monthly visits.
    ``peek`` reads one case past the page as well: a list longer than PAGE_SIZE has a next page.
    """
    query = _scope(select(Case), user, Case.township_code)
    if not roster.may_view(user):  # payment roster cases are for those who read rosters
        query = query.where(Case.process_id != roster.PROCESS)
    if process in CASE_PROCESSES:
        query = query.where(Case.process_id == process)
    elif process != ALL_PROCESSES:
        query = query.where(Case.process_id != VISIT_PROCESS)
    if status:
        query = query.where(Case.status == status)
    if text:  # anywhere in the name or number, its own % and _ taken literally
        query = query.where(or_(Case.applicant_name.contains(text, autoescape=True),
                                Case.case_no.contains(text, autoescape=True), Case.applicant_id_no == text))
    query = query.order_by(Case.id.desc()).limit(PAGE_SIZE + (1 if peek else 0)).offset(page_offset(page))
    return list(session.scalars(query))


def case_events(session: Session, case: Case) -> list[CaseEvent]:
    """The case's history, oldest first."""
    return list(session.scalars(select(CaseEvent).where(CaseEvent.case_id == case.id).order_by(CaseEvent.seq)))


def case_documents(session: Session, case: Case) -> list[Document]:
    """Documents issued for the case."""
    return list(session.scalars(select(Document).where(Document.case_id == case.id).order_by(Document.id)))


def case_open_tasks(session: Session, case: Case) -> list[HumanTask]:
    """The case's open human tasks."""
    return list(session.scalars(select(HumanTask).where(HumanTask.case_id == case.id)))


def document_for(session: Session, user: User, number: str) -> Document | None:
    """A document the user may download."""
    doc = session.scalars(select(Document).where(Document.number == number)).first()
    return doc if doc and can_see_township(user, doc.township_code) else None


def document_by_code(session: Session, code: str) -> tuple[Document, Township | None] | None:
    """A document by its public verification code (for the public /verify page)."""
    doc = session.scalars(select(Document).where(Document.verify_code == code.upper())).first()
    return (doc, session.get(Township, doc.township_code)) if doc else None


def townships(session: Session) -> dict[str, Township]:
    """All township units by code."""
    return {t.code: t for t in session.scalars(select(Township).order_by(Township.code))}


def overdue_on(task: HumanTask, today: date | None = None) -> bool:
    """True if the task is past its due date."""
    return bool(task.due_on and task.due_on < (today or clock.today()))


def case_data(session: Session, case: Case) -> dict:
    """The case's current data (household, assessment, decision), read from its snapshot.

    For a single case page; lists and queues use the summary columns instead.
    """
    snap = session.get(CaseSnapshot, case.id)
    if retention.is_compacted(snap):
        return retention.final_data(snap)
    version = specs.version_by_hash(session, case.spec_hash)
    wf = runtime.load_state(snap.state, version, PythonScriptEngine())
    return runtime.current_data(wf)


def task_data(session: Session, human: HumanTask) -> dict:
    """The data an open task sees (its form is prefilled from it)."""
    case = session.get(Case, human.case_id)
    snap = session.get(CaseSnapshot, case.id)
    wf = runtime.load_state(snap.state, specs.version_by_hash(session, case.spec_hash), PythonScriptEngine())
    task = wf.get_task_from_id(UUID(human.id))
    return task.data if task is not None else {}


def history_view(session: Session, case: Case, locale: str = "zh") -> list[dict]:
    """The case's events for people: step titles and submitted data with labels, in order."""
    version = specs.version_by_hash(session, case.spec_hash)
    rows = []
    for ev in case_events(session, case):
        data = json.loads(ev.data)
        title = version.task_spec(ev.task_spec).bpmn_name if ev.task_spec in version.spec.task_specs else ""
        shown = []
        if "form" in data and ev.task_spec:
            shown = display_values(version.form(ev.task_spec), data["form"], locale)
        timers = [version.task_spec(t).bpmn_name for t in data.get("timers", [])]
        rows.append({"event": ev, "title": title, "shown": shown, "timers": timers, "data": data})
    return rows


def process_xml(session: Session, case: Case) -> str:
    """The BPMN XML of the process version the case is pinned to."""
    version = specs.version_by_hash(session, case.spec_hash)
    return version.sources[f"{version.process_id}.bpmn"]


# The benefit register (在保家庭) and the payment rosters: read-side queries of their pages.

BENEFIT_STATUSES = ("ACTIVE", "PHASING_OUT", "TERMINATED")


def benefit_list(session: Session, user: User, status: str | None = None, township: str | None = None,
                 text: str = "", page: int = 1) -> list[Benefit]:
    """Households on 低保 the user may see (own township; any for county roles), by 低保证号.

    Args:
        status: ACTIVE / PHASING_OUT / TERMINATED, or None for all.
        township: a township code to narrow a county role's list (township staff see their own only).
        text: the holder's name, the 低保证号 (parts of either) or the holder's full ID number.
    """
    query = _scope(select(Benefit), user, Benefit.township_code)
    if township and not user.is_township_staff:
        query = query.where(Benefit.township_code == township)
    if status:
        query = query.where(Benefit.status == status)
    if text:
        like = f"%{text}%"
        query = query.where(or_(Benefit.holder_name.like(like), Benefit.certificate_no.like(like),
                                Benefit.holder_id_no == text))
    query = query.order_by(Benefit.township_code, Benefit.certificate_no)
    return list(session.scalars(query.limit(PAGE_SIZE).offset(page_offset(page))))


def benefit_changes(session: Session, benefit: Benefit) -> list[tuple[BenefitChange, str]]:
    """Every change of the benefit with the number of the case whose step made it, oldest first."""
    query = (select(BenefitChange, Case.case_no).join(Case, Case.id == BenefitChange.case_id)
             .where(BenefitChange.benefit_id == benefit.id).order_by(BenefitChange.at, BenefitChange.id))
    return [(change, case_no) for change, case_no in session.execute(query)]


def benefit_cases(session: Session, benefit: Benefit) -> list[Case]:
    """The application that granted the benefit, then its reviews, oldest first."""
    query = select(Case).where(or_(Case.id == benefit.case_id, Case.benefit_id == benefit.id)).order_by(Case.id)
    return list(session.scalars(query))


def benefit_of_case(session: Session, case: Case) -> Benefit | None:
    """The benefit a case granted (an approved application) or reviews (a review case), if any."""
    if case.benefit_id is not None:
        return session.get(Benefit, case.benefit_id)
    return session.scalars(select(Benefit).where(Benefit.case_id == case.id)).first()


def running_review(session: Session, benefit: Benefit) -> Case | None:
    """The benefit's review that is still being processed, if any."""
    return session.scalars(select(Case).where(Case.benefit_id == benefit.id, Case.status.in_(ACTIVE_STATUSES))
                           .order_by(Case.id.desc())).first()


def documents_of_cases(session: Session, cases: list[Case]) -> list[Document]:
    """The documents issued for these cases, in the order they were issued."""
    ids = [c.id for c in cases]
    return list(session.scalars(select(Document).where(Document.case_id.in_(ids)).order_by(Document.id))) if ids else []


# County spot checks (抽查): what the pages of a draw, a spot check and the case checked show.

SPOT_CHECK_PROCESS = "dibao_spot_check"


def subject_of(session: Session, case: Case) -> Case | None:
    """The case a spot check checked (None for any other case)."""
    return session.get(Case, case.subject_case_id) if case.subject_case_id else None


def spot_check_results(session: Session, checks: list[Case]) -> dict[int, dict]:
    """What each spot check found, from its history (no workflow is read), by the check's case id.

    Each value holds ``finding``, ``finding_detail``, ``method`` and ``visit_date`` once the check was
    done, and ``outcome`` and ``review_case_no`` once a problem was referred to the case checked.
    """
    ids = [c.id for c in checks]
    results: dict[int, dict] = {i: {} for i in ids}
    if not ids:
        return results
    rows = session.scalars(select(CaseEvent).where(
        CaseEvent.case_id.in_(ids), or_(CaseEvent.kind == "finding_referred",
                                        (CaseEvent.kind == "task_completed") & (CaseEvent.task_spec == "spot_check")))
        .order_by(CaseEvent.case_id, CaseEvent.seq))
    for event in rows:
        data = json.loads(event.data)
        if event.kind == "finding_referred":
            results[event.case_id].update(outcome=data.get("outcome"), review_case_no=data.get("review_case_no"))
        else:
            form = data.get("form") or {}
            results[event.case_id].update({key: form.get(key) for key in
                                           ("finding", "finding_detail", "method", "visit_date")})
    return results


def users_by_id(session: Session, ids: list[int]) -> dict[int, User]:
    """Staff accounts by id (for showing who did something)."""
    return {u.id: u for u in session.scalars(select(User).where(User.id.in_(ids)))} if ids else {}


# 临时救助备用金 and 探访: what their pages show, with who may see what checked here (not in the views).

def reserve_ledger(session: Session, user: User, township_code: str) -> dict:
    """A township's reserve fund for its page: ``balance`` and ``entries`` (newest first), with ``users``
    (who moved the money) and ``cases`` (case numbers of payments) by id.

    Raises:
        Forbidden: not the township's leader or reviewer, a county auditor or an admin (``reserve.entries``).
    """
    rows = reserve.entries(session, user, township_code)
    case_ids = [r.case_id for r in rows if r.case_id]
    cases = dict(session.execute(select(Case.id, Case.case_no).where(Case.id.in_(case_ids))).all()) if case_ids else {}
    return {"balance": reserve.balance(session, township_code), "entries": rows[::-1], "cases": cases,
            "users": users_by_id(session, sorted({r.by_id for r in rows}))}


VISIT_STAFF_ROLES = ("clerk", "investigator", "reviewer", "leader")
VISIT_COUNTY_ROLES = ("county_auditor", "admin")


def check_visit_staff(user: User, township_code: str) -> None:
    """Raise Forbidden unless ``user`` is staff of the township who visits (clerk, investigator, reviewer, leader)."""
    if user.role not in VISIT_STAFF_ROLES or user.township_code != township_code:
        raise Forbidden("只有本乡镇（街道）工作人员可以登记探访", "Only the township's staff record visits")


def visit_target_for(session: Session, user: User, target_id: int) -> VisitTarget:
    """A visit target the user may record visits to (staff of its township).

    Raises:
        NotFound: no such target. Forbidden: not staff of the target's township.
    """
    target = session.get(VisitTarget, target_id)
    if target is None:
        raise NotFound("没有该探访对象", "No such visit target")
    check_visit_staff(user, target.township_code)
    return target


def visit_month(session: Session, user: User, township_code: str, month: str) -> dict:
    """The township's 探访 of a month for its staff (``visit_cases.month_view``: the open visits, the visits
    made, the targets with no case yet and the rate).

    Raises:
        Forbidden: not staff of the township. Invalid: the month is not YYYY-MM.
    """
    from . import visit_cases  # noqa: PLC0415 - visit_cases imports this module (case_data)

    check_visit_staff(user, township_code)
    return visit_cases.month_view(session, township_code, month)


def visit_rates(session: Session, user: User, month: str) -> list[tuple[Township, dict]]:
    """Every township's 探访率 of a month, for the county auditor and admins, by township code.

    Raises:
        Forbidden: any other role. Invalid: the month is not YYYY-MM.
    """
    from . import visits  # noqa: PLC0415
    if user.role not in VISIT_COUNTY_ROLES:
        raise Forbidden("只有区民政局人员可以查看各乡镇（街道）探访率", "Only county staff see every township's rate")
    return [(t, visits.monthly_rate(session, code, month)) for code, t in townships(session).items()]
