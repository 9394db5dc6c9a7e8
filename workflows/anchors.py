"""Making and checking chain anchors (see :mod:`workflows.store.anchor`)."""

import hashlib
import json

from sqlalchemy import select, tuple_
from sqlalchemy.orm import Session

from . import clock
from .history import canonical
from .store import Case, CaseEvent, ChainAnchor

CHUNK = 500


def latest(session: Session) -> ChainAnchor | None:
    """The most recent anchor."""
    return session.scalars(select(ChainAnchor).order_by(ChainAnchor.at.desc(), ChainAnchor.id.desc())).first()


def make_anchor(session: Session) -> ChainAnchor:
    """Anchor the current head of every case's chain (cases without events are skipped).

    When nothing happened since the latest anchor its heads are the same, and so is the root: that
    anchor still covers everything and is returned instead of a duplicate.
    """
    rows = session.execute(
        select(Case.case_no, Case.last_event_seq, Case.last_event_hash)
        .where(Case.last_event_seq > 0).order_by(Case.case_no)
    ).all()
    heads = canonical([list(r) for r in rows])
    root = hashlib.sha256(heads.encode()).hexdigest()
    same = session.scalars(select(ChainAnchor).where(ChainAnchor.root == root)).first()
    if same is not None:
        return same
    anchor = ChainAnchor(at=clock.now(), cases=len(rows), root=root, heads=heads)
    session.add(anchor)
    session.flush()
    return anchor


def ensure_daily(session: Session) -> ChainAnchor | None:
    """The worker's daily anchor: make one unless an anchor was already made today (China time)."""
    last = latest(session)
    if last is not None and last.at.astimezone(clock.CHINA_TZ).date() >= clock.today():
        return None
    made = make_anchor(session)
    return None if last is not None and made.id == last.id else made  # nothing new since the last one


def check_anchor(session: Session, anchor: ChainAnchor) -> list[str]:
    """Problems found (in Chinese, for the auditor): a changed anchor, or an anchored head whose event
    no longer matches (changed, deleted, or the case's events renumbered)."""
    if hashlib.sha256(anchor.heads.encode()).hexdigest() != anchor.root:
        return [f"锚点 {anchor.id}：链头清单被改动，与根哈希不符"]
    problems = []
    heads = json.loads(anchor.heads)
    stored = {}
    for start in range(0, len(heads), CHUNK):  # one query per chunk of heads, not one per case
        pairs = [(case_no, seq) for case_no, seq, _ in heads[start:start + CHUNK]]
        stored.update({(c, q): h for c, q, h in session.execute(
            select(Case.case_no, CaseEvent.seq, CaseEvent.hash).join(Case, Case.id == CaseEvent.case_id)
            .where(tuple_(Case.case_no, CaseEvent.seq).in_(pairs)))})
    for case_no, seq, head in heads:
        found = stored.get((case_no, seq))
        if found is None:
            problems.append(f"锚点 {anchor.id}：案件 {case_no} 第 {seq} 个事件已不存在")
        elif found != head:
            problems.append(f"锚点 {anchor.id}：案件 {case_no} 第 {seq} 个事件与锚定的链头不一致")
    return problems


def check_all(session: Session) -> list[str]:
    """Check every anchor."""
    return [p for a in session.scalars(select(ChainAnchor).order_by(ChainAnchor.id)) for p in check_anchor(session, a)]


def root_groups(root: str, size: int = 8) -> list[str]:
    """The root hash in groups of ``size`` characters, as printed (easier to compare by eye)."""
    return [root[i:i + size] for i in range(0, len(root), size)]
