"""Access logging for views: who (the current user), from where (the request), what."""

from flask import request

from workflows import access_log
from workflows.store import Case, User

from . import db


def log(user: User, action: str, case: Case | None = None, target: str = "", channel: str = "web") -> None:
    """Record one access and commit it (a read request writes only this row)."""
    access_log.record(db.session(), action, user=user, case=case, target=target,
                      remote_addr=request.remote_addr or "", channel=channel)
    db.commit()
