"""What a task queue may be narrowed and ordered by, for ``queries.task_queue`` and ``queries.queue_counts``.

A queue is the open tasks of the user's role: a township's staff see their own township only (whatever
is asked: the filter's township is ignored for them), the county roles every township, or one they pick.
On top of that: a view (all, mine, unclaimed, overdue, due this week), a step (the task's BPMN task id),
a search (the case number or the applicant's name, from its first character), and an order (by due day,
most urgent first, tasks with no due day last; by the day the task arrived; by case number; each either
way). Due days are coloured by urgency: overdue, due within ``DUE_SOON_WORKING_DAYS`` working days, other.

The default order is the order of the queue indexes (``ix_human_task_queue`` for a township,
``ix_human_task_role_due`` for the county roles; 0012), so the database reads one page of an index and no
more; a step filter reads the same order from ``ix_human_task_step`` / ``ix_human_task_role_step`` (0021).
"""

from dataclasses import dataclass
from datetime import date, timedelta
from functools import lru_cache

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session

from .rules import add_working_days
from .store import Case, HumanTask, User

VIEWS = ("all", "mine", "unclaimed", "overdue", "week")
SORTS = ("due", "received", "case_no")
# How far ahead a due day is shown as 即将到期 (amber): a hint on the page, not a time limit (the limits are
# the dated dibao.deadline.* settings that gave each task its due day).
DUE_SOON_WORKING_DAYS = 2
MAX_TEXT = 32  # a search longer than the longest case number (32) or any name the queue shows is cut


@dataclass(frozen=True)
class QueueFilter:
    """How the user narrowed and ordered the queue (the defaults: the whole queue, most urgent first).

    Attributes:
        township: a township code; only for the county roles (township staff see their own township only).
        step: a task's BPMN id (``HumanTask.task_spec``), e.g. ``accept``.
        text: the first characters of a case number or of an applicant's name.
        sort: ``due`` (due day, then arrival), ``received`` (arrival) or ``case_no``.
        descending: the order reversed.
    """

    township: str | None = None
    step: str | None = None
    text: str = ""
    sort: str = "due"
    descending: bool = False

    @property
    def partial(self) -> bool:
        """Whether the filter leaves out part of the queue (sorting does not)."""
        return bool(self.township or self.step or self.text)


@dataclass(frozen=True)
class Step:
    """A step present in a queue: its BPMN id, its title (the BPMN name, as the rows show it) and how many
    open tasks of the queue are at it."""

    task_spec: str
    title: str
    count: int


def week_end(today: date) -> date:
    """The Sunday that ends ``today``'s ISO week (本周到期: due from today to that day)."""
    return today + timedelta(days=6 - today.weekday())


@lru_cache(maxsize=8)
def due_soon_until(today: date) -> date:
    """The last day shown as due soon: the day before the working day that comes after
    ``DUE_SOON_WORKING_DAYS`` working days from ``today`` (a task due then has at most that many left)."""
    return add_working_days(today, DUE_SOON_WORKING_DAYS + 1) - timedelta(days=1)


def urgency(due_on: date | None, today: date) -> str:
    """overdue (before today) / due_soon (within ``DUE_SOON_WORKING_DAYS`` working days) / normal."""
    if due_on is None:
        return "normal"
    return "overdue" if due_on < today else "due_soon" if due_on <= due_soon_until(today) else "normal"


def view_conditions(user: User, today: date) -> dict:
    """The condition of each view but ``all``, by view (the counts query counts them all in one pass)."""
    return {
        "mine": HumanTask.claimed_by_id == user.id,
        "unclaimed": HumanTask.claimed_by_id.is_(None),
        "overdue": HumanTask.due_on < today,
        "week": and_(HumanTask.due_on >= today, HumanTask.due_on <= week_end(today)),
    }


def scoped(query, user: User, filters: QueueFilter):
    """The tasks of the user's role and township: the township staff's own, always; a county role's pick,
    if any. Never wider for township staff, whatever the filter says."""
    query = query.where(HumanTask.role == user.role)
    if user.is_township_staff:
        return query.where(HumanTask.township_code == user.township_code)
    if filters.township:
        return query.where(HumanTask.township_code == filters.township)
    return query


def narrowed(query, user: User, filters: QueueFilter):
    """``scoped`` and the step and search of the filter (a search needs ``Case`` joined in the query)."""
    query = scoped(query, user, filters)
    if filters.step:
        query = query.where(HumanTask.task_spec == filters.step)
    if filters.text:
        text = filters.text[:MAX_TEXT]
        query = query.where(or_(Case.case_no.startswith(text, autoescape=True),
                                Case.applicant_name.startswith(text, autoescape=True)))
    return query


def order(filters: QueueFilter) -> tuple:
    """The ORDER BY of the filter's sort, either way.

    By due day it is the queue indexes' order (no due day last) or its exact reverse, read backwards; the
    others sort the queue's rows (a township's queue holds hundreds) and end on a unique column, so the
    pages neither repeat nor skip a task.
    """
    down = filters.descending
    if filters.sort == "received":
        return (HumanTask.created_at.desc(), HumanTask.id.desc()) if down else (HumanTask.created_at, HumanTask.id)
    if filters.sort == "case_no":
        return (Case.case_no.desc(),) if down else (Case.case_no,)
    if down:
        return HumanTask.due_on.desc().nulls_first(), HumanTask.created_at.desc()
    return HumanTask.due_on.asc().nulls_last(), HumanTask.created_at


def steps(session: Session, user: User, township: str | None = None) -> list[Step]:
    """The steps present in the user's queue (in the township picked, for county roles), the most tasks first.

    One index-only pass over the queue's entries (``ix_human_task_step`` / ``ix_human_task_role_step``).
    """
    query = select(HumanTask.task_spec, func.min(HumanTask.title), func.count()).group_by(HumanTask.task_spec)
    rows = session.execute(scoped(query, user, QueueFilter(township=township))).all()
    return sorted((Step(spec, title, n) for spec, title, n in rows), key=lambda s: (-s.count, s.title, s.task_spec))
