"""The benefit register: what an approval grants and what later steps change, month by month.

A BPMN task with the property ``benefit`` (``granted`` on the approval) makes its step write the
register in the same transaction: the :class:`Benefit` of the household and a
:class:`BenefitChange` from the effective month. The payment roster reads only this register.
"""

from datetime import date
from decimal import Decimal

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from .i18n import N_
from .rules import shift_month
from .store import Benefit, BenefitChange, Document, PersonIndex
from .store.benefit import ACTIVE, PHASING_OUT, TERMINATED


def _certificate_no(documents: list[Document]) -> str:
    for doc in documents:
        context = getattr(doc, "context", None) or {}
        if context.get("certificate_no"):
            return context["certificate_no"]
    raise ValueError("a granted benefit needs the approval notice (with its certificate number) in the same step")


def grant(step, data: dict, documents: list[Document], event_seq: int) -> Benefit:
    """Open the household's benefit from the approval's data and its 低保证 number."""
    amount = data["amount"]
    benefit = Benefit(
        case_id=step.case.id, township_code=step.case.township_code, certificate_no=_certificate_no(documents),
        holder_name=data["applicant"]["name"], holder_id_no=data["applicant"]["id_no"],
        persons=int(amount["persons"]), amount=Decimal(amount["total"]), standard_class=data["standard_class"],
        review_cycle=data["review_cycle"], next_review_on=_date(data["next_review_on"]), status=ACTIVE,
        start_month=data["start_month"],
    )
    step.session.add(benefit)
    step.session.flush()
    step.session.add(BenefitChange(
        benefit_id=benefit.id, case_id=step.case.id, event_seq=event_seq, kind="granted",
        effective_month=data["start_month"], amount=benefit.amount, persons=benefit.persons,
        reason=N_("审核确认批准"), at=step.at,
    ))
    return benefit


def _date(text: str) -> date:
    return date.fromisoformat(text)


def _change(step, benefit: Benefit, kind: str, month: str, amount: Decimal, persons: int, reason: str,
            event_seq: int) -> BenefitChange:
    change = BenefitChange(benefit_id=benefit.id, case_id=step.case.id, event_seq=event_seq, kind=kind,
                           effective_month=month, amount=amount, persons=persons, reason=reason, at=step.at)
    step.session.add(change)
    return change


def _stop(step, benefit: Benefit, month: str, reason: str, event_seq: int) -> None:
    """No payment from ``month`` on; the members may apply again (their person index is released)."""
    _change(step, benefit, "stop", month, Decimal("0.00"), 0, reason, event_seq)
    benefit.status, benefit.end_month = TERMINATED, shift_month(month, -1)
    step.session.execute(delete(PersonIndex).where(PersonIndex.case_id == benefit.case_id))


def review(step, data: dict, documents: list[Document], event_seq: int) -> Benefit:
    """Apply a confirmed review's outcome from its effective month (the month after the decision)."""
    benefit = step.session.get(Benefit, data["benefit_id"])
    outcome, month, reason = data["review_outcome"], data["effective_month"], data.get("change_reason", "")
    benefit.next_review_on = _date(data["next_review_on"])
    benefit.review_cycle = data["review_cycle"]
    if outcome == "stop":
        _stop(step, benefit, month, reason, event_seq)
    elif outcome == "phase_out":  # 渐退: the amount goes on until the end of the period, then stops
        benefit.status, benefit.end_month = PHASING_OUT, data["phase_out_until"]
        _change(step, benefit, "phase_out", month, benefit.amount, benefit.persons, reason, event_seq)
    else:
        amount, persons = Decimal(data["amount"]["total"]), int(data["amount"]["persons"])
        _change(step, benefit, outcome, month, amount, persons, reason, event_seq)
        benefit.amount, benefit.persons, benefit.status = amount, persons, ACTIVE
    return benefit


def phase_out_end(step, data: dict, documents: list[Document], event_seq: int) -> Benefit:
    """The 渐退 period is over: the household leaves the benefit."""
    benefit = step.session.get(Benefit, data["benefit_id"])
    _stop(step, benefit, data["effective_month"], "渐退期满", event_seq)
    return benefit


EFFECTS = {"granted": grant, "review": review, "phase_out_end": phase_out_end}


def apply(step, effect: str, data: dict, documents: list[Document], event_seq: int) -> Benefit:
    """Write the register for one ``benefit`` task property reached in this step."""
    if effect not in EFFECTS:
        raise ValueError(f"unknown benefit effect {effect!r}")
    return EFFECTS[effect](step, data, documents, event_seq)


def amount_in_month(session: Session, benefit: Benefit, month: str) -> tuple[Decimal, int] | None:
    """The (amount, persons) paid for ``month``, or None when nothing is due that month."""
    change = session.scalars(
        select(BenefitChange).where(BenefitChange.benefit_id == benefit.id, BenefitChange.effective_month <= month)
        .order_by(BenefitChange.effective_month.desc(), BenefitChange.id.desc())
    ).first()
    if change is None or change.kind == "stop" or (benefit.status == TERMINATED and benefit.end_month
                                                    and month > benefit.end_month):
        return None
    return change.amount, change.persons
