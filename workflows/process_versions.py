"""The process versions there are, for the administrator's page: which one new cases start on, who
loaded which, and how many cases run on each. Read-only."""

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import case as when
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from . import specs, version_diff
from .errors import NotFound
from .store import ACTIVE_STATUSES, Case, ProcessSpec


@dataclass
class VersionRow:
    """One stored version (its sources are not loaded)."""

    hash: str
    process_id: str
    created_at: datetime
    loaded_by: str | None  # None: the deployed files
    based_on: str | None
    current: bool = False  # the version new cases start on
    cases: int = 0
    running: int = 0


def known_processes(session: Session) -> list[str]:
    """Every process there is: a deployed file in `bpmn/`, or a version in the database."""
    stored = session.scalars(select(ProcessSpec.process_id).distinct())
    return sorted({p.stem for p in specs.BPMN_DIR.glob("*.bpmn")} | set(stored))


def _counts(session: Session) -> dict[str, tuple[int, int]]:
    running = func.sum(when((Case.status.in_(ACTIVE_STATUSES), 1), else_=0))
    query = select(Case.spec_hash, func.count(), running).group_by(Case.spec_hash)
    return {digest: (total, int(active or 0)) for digest, total, active in session.execute(query)}


def versions(session: Session) -> dict[str, list[VersionRow]]:
    """Each process's versions, newest first, with the number of cases (all and running) on each."""
    current = {pid: specs.current_version(session, pid).hash for pid in known_processes(session)
               if (specs.BPMN_DIR / f"{pid}.bpmn").exists()}
    counts = _counts(session)
    query = (select(ProcessSpec.hash, ProcessSpec.process_id, ProcessSpec.created_at, ProcessSpec.loaded_by,
                    ProcessSpec.based_on).order_by(ProcessSpec.process_id, ProcessSpec.created_at.desc()))
    found: dict[str, list[VersionRow]] = {}
    for row in session.execute(query):
        version = VersionRow(*row, current=current.get(row.process_id) == row.hash)
        version.cases, version.running = counts.get(row.hash, (0, 0))
        found.setdefault(row.process_id, []).append(version)
    return found


def version_row(session: Session, digest: str) -> VersionRow:
    """One version, as listed; NotFound for an unknown hash."""
    for rows in versions(session).values():
        for row in rows:
            if row.hash == digest:
                return row
    raise NotFound(f"流程版本 {digest[:12]} 不存在", f"Process version {digest[:12]} is missing")


def previous(session: Session, row: VersionRow) -> str | None:
    """The version ``row`` follows: the one it was loaded on top of, else the process's version before it."""
    if row.based_on:
        return row.based_on
    rows = versions(session).get(row.process_id, [])
    older = [r for r in rows if r.created_at < row.created_at]
    return older[0].hash if older else None


def changes_since(session: Session, row: VersionRow) -> version_diff.Changes | None:
    """What ``row`` changed against the version it follows (None for a process's first version)."""
    before = previous(session, row)
    if before is None:
        return None
    return version_diff.changes(specs.version_by_hash(session, before), specs.version_by_hash(session, row.hash))
