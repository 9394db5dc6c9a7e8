"""Recording and reading the access log (DESIGN.md: every login, view of personal data and
download is logged with who, when and from where)."""

from sqlalchemy import select
from sqlalchemy.orm import Session

from . import clock
from .store import AccessLog, Case, User


def record(
    session: Session, action: str, *, user: User | None, username: str = "", case: Case | None = None,
    target: str = "", remote_addr: str = "", channel: str = "web",
) -> AccessLog:
    """Add one access row to the caller's transaction."""
    row = AccessLog(
        at=clock.now(), action=action, user_id=user.id if user else None,
        username=user.username if user else username, case_id=case.id if case else None,
        target=target, remote_addr=remote_addr or "", channel=channel,
    )
    session.add(row)
    return row


def for_case(session: Session, case: Case, limit: int = 200) -> list[AccessLog]:
    """Who accessed the case, newest first."""
    query = select(AccessLog).where(AccessLog.case_id == case.id).order_by(AccessLog.at.desc()).limit(limit)
    return list(session.scalars(query))
