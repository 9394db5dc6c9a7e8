"""The append-only, hash-chained event log of each case.

Each event's hash covers the previous event's hash, the case number, its own fields and the
digest of the workflow state it produced, so an edited, deleted, inserted or reordered row
breaks the chain from that point on.
"""

import hashlib
import json
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from .store import Case, CaseEvent, User


def canonical(obj) -> str:
    """Canonical JSON: sorted keys, no spaces, UTF-8 text kept as is."""
    return json.dumps(obj, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str)


def event_hash(prev_hash: str, case_no: str, ev: CaseEvent) -> str:
    """The chain hash of one event."""
    body = canonical(
        [prev_hash, case_no, ev.seq, ev.kind, ev.task_spec, ev.task_id, ev.actor_id, ev.actor_name,
         ev.at.isoformat(), ev.data, ev.state_digest]
    )
    return hashlib.sha256(body.encode()).hexdigest()


def append_event(  # noqa: PLR0913 - each argument is one recorded fact of the event
    session: Session,
    case: Case,
    kind: str,
    *,
    at: datetime,
    actor: User | None,
    data: dict,
    state_digest: str,
    task_spec: str | None = None,
    task_id: str | None = None,
) -> CaseEvent:
    """Append one event to the case's log and move the case's chain head."""
    ev = CaseEvent(
        case_id=case.id,
        seq=case.last_event_seq + 1,
        kind=kind,
        task_spec=task_spec,
        task_id=task_id,
        actor_id=actor.id if actor else None,
        actor_name=actor.display_name if actor else "系统",
        at=at,
        data=canonical(data),
        state_digest=state_digest,
        prev_hash=case.last_event_hash,
    )
    ev.hash = event_hash(case.last_event_hash, case.case_no, ev)
    session.add(ev)
    case.last_event_seq, case.last_event_hash = ev.seq, ev.hash
    return ev


def events_of(session: Session, case: Case) -> list[CaseEvent]:
    """The case's events in order."""
    return list(session.scalars(select(CaseEvent).where(CaseEvent.case_id == case.id).order_by(CaseEvent.seq)))


def verify_chain(session: Session, case: Case) -> list[str]:
    """Problems found walking the chain (empty when intact)."""
    problems, prev = [], ""
    events = events_of(session, case)
    for expected_seq, ev in enumerate(events, start=1):
        if ev.seq != expected_seq:
            problems.append(f"event {expected_seq}: sequence gap or reorder (found {ev.seq})")
        if ev.prev_hash != prev or event_hash(prev, case.case_no, ev) != ev.hash:
            problems.append(f"event {ev.seq}: hash chain broken")
        prev = ev.hash
    if events and case.last_event_hash != prev:
        problems.append("case chain head does not match the last event")
    return problems
