"""The append-only, hash-chained event log of each case.

Each event's hash covers the previous event's hash, the case number, its own fields and the
digest of the workflow state it produced (and, from digest version 2 on, that version), so an
edited, deleted, inserted or reordered row breaks the chain from that point on. The rule, for
auditors re-checking it without this software, is ``workflows.dossier.CHAIN_RULE`` (docs/audit.md).
"""

import hashlib
import json
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from . import runtime
from .store import Case, CaseEvent, User


def canonical(obj) -> str:
    """Canonical JSON: sorted keys, no spaces, UTF-8 text kept as is."""
    return json.dumps(obj, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str)


def event_hash(prev_hash: str, case_no: str, ev: CaseEvent) -> str:
    """The chain hash of one event (an event of digest version 1 — all events recorded before versions
    existed — is hashed without the version, so its hash stays what it was)."""
    fields = [prev_hash, case_no, ev.seq, ev.kind, ev.task_spec, ev.task_id, ev.actor_id, ev.actor_name,
              ev.at.isoformat(), ev.data, ev.state_digest]
    if ev.digest_version != 1:
        fields.append(ev.digest_version)
    body = canonical(fields)
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
    digest_version: int | None = None,
) -> CaseEvent:
    """Append one event to the case's log and move the case's chain head.

    ``digest_version`` is the version ``state_digest`` was computed with: by default the current one
    (:data:`workflows.runtime.DIGEST_VERSION`, for a digest the step just made); an event that copies
    a stored digest (of the snapshot, when the state did not change) passes the snapshot's version.
    """
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
        digest_version=runtime.DIGEST_VERSION if digest_version is None else digest_version,
        prev_hash=case.last_event_hash,
    )
    ev.hash = event_hash(case.last_event_hash, case.case_no, ev)
    session.add(ev)
    case.last_event_seq, case.last_event_hash = ev.seq, ev.hash
    return ev


def events_of(session: Session, case: Case) -> list[CaseEvent]:
    """The case's events in order."""
    return list(session.scalars(select(CaseEvent).where(CaseEvent.case_id == case.id).order_by(CaseEvent.seq)))


def verify_chain(session: Session, case: Case, events: list[CaseEvent] | None = None) -> list[str]:
    """Problems found walking the chain (empty when intact); ``events``: the case's, if already read."""
    problems, prev = [], ""
    events = events_of(session, case) if events is None else events
    for expected_seq, ev in enumerate(events, start=1):
        if ev.seq != expected_seq:
            problems.append(f"第 {expected_seq} 条事件：序号缺失或顺序被改动（实为第 {ev.seq} 条）")
        if ev.prev_hash != prev or event_hash(prev, case.case_no, ev) != ev.hash:
            problems.append(f"第 {ev.seq} 条事件：哈希链断裂")
        prev = ev.hash
    if events and case.last_event_hash != prev:
        problems.append("案件的链头与最后一条事件不一致")
    return problems
