"""Making and checking chain anchors (see :mod:`workflows.store.anchor`)."""

import hashlib
import json

from sqlalchemy import select
from sqlalchemy.orm import Session

from . import clock
from .history import canonical
from .store import Case, CaseEvent, ChainAnchor


def make_anchor(session: Session) -> ChainAnchor:
    """Anchor the current head of every case's chain (cases without events are skipped)."""
    rows = session.execute(
        select(Case.case_no, Case.last_event_seq, Case.last_event_hash)
        .where(Case.last_event_seq > 0).order_by(Case.case_no)
    ).all()
    heads = canonical([list(r) for r in rows])
    anchor = ChainAnchor(at=clock.now(), cases=len(rows), root=hashlib.sha256(heads.encode()).hexdigest(),
                         heads=heads)
    session.add(anchor)
    session.flush()
    return anchor


def check_anchor(session: Session, anchor: ChainAnchor) -> list[str]:
    """Problems found: a changed anchor, or an anchored head whose event no longer matches."""
    if hashlib.sha256(anchor.heads.encode()).hexdigest() != anchor.root:
        return [f"anchor {anchor.id}: its list of heads was changed"]
    problems = []
    for case_no, seq, head in json.loads(anchor.heads):
        found = session.scalars(
            select(CaseEvent.hash).join(Case, Case.id == CaseEvent.case_id)
            .where(Case.case_no == case_no, CaseEvent.seq == seq)
        ).first()
        if found != head:
            problems.append(f"anchor {anchor.id}: case {case_no} event {seq} differs from the anchored head")
    return problems


def check_all(session: Session) -> list[str]:
    """Check every anchor."""
    return [p for a in session.scalars(select(ChainAnchor).order_by(ChainAnchor.id)) for p in check_anchor(session, a)]
