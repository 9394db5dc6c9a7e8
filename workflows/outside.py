"""Outside-data calls a case waits for: what is asked, and how a worker answers or records an incident.

A receive task marked ``outsideCall=<kind>`` makes the case wait; the step that reaches it opens
an :class:`OutsideCall` with the request built here from the task data. A worker claims due calls
(``FOR UPDATE SKIP LOCKED``), asks the adapter and delivers the answer to the case as the task's
BPMN message — one step, recorded with the full answer, so replay never asks again. A failure
leaves the call in ``incident`` with the error and a retry time; nothing on the case is lost.
"""

from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from .adapters import CheckFailed, EconomicDataAdapter, run_check
from .clock import CHINA_TZ
from .store import OutsideCall
from .store.outside_call import CANCELLED, DONE, INCIDENT, PENDING

#: Automatic retries back off up to this long; an operator can retry at once at any time.
MAX_BACKOFF = timedelta(hours=6)
FIRST_BACKOFF = timedelta(minutes=5)


def _economic_check_request(data: dict) -> dict:
    return {"people": [{"id_no": m["id_no"], "name": m["name"]} for m in data.get("members", [])]}


REQUESTS = {"economic_check": _economic_check_request}


def request_for(kind: str, data: dict) -> dict:
    """The request of an outside call of ``kind``, from the waiting task's data."""
    if kind not in REQUESTS:
        raise ValueError(f"no outside call of kind {kind!r}")
    return REQUESTS[kind](data)


def due_calls(session: Session, now: datetime, limit: int = 20) -> list[int]:
    """Ids of calls to make now (pending, or incidents whose retry time came), rows locked, skipping locked ones."""
    query = (
        select(OutsideCall.id).where(OutsideCall.status.in_((PENDING, INCIDENT)), OutsideCall.next_attempt_at <= now)
        .order_by(OutsideCall.next_attempt_at).limit(limit).with_for_update(skip_locked=True)
    )
    return list(session.scalars(query))


def claim(session: Session, call_id: int, now: datetime) -> OutsideCall | None:
    """The call, locked for this worker, if it is still due (None if another worker has it or it is done)."""
    call = session.scalars(
        select(OutsideCall).where(OutsideCall.id == call_id).with_for_update(skip_locked=True)
    ).first()
    if call is None or call.status == DONE or call.next_attempt_at > now:
        return None
    # Take the call by writing to it, on the condition that it is still due. Where rows cannot be
    # locked (SQLite ignores FOR UPDATE) two workers could both read the call as due: the second
    # then found the case moved on and committed "cancelled" (or an incident) over the first one's
    # "done" — the answer was in the case's log but its call said it was never answered. This write
    # waits for the other worker's commit and then matches nothing. (PostgreSQL: a no-op, the row
    # is ours already.)
    taken = session.execute(
        update(OutsideCall)
        .where(OutsideCall.id == call_id, OutsideCall.status.in_((PENDING, INCIDENT)),
               OutsideCall.next_attempt_at <= now)
        .values(status=OutsideCall.status)
        .execution_options(synchronize_session=False)
    ).rowcount
    if not taken:
        return None
    session.refresh(call)
    return call


def ask(call: OutsideCall, adapter: EconomicDataAdapter, now: datetime) -> dict:
    """Ask the outside system; raises CheckFailed (or any adapter error) on failure."""
    if call.kind == "economic_check":
        return run_check(adapter, call.request["people"], now.astimezone(CHINA_TZ).isoformat())
    raise ValueError(f"no adapter call for {call.kind!r}")


def record_failure(call: OutsideCall, error: Exception | str, now: datetime) -> None:
    """Put the call in incident with the error (an exception, or its description); the next automatic
    try backs off exponentially."""
    call.attempts += 1
    call.status = INCIDENT
    call.last_error = error if isinstance(error, str) else (
        str(error) if isinstance(error, CheckFailed) else f"{type(error).__name__}: {error}")
    call.next_attempt_at = now + min(FIRST_BACKOFF * (2 ** (call.attempts - 1)), MAX_BACKOFF)


def record_success(call: OutsideCall, now: datetime) -> None:
    """Mark the call answered."""
    call.attempts += 1
    call.status, call.finished_at, call.last_error = DONE, now, None


def record_cancelled(call: OutsideCall, now: datetime, why: str = "案件已不再等待该核对结果") -> None:
    """Close a call whose case no longer waits for it."""
    call.status, call.finished_at, call.last_error = CANCELLED, now, why


def retry_now(call: OutsideCall, now: datetime) -> None:
    """An operator's retry: due at once."""
    if call.status not in (DONE, CANCELLED):
        call.next_attempt_at = now
