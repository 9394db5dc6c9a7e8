"""Bulk claim and give-back (认领 / 退回) of tasks picked from a queue.

Each task is handled as if on its own: ``engine.claim_task`` / ``engine.unclaim_task`` with every check
they make (the task must be of the actor's role and township — another township's task is not found —,
回避, and a task claimed by a colleague stays theirs), each inside a savepoint of the caller's
transaction, so a refused task leaves the others done and its own outcome says why. Doing it twice
changes nothing the second time (a task claimed by the actor already is reported as such).
"""

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from . import access, engine
from .errors import Conflict, DomainError, Invalid
from .queries import PAGE_SIZE
from .store import Case, HumanTask, User

ACTIONS = ("claim", "unclaim")
# At most one page of a queue: the tasks are picked from the page shown.
MAX_TASKS = PAGE_SIZE
STALE = Conflict("案件刚被其他人更新，请刷新后重试", "The case was just updated by someone else; reload and retry")


@dataclass
class Outcome:
    """What became of one task: ``changed`` (claimed or given back now), or left as it was (``error`` is
    None: it was so already), or refused (``error``)."""

    task_id: str
    case_no: str | None = None
    title: str | None = None
    changed: bool = False
    error: DomainError | None = None


def task_ids(raw: list[str]) -> list[str]:
    """The task ids posted, without blanks and repeats, in order.

    Raises:
        Invalid: none picked, or more than one page of them.
    """
    ids = list(dict.fromkeys(value.strip() for value in raw if value and value.strip()))
    if not ids:
        raise Invalid("请先勾选要处理的任务", "Tick the tasks first")
    if len(ids) > MAX_TASKS:
        raise Invalid(f"一次最多处理 {MAX_TASKS} 件任务", f"At most {MAX_TASKS} tasks at a time")
    return ids


def preview(session: Session, actor: User, ids: list[str]) -> tuple[list[tuple[HumanTask, Case, str | None]], int]:
    """What the confirmation page lists: the picked tasks the actor may see (with their case and who
    claimed them), and how many of the others are gone or not the actor's to see (never named)."""
    rows = []
    for task_id in ids:
        try:
            task = access.task_for(session, actor, task_id)
        except DomainError:
            continue
        claimer = session.get(User, task.claimed_by_id) if task.claimed_by_id else None
        rows.append((task, session.get(Case, task.case_id), claimer.display_name if claimer else None))
    return rows, len(ids) - len(rows)


def apply(session: Session, actor: User, ids: list[str], action: str) -> list[Outcome]:
    """Claim (``claim``) or give back (``unclaim``) each task, each in a savepoint; one outcome per task.

    Raises:
        Invalid: an unknown action.
    """
    if action not in ACTIONS:
        raise Invalid("未知的批量操作", f"Unknown bulk action {action!r}")
    step = engine.claim_task if action == "claim" else engine.unclaim_task
    outcomes = [_one(session, actor, task_id, step, action) for task_id in ids]
    cases = _case_numbers(session, actor, [o.task_id for o in outcomes])
    for outcome in outcomes:
        outcome.case_no = cases.get(outcome.task_id)
    return outcomes


def _one(session: Session, actor: User, task_id: str, step, action: str) -> Outcome:
    outcome = Outcome(task_id)
    try:
        with session.begin_nested():
            before = session.get(HumanTask, task_id)
            was = before.claimed_by_id if before is not None else None
            task = step(session, actor, task_id)
            outcome.title = task.title
            outcome.changed = was != (actor.id if action == "claim" else None)
    except DomainError as err:
        outcome.error = err
    except SQLAlchemyError:  # a colleague's step on the same case won the race (version check)
        outcome.error = STALE
    return outcome


def _case_numbers(session: Session, actor: User, ids: list[str]) -> dict[str, str]:
    """The case number of each task still open in a township the actor sees (another township's case is
    never named)."""
    query = (select(HumanTask.id, Case.case_no).join(Case, Case.id == HumanTask.case_id)
             .where(HumanTask.id.in_(ids)))
    if actor.is_township_staff:
        query = query.where(HumanTask.township_code == actor.township_code)
    return dict(session.execute(query).all()) if ids else {}
