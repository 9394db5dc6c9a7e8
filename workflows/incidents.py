"""Incidents of steps that failed for a reason nobody typed (see :class:`workflows.errors.StepFailed`).

The failed step is rolled back, so the case stays exactly where it was; its incident is recorded in a
transaction of its own, shown on the case page and the operators' list, and closed by the next
successful step of the same kind. A failing timer is retried with a growing back-off (the worker
skips the case meanwhile); an operator can retry at once.
"""

from datetime import timedelta

from sqlalchemy import bindparam, exists, select, update
from sqlalchemy.orm import Session

from . import access, clock
from .errors import StepFailed
from .store import Case, StepIncident, User
from .store.incident import TIMER

#: Back-off of a failing timer: 1, 2, 4 … minutes, at most 6 hours.
BACKOFF_CAP = timedelta(hours=6)


def backoff(attempts: int) -> timedelta:
    """How long the worker waits before firing a failing timer again."""
    return min(timedelta(minutes=2 ** max(attempts - 1, 0)), BACKOFF_CAP)


def from_error(session: Session, case_id: int, kind: str, error: Exception) -> StepFailed:
    """The incident of a failure that happened outside a step's engine run (e.g. a snapshot that will not load)."""
    if isinstance(error, StepFailed):
        return error
    case = session.get(Case, case_id)
    return StepFailed(case_id, case.township_code if case else "", kind, None, error)


def record(session: Session, failed: StepFailed) -> StepIncident | None:
    """Open an incident for the failed step, or count one more attempt of the same open one."""
    if failed.case_id is None:  # a registration that failed: no case exists to hold it (the form is kept)
        return None
    now = clock.now()
    found = session.scalars(select(StepIncident).where(
        StepIncident.case_id == failed.case_id, StepIncident.kind == failed.kind,
        StepIncident.resolved_at.is_(None))).first()
    if found is None:
        found = StepIncident(case_id=failed.case_id, township_code=failed.township_code, kind=failed.kind,
                             opened_at=now, attempts=0)
        session.add(found)
    found.task_spec, found.error, found.last_at = failed.task_spec, failed.error, now
    found.attempts += 1
    found.next_retry_at = now + backoff(found.attempts) if failed.kind == TIMER else None
    session.flush()
    return found


# Run after every step: built once (building it cost more than running it, issue 7 P4); "fetch" keeps any
# incident loaded in the session in step with the rows changed (by the ids the UPDATE returns).
_RESOLVE = (update(StepIncident)
            .where(StepIncident.case_id == bindparam("b_case"), StepIncident.kind == bindparam("b_kind"),
                   StepIncident.resolved_at.is_(None))
            .values(resolved_at=bindparam("b_at"), resolved_by=bindparam("b_by"))
            .execution_options(synchronize_session="fetch"))


def resolve(session: Session, case_id: int, kind: str, by: User | None = None) -> int:
    """Close the case's open incidents of this kind after a step of that kind succeeded; how many."""
    result = session.execute(_RESOLVE, {"b_case": case_id, "b_kind": kind, "b_at": clock.now(),
                                        "b_by": by.username if by else "系统"})
    return result.rowcount


def timer_backing_off():
    """A condition for case queries: the case has a failing timer whose next try is not due yet."""
    return exists().where(StepIncident.case_id == Case.id, StepIncident.kind == TIMER,
                          StepIncident.resolved_at.is_(None), StepIncident.next_retry_at > clock.now())


def open_for_case(session: Session, case: Case) -> list[StepIncident]:
    """The case's open incidents, oldest first."""
    return list(session.scalars(select(StepIncident).where(
        StepIncident.case_id == case.id, StepIncident.resolved_at.is_(None)).order_by(StepIncident.opened_at)))


def open_incidents(session: Session, user: User, limit: int = 200) -> list[tuple[StepIncident, str]]:
    """Open incidents the user may see (own township; any for county roles), with their case numbers."""
    query = (select(StepIncident, Case.case_no).join(Case, Case.id == StepIncident.case_id)
             .where(StepIncident.resolved_at.is_(None)).order_by(StepIncident.opened_at).limit(limit))
    if user.is_township_staff:
        query = query.where(StepIncident.township_code == user.township_code)
    return [(row, case_no) for row, case_no in session.execute(query)]


def check_can_retry_timer(session: Session, user: User, case_no: str) -> Case:
    """The case whose failing timer an operator retries now (township staff of the case, or administrators)."""
    case = access.case_for(session, user, case_no)
    access.check_can_retry(user, case)
    access.check_not_involved(session, user, case)
    return case
