"""What the steps of a visit case (``bpmn/dibao_visit.bpmn``) do outside the workflow, named by task
properties and run by ``workflows.effects``; and what replay checks of them.

- ``computes="visit_record"`` on the 探访 task (:func:`computed_record`): the visit date must lie in the
  case's month and in the person's period; whether the person's household is on 低保 now is worked out
  and recorded beside the form (``on_benefit``, ``household_benefit_id``), so replay routes the case the
  same way without asking the register again.
- ``visit="record"`` on the same task (:func:`record`): the ``Visit`` row the monthly rate counts, with
  the case that wrote it.
- ``reopen="household"`` on the step a change found on a household on 低保 reaches (:func:`refer`): a
  review of the household (``dibao_review``, reason ``reported_change``, the visit case's number in its
  start data), or, when one is under way, the finding noted for it; ``visit_change_referred`` records
  which in the visit case's history.
"""

import json
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from . import queries, reviews, visits
from .errors import Invalid
from .history import append_event
from .i18n import N_
from .step import Step
from .store import Benefit, Case, CaseEvent, User, Visit, VisitTarget
from .store.benefit import ACTIVE, PHASING_OUT

PROCESS = "dibao_visit"
VISIT_TASK = "visit"
REFERRED = "visit_change_referred"
CHANGE_REPORT_MAX = 2000  # the review's start form (change_report)


def computed_record(session: Session, _actor: User, case: Case, data: dict) -> dict:
    """Check a visit being recorded and work out where a change found goes (``computes="visit_record"``).

    Args:
        data: the task's data with the form just submitted (``visited_on`` an ISO date).

    Returns:
        ``on_benefit`` (the person's household is on 低保 now) and ``household_benefit_id``.

    Raises:
        Invalid: the date is outside the case's month or the person's period.
    """
    target = session.get(VisitTarget, data["target_id"])
    first, last = visits.month_bounds(data["visit_month"])
    visited_on = date.fromisoformat(data["visited_on"])
    if not first <= visited_on <= last:
        raise Invalid("探访日期须在本次探访的月份内", "The visit date must be in the month of this visit",
                      {"visited_on": N_("探访日期须在本次探访的月份内")})
    if not visits.in_period(target, visited_on):
        raise Invalid("探访日期不在该对象的探访期间内", "The date is outside the person's visiting period",
                      {"visited_on": N_("探访日期不在该对象的探访期间内")})
    benefit = session.get(Benefit, target.benefit_id) if target.benefit_id else None
    on_benefit = benefit is not None and benefit.status in (ACTIVE, PHASING_OUT)
    return {"on_benefit": on_benefit, "household_benefit_id": benefit.id if on_benefit else None}


def record(step: Step, value: str, data: dict) -> Visit:
    """Write the visit the completed 探访 task recorded (``visit="record"``), by the person who completed it."""
    if value != "record":
        raise ValueError(f"unknown visit effect {value!r}")
    visit = Visit(target_id=data["target_id"], township_code=step.case.township_code,
                  visited_on=date.fromisoformat(data["visited_on"]), staff_id=step.actor.id, method=data["method"],
                  notes=data.get("notes", ""), recorded_at=step.at, case_id=step.case.id)
    step.session.add(visit)
    step.session.flush()
    return visit


def refer(step: Step, target: str, data: dict, event: CaseEvent) -> list[CaseEvent]:
    """Send a change a visit found on a household on 低保 to a review (``reopen="household"``).

    Runs inside the visit's step, as the person who recorded it. Records ``visit_change_referred`` in the
    visit case's history (it does not change the workflow's state).

    Returns:
        The visit case's new event.
    """
    if target != "household":
        raise ValueError(f"unknown reopen target {target!r}")
    session = step.session
    benefit = session.get(Benefit, data["household_benefit_id"])
    running = queries.running_review(session, benefit)
    if running is not None:
        outcome, review_no = "review_under_way", running.case_no
    else:
        prefix = f"探访发现（{step.case.case_no}）："
        submission = {"review_reason": "reported_change",
                      "change_report": prefix + data["change_detail"][:CHANGE_REPORT_MAX - len(prefix)]}
        started = reviews.start_review_from(session, step.actor, benefit, submission, step.services,
                                            {"visit_case_no": step.case.case_no})
        outcome, review_no = "review_started", started.case.case_no
    referred = {"outcome": outcome, "review_case_no": review_no, "certificate_no": benefit.certificate_no}
    return [append_event(session, step.case, REFERRED, at=step.at, actor=step.actor, data=referred,
                         state_digest=event.state_digest)]


def referral_of(session: Session, case: Case) -> dict | None:
    """What a visit case's change was referred to (``outcome``, ``review_case_no``), if it was."""
    found = session.scalars(select(CaseEvent.data).where(CaseEvent.case_id == case.id, CaseEvent.kind == REFERRED)
                            ).first()
    return json.loads(found) if found else None


def check_recorded(session: Session, case: Case) -> list[str]:
    """What does not hold about the visits a visit case wrote (for replay): each completed 探访 of its
    history wrote one ``Visit`` row with that date, method, notes and person, for the case's target."""
    if case.process_id != PROCESS:
        return []
    events = list(session.scalars(select(CaseEvent).where(CaseEvent.case_id == case.id).order_by(CaseEvent.seq)))
    if not events:
        return []
    target_id = json.loads(events[0].data)["form"].get("target_id")
    expected = sorted(
        (target_id, form["visited_on"], form["method"], form.get("notes", ""), ev.actor_id)
        for ev in events if ev.kind == "task_completed" and ev.task_spec == VISIT_TASK
        for form in [json.loads(ev.data)["form"]])
    actual = sorted((v.target_id, v.visited_on.isoformat(), v.method, v.notes, v.staff_id)
                    for v in session.scalars(select(Visit).where(Visit.case_id == case.id)))
    if actual != expected:
        return [f"探访案件 {case.case_no}：探访记录与办结时登记的不一致（探访记录被改动、增加或删除）"]
    return []
