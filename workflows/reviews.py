"""动态管理: reviews of households on 低保 — which are due, and starting one (process ``dibao_review``).

A review starts from the benefit register, not from a window registration: the household as last
assessed (by its approval or its latest review) is loaded into the new case, the start form only
says why (due, a reported change, or a county spot check's finding). A clerk starts the first two;
a spot check's problem finding starts the third (``start_review_from``, called by ``spot_checks``).
The review's steps then run like any other case.
"""

from datetime import timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from . import access, clock, engine, queries, specs
from .errors import Conflict, Forbidden, Invalid
from .forms import validate_submission
from .i18n import N_
from .step import Services
from .store import ACTIVE_STATUSES, Benefit, Case, User
from .store.benefit import ACTIVE, PHASING_OUT, TERMINATED

PROCESS = "dibao_review"
SPOT_CHECK = "spot_check"  # the review reason of a review a county spot check's finding started
# What a member row carries from one assessment into the next review's visit form.
MEMBER_KEYS = (
    "name", "id_no", "relation", "birth_date", "sex", "age", "disability_level", "disability_kind",
    "serious_illness", "labor_capacity", "excluded", "exclusion_reason", "wage_income", "business_income",
    "property_income", "transfer_income", "excluded_income", "monthly_income",
)


def _window(user: User, within_days: int) -> list:
    """The condition of a benefit still paid whose review falls due within ``within_days`` (the user's
    township for township staff)."""
    conditions = [Benefit.status.in_((ACTIVE, PHASING_OUT)),
                  Benefit.next_review_on <= clock.today() + timedelta(days=within_days)]
    if user.is_township_staff:
        conditions.append(Benefit.township_code == user.township_code)
    return conditions


def _due(user: User, within_days: int) -> list:
    """The condition of a benefit whose review falls due within ``within_days`` and has not started."""
    # NOT EXISTS per benefit (index on case_record.benefit_id), not NOT IN over every review case ever
    # made: that subquery read the whole case table (P3, docs/performance.md).
    open_review = select(Case.id).where(Case.benefit_id == Benefit.id, Case.status.in_(ACTIVE_STATUSES))
    return [*_window(user, within_days), ~open_review.exists()]


def reviews_due(session: Session, user: User, within_days: int = 30) -> list[Benefit]:
    """Benefits of the user's township whose review falls due within ``within_days`` and has not started."""
    query = select(Benefit).where(*_due(user, within_days)).order_by(Benefit.next_review_on, Benefit.certificate_no)
    return list(session.scalars(query))


def count_due(session: Session, user: User, within_days: int = 30) -> int:
    """How many reviews :func:`reviews_due` lists, for the navigation on every page of a clerk.

    The benefits due less those of them whose review is under way: two counts that read indexes
    only (``ix_benefit_review_due``; the township's open cases in ``ix_case_township_status_benefit``),
    where the NOT EXISTS of the list probes the case table once per benefit due (P3,
    docs/performance.md). A review runs in its benefit's township (``start_review``), so the
    township's open cases hold every review under way of its benefits.
    """
    window = _window(user, within_days)
    due = session.scalar(select(func.count()).select_from(Benefit).where(*window)) or 0
    running = (select(func.count(func.distinct(Benefit.id))).select_from(Case)
               .join(Benefit, Benefit.id == Case.benefit_id)
               .where(*window, Case.status.in_(ACTIVE_STATUSES), Case.benefit_id.is_not(None)))  # (planner hint)
    if user.is_township_staff:
        running = running.where(Case.township_code == user.township_code)
    return due - (session.scalar(running) or 0)


def _latest_assessment(session: Session, benefit: Benefit) -> dict:
    """The household as last assessed: the latest finished review of the benefit, else its approval."""
    latest = session.scalars(
        select(Case).where(Case.benefit_id == benefit.id, Case.status.not_in(ACTIVE_STATUSES))
        .order_by(Case.id.desc())
    ).first()
    return queries.case_data(session, latest or session.get(Case, benefit.case_id))


def _initial_data(benefit: Benefit, assessed: dict, form: dict) -> dict:
    members = [{k: m[k] for k in MEMBER_KEYS if k in m} for m in assessed["members_assessed"]]
    return {
        **form, "benefit_id": benefit.id, "certificate_no": benefit.certificate_no, "members": members,
        "standard_class": benefit.standard_class, "household_type": assessed.get("household_type", "family"),
        "previous_amount": {"total": str(benefit.amount), "persons": benefit.persons},
        "review_cycle_before": benefit.review_cycle,
    }


def _check_reviewable(session: Session, benefit: Benefit) -> None:
    if benefit.status == TERMINATED:
        raise Conflict("该家庭已退出低保，不能复核", "The household has left the benefit")
    running = queries.running_review(session, benefit)
    if running:
        raise Conflict(f"该家庭已有进行中的复核（{running.case_no}）",
                       f"A review of this household is under way ({running.case_no})")


def _checked(session: Session, actor: User, benefit_id: int) -> Benefit:
    benefit = access.benefit_for(session, actor, benefit_id)
    if not actor.is_township_staff or actor.township_code != benefit.township_code or actor.role != "clerk":
        raise Forbidden("只有本乡镇（街道）窗口工作人员可以启动复核", "Only the township's window clerks start reviews")
    _check_reviewable(session, benefit)
    return benefit


def start_review(session: Session, actor: User, benefit_id: int, submission: dict, services: Services,
                 locale: str = "zh") -> engine.StepResult:
    """Start a review of a household on the benefit (due, or after a reported change).

    The reason ``spot_check`` is refused here: only a spot check's finding starts such a review.
    """
    benefit = _checked(session, actor, benefit_id)
    if isinstance(submission, dict) and submission.get("review_reason") == SPOT_CHECK:
        raise Invalid("区级抽查发现问题的复核由抽查结论自动启动", "Spot-check reviews are started by the finding",
                      {"review_reason": N_("区级抽查发现问题的复核由抽查结论自动启动，请选择其他原因")})
    return _start(session, actor, benefit, submission, services, locale)


def start_review_from(session: Session, actor: User, benefit: Benefit, submission: dict, services: Services,
                      origin: dict) -> engine.StepResult:
    """Start a review that another case's step asks for (a county spot check's finding), for ``actor``.

    The clerk-only rule of :func:`start_review` does not apply (the finding starts it); the household
    must still be on the benefit with no review under way.

    Args:
        origin: Recorded with the review's start data, e.g. ``{"spot_check_case_no": …}``.

    Raises:
        Conflict: the household left the benefit, or a review of it is under way.
    """
    _check_reviewable(session, benefit)
    return _start(session, actor, benefit, submission, services, "zh", origin)


def _start(session: Session, actor: User, benefit: Benefit, submission: dict, services: Services, locale: str,
           origin: dict | None = None) -> engine.StepResult:
    version = specs.current_version(session, PROCESS)
    form, errors = validate_submission(version.form("start"), submission, {}, locale)
    if errors:
        raise Invalid("填写有误，请按提示修改", "The form has errors", errors)
    initial = {**_initial_data(benefit, _latest_assessment(session, benefit), form), **(origin or {})}
    return engine.open_case(session, actor, version, benefit.township_code, initial, services, kind="review_started",
                            status="REVIEW_STARTED", applicant_name=benefit.holder_name,
                            applicant_id_no=benefit.holder_id_no, household_size=benefit.persons,
                            benefit_id=benefit.id)

