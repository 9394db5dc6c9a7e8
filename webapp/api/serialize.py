"""Rows as JSON: case summaries, tasks, events and documents, in the shapes the OpenAPI spec names.

Money is a string with two decimals ("1084.00"), dates and times are ISO 8601 (times in UTC with
their offset), absent values are null.
"""

import json
from datetime import date, datetime
from decimal import Decimal

from flask import url_for
from sqlalchemy.orm import Session

from workflows import queries
from workflows.store import Case, CaseEvent, Document, HumanTask, User

CENT = Decimal("0.01")


def iso(value: date | datetime | None) -> str | None:
    """ISO 8601 text of a date or an aware datetime (None stays None)."""
    return value.isoformat() if value is not None else None


def money(value: Decimal | None) -> str | None:
    """An amount as a string with exactly two decimals (None stays None)."""
    return str(Decimal(value).quantize(CENT)) if value is not None else None


def _plain(value):
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    raise TypeError(f"not JSON serializable: {type(value).__name__}")


def plain(data) -> object:
    """Task data as plain JSON values (dates ISO, decimals as strings)."""
    return json.loads(json.dumps(data, default=_plain, ensure_ascii=False))


def case_summary(case: Case) -> dict:
    """The summary of a case (the read model's columns)."""
    return {
        "case_no": case.case_no,
        "process_id": case.process_id,
        "township_code": case.township_code,
        "status": case.status,
        "applicant_name": case.applicant_name,
        "applicant_id_no": case.applicant_id_no,
        "household_size": case.household_size,
        "amount_total": money(case.amount_total),
        "applied_on": iso(case.applied_on),
        "case_deadline": iso(case.case_deadline),
        "decided_on": iso(case.decided_on),
        "next_timer_at": iso(case.next_timer_at),
        "received_by": case.received_by,
        "near_relative": bool(case.near_relative),
        "deadline_extended": bool(case.deadline_extended),
        "objection_count": case.objection_count or 0,
        "created_at": iso(case.created_at),
        "updated_at": iso(case.updated_at),
        "url": url_for("api.get_case", case_no=case.case_no),
    }


def task_json(task: HumanTask, case_no: str, claimed_by: str | None) -> dict:
    """An open human task."""
    return {
        "id": task.id,
        "case_no": case_no,
        "task_spec": task.task_spec,
        "title": task.title,
        "role": task.role,
        "township_code": task.township_code,
        "form": task.form,
        "created_at": iso(task.created_at),
        "due_on": iso(task.due_on),
        "overdue": queries.overdue_on(task),
        "escalated_at": iso(task.escalated_at),
        "claimed_by": claimed_by,
        "claimed_at": iso(task.claimed_at),
        "url": url_for("api.get_task", task_id=task.id),
    }


def claimer_name(session: Session, task: HumanTask) -> str | None:
    """The display name of whoever claimed the task."""
    user = session.get(User, task.claimed_by_id) if task.claimed_by_id else None
    return user.display_name if user else None


def tasks_of(session: Session, case: Case) -> list[dict]:
    """The case's open tasks."""
    return [task_json(t, case.case_no, claimer_name(session, t)) for t in queries.case_open_tasks(session, case)]


def event_json(event: CaseEvent) -> dict:
    """One event of a case's hash-chained history."""
    return {
        "seq": event.seq,
        "kind": event.kind,
        "task_spec": event.task_spec,
        "actor_name": event.actor_name,
        "at": iso(event.at),
        "data": json.loads(event.data),
        "state_digest": event.state_digest,
        "digest_version": event.digest_version,
        "prev_hash": event.prev_hash,
        "hash": event.hash,
    }


def step_json(session: Session, result) -> dict:
    """What a step did (an ``engine.StepResult``): the case after it, its open tasks, documents issued."""
    case = result.case
    return {
        "case": case_summary(case),
        "open_tasks": tasks_of(session, case),
        "documents": [document_json(d, case.case_no) for d in result.documents],
    }


def document_json(doc: Document, case_no: str) -> dict:
    """An issued document, with where to download and verify it."""
    return {
        "number": doc.number,
        "kind": doc.kind,
        "sha256": doc.sha256,
        "size": doc.size,
        "verify_code": doc.verify_code,
        "issued_at": iso(doc.issued_at),
        "event_seq": doc.event_seq,
        "url": url_for("api.get_document", case_no=case_no, number=doc.number),
        "verify_url": url_for("public.verify", code=doc.verify_code),
    }
