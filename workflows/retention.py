"""Retention: finished cases stay for good, but their hot rows stay small.

A case's events are its record and are never touched. Its workflow snapshot, though, is only a
cache of what the events lead to (replay rebuilds it step by step). Once a case has been finished
for ``system.compact_after_days`` days, the snapshot is reduced to what a finished case is still
asked for — its final data (the case page) and the digest of its full final state (replay checks
the events still lead there) — about a quarter of its compressed size. A compacted case cannot
take a step any more (a message to it is refused as for any finished case).
"""

import json
import zlib
from dataclasses import dataclass
from datetime import timedelta

from SpiffWorkflow.bpmn.script_engine import PythonScriptEngine
from SpiffWorkflow.util.task import TaskState
from sqlalchemy import select
from sqlalchemy.orm import Session

from . import clock, runtime, specs
from .settings import SettingsView
from .store import ACTIVE_STATUSES, Case, CaseSnapshot, HumanTask, OutsideCall, unit_of_work
from .store.outside_call import DONE

#: The marker key of a compacted snapshot's JSON.
COMPACTED = "compacted"


def compact_state(data: dict, digest: str) -> str:
    """The compacted form of a finished case's snapshot."""
    return json.dumps({COMPACTED: 1, "digest": digest, "data": data}, ensure_ascii=False, separators=(",", ":"),
                      default=str)


def is_compacted(snap: CaseSnapshot) -> bool:
    """True when the snapshot holds only the final data and digest."""
    return snap.compacted_at is not None


def final_data(snap: CaseSnapshot) -> dict:
    """The data kept in a compacted snapshot."""
    return json.loads(snap.state)["data"]


@dataclass
class CompactionResult:
    """What one run did."""

    compacted: int = 0
    skipped: int = 0  # finished by status but the workflow still had something open
    bytes_before: int = 0
    bytes_after: int = 0


def candidates(session: Session, limit: int = 500) -> list[int]:
    """Finished cases whose snapshot is still full and old enough to compact, oldest first."""
    after = timedelta(days=int(SettingsView(session, "", clock.today()).get("system.compact_after_days")))
    query = (select(Case.id).join(CaseSnapshot, CaseSnapshot.case_id == Case.id)
             .where(Case.status.not_in(ACTIVE_STATUSES), Case.updated_at < clock.now() - after,
                    CaseSnapshot.compacted_at.is_(None), Case.next_timer_at.is_(None))
             .order_by(Case.updated_at).limit(limit))
    return list(session.scalars(query))


def _ended(wf) -> bool:
    """The main path reached its end: no user task open, no step it waits at. (A listening event
    subprocess, such as the time-limit extension, keeps SpiffWorkflow from calling it completed.)"""
    waiting = wf.get_tasks(state=TaskState.READY | TaskState.WAITING)
    return not runtime.ready_human_tasks(wf) and not any(
        runtime.task_properties(t.task_spec).get("caseStatus") for t in waiting)


def _still_open(session: Session, case_id: int) -> bool:
    tasks = session.scalars(select(HumanTask.id).where(HumanTask.case_id == case_id).limit(1)).first()
    calls = session.scalars(select(OutsideCall.id).where(OutsideCall.case_id == case_id,
                                                         OutsideCall.status != DONE).limit(1)).first()
    return tasks is not None or calls is not None


def _stored_size(text: str) -> int:
    """Bytes the snapshot takes in the database (compressed as CompressedText stores it)."""
    return len(zlib.compress(text.encode("utf-8"), 6))


def compact_case(session: Session, case: Case, result: CompactionResult) -> bool:
    """Compact one finished case's snapshot (in the caller's transaction); False when it must stay full."""
    snap = session.get(CaseSnapshot, case.id)
    version = specs.version_by_hash(session, case.spec_hash)
    wf = runtime.load_state(snap.state, version, PythonScriptEngine())
    if not _ended(wf) or _still_open(session, case.id) or runtime.state_digest(wf, snap.digest_version) != snap.digest:
        result.skipped += 1  # something still listens, or the snapshot is not what it claims: leave it as it is
        return False
    data = json.loads(json.dumps(runtime.current_data(wf), default=str))
    result.bytes_before += _stored_size(snap.state)
    snap.state, snap.compacted_at = compact_state(data, snap.digest), clock.now()
    result.bytes_after += _stored_size(snap.state)
    result.compacted += 1
    return True


def compact(session_factory, limit: int = 500) -> CompactionResult:
    """Compact up to ``limit`` eligible cases, one transaction each (the worker runs this daily)."""
    result = CompactionResult()
    with unit_of_work(session_factory) as session:
        ids = candidates(session, limit)
    for case_id in ids:
        with unit_of_work(session_factory) as session:
            compact_case(session, session.get(Case, case_id), result)
    return result
