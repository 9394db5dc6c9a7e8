"""County spot checks (抽查, DOMAIN.md §1.13): draw a sample of a township's decisions and check each.

A county auditor draws from the township's applications decided (approved or refused) in a past
period: every 近亲属 case (100%) and, of the other n, ceil(ratio × n) at random, the ratio being the
setting ``dibao.spot_check.ratio`` in force for the township on the day of the draw. The seed is a
64-bit random number from ``secrets``. The population (in case-number order), the ratio and the seed
are recorded (:class:`SpotCheckDraw`), so :func:`reproduce` draws the same sample again. Each case
drawn gets a spot-check case (process ``dibao_spot_check``) in the same transaction; its first event
records the draw's seed, ratio and a digest of the population, in the hash-chained history.

A problem finding is referred back to the case checked (:func:`reopen`, run by the engine when the
task with the property ``reopen`` is reached): an approved household still on the benefit gets a
review (reason ``spot_check``); otherwise the finding is recorded in the checked case's history.
"""

import hashlib
import json
import math
import random
import secrets
from datetime import date
from decimal import Decimal, InvalidOperation

from sqlalchemy import select
from sqlalchemy.orm import Session, aliased

from . import access, clock, engine, queries, reviews, specs
from .errors import Conflict, Forbidden, Invalid, NotFound
from .forms import validate_submission
from .history import append_event, canonical, events_of
from .i18n import N_
from .settings import SettingsView
from .step import Services, Step
from .store import Benefit, Case, CaseEvent, CaseSnapshot, SpotCheckDraw, Township, User
from .store.benefit import TERMINATED

PROCESS = "dibao_spot_check"
CHECKED_PROCESS = "dibao_application"
DECIDED = ("APPROVED", "REFUSED")
RATIO = "dibao.spot_check.ratio"
STARTED = "spot_check_started"


def population(session: Session, township_code: str, decided_from: date, decided_to: date) -> list[Case]:
    """The township's applications decided (approved or refused) in the period, in case-number order."""
    rows = session.scalars(select(Case).where(
        Case.process_id == CHECKED_PROCESS, Case.township_code == township_code, Case.status.in_(DECIDED),
        Case.decided_on >= decided_from, Case.decided_on <= decided_to))
    return sorted(rows, key=lambda case: case.case_no)  # in Python: the same order on every database


def sample_of(case_nos: list[str], near_relative: list[str], ratio: str, seed: str) -> list[str]:
    """Every near-relative case, plus ``ceil(ratio × n)`` of the other n drawn with ``random.Random(seed)``.

    Args:
        case_nos: The population in its recorded order (the draw depends on it).
        near_relative: The population's 近亲属 cases.
        ratio: A decimal string such as ``"0.30"`` (computed exactly: 0.28 × 25 is 7; in floating point, 8).
        seed: A non-negative integer in decimal.

    Returns:
        The case numbers sampled, in case-number order.
    """
    near = set(near_relative)
    others = [no for no in case_nos if no not in near]
    k = math.ceil(_decimal(ratio) * len(others))
    drawn = random.Random(int(seed)).sample(others, k)
    return sorted([*near_relative, *drawn])


def reproduce(draw_row: SpotCheckDraw) -> list[str]:
    """Draw again from the recorded population, ratio and seed (must equal ``draw_row.sample``)."""
    return sample_of(draw_row.population, draw_row.near_relative, draw_row.ratio, draw_row.seed)


def _decimal(text: str) -> Decimal:
    try:
        value = Decimal(str(text))
    except InvalidOperation:
        value = None
    if value is None or not 0 < value <= 1:
        raise Invalid(f"设置项 {RATIO} 的值 {text} 不是 0 到 1 之间的比例", f"{RATIO} = {text} is not a ratio")
    return value


def _ratio_in_force(session: Session, township_code: str) -> str:
    value = str(SettingsView(session, township_code, clock.today()).get(RATIO))
    _decimal(value)
    return value


def _check_period(session: Session, township_code: str, decided_from: date, decided_to: date) -> None:
    """The period must be over (so no decision can join it later) and not overlap an earlier draw."""
    if decided_from > decided_to:
        raise Invalid("抽查期间的开始日期不能晚于结束日期", "The period starts after it ends",
                      {"decided_from": N_("开始日期不能晚于结束日期")})
    if decided_to >= clock.today():
        raise Invalid("只能抽查已经结束的期间（结束日期须早于今天）", "The period must have ended (before today)",
                      {"decided_to": N_("结束日期须早于今天")})
    earlier = session.scalars(select(SpotCheckDraw).where(
        SpotCheckDraw.township_code == township_code, SpotCheckDraw.decided_from <= decided_to,
        SpotCheckDraw.decided_to >= decided_from)).first()
    if earlier:  # drawing again until the sample suits would defeat the random draw
        raise Conflict(f"该期间与已抽查的期间（{earlier.decided_from} 至 {earlier.decided_to}）重叠，不能重新抽取",
                       f"The period overlaps an earlier draw ({earlier.decided_from} – {earlier.decided_to})")


def draw(  # noqa: PLR0913 - who, where, which period, the services and the seed are each needed
    session: Session, auditor: User, township_code: str, decided_from: date, decided_to: date, services: Services,
    seed: int | str | None = None,
) -> SpotCheckDraw:
    """Draw a sample of the township's decisions in the period and start a spot check of each.

    Args:
        seed: For tests and demonstrations only; a draw by a person always uses a fresh random seed.

    Returns:
        The recorded draw; its spot-check cases are :func:`checks_of` it.

    Raises:
        Forbidden: the user is not a county auditor (the lane of the process's start).
        NotFound: no such township.
        Invalid: the period is reversed or has not ended.
        Conflict: the period overlaps an earlier draw of the township, or nothing was decided in it.
    """
    check_can_draw(session, auditor)
    version = specs.current_version(session, PROCESS)
    if session.get(Township, township_code) is None:
        raise NotFound("没有该乡镇（街道）", "No such township")
    _check_period(session, township_code, decided_from, decided_to)
    cases = population(session, township_code, decided_from, decided_to)
    if not cases:
        raise Conflict("该期间本乡镇（街道）没有审核确认的案件，无可抽查", "Nothing was decided in the period")
    with clock.frozen(clock.now()) as at:
        case_nos = [c.case_no for c in cases]
        near = [c.case_no for c in cases if c.near_relative]
        ratio = _ratio_in_force(session, township_code)
        seed = str(secrets.randbits(64) if seed is None else int(seed))
        row = SpotCheckDraw(
            township_code=township_code, drawn_by_id=auditor.id, drawn_at=at, decided_from=decided_from,
            decided_to=decided_to, ratio=ratio, seed=seed, population=case_nos, near_relative=near,
            sample=sample_of(case_nos, near, ratio, seed),
        )
        session.add(row)
        session.flush()
        by_no = {c.case_no: c for c in cases}
        for case_no in row.sample:
            _start_check(session, auditor, row, by_no[case_no], version, services)
    return row


def _population_digest(case_nos: list[str]) -> str:
    return hashlib.sha256(canonical(case_nos).encode()).hexdigest()


def _start_data(row: SpotCheckDraw, subject: Case, version: specs.ProcessVersion) -> dict:
    data = {
        "subject_case_no": subject.case_no, "subject_process": subject.process_id, "subject_decision": subject.status,
        "subject_decided_on": subject.decided_on.isoformat(), "subject_near_relative": subject.near_relative,
        "draw": {"id": row.id, "seed": row.seed, "ratio": row.ratio, "decided_from": row.decided_from.isoformat(),
                 "decided_to": row.decided_to.isoformat(), "population_sha256": _population_digest(row.population)},
    }
    sampled_as = "near_relative" if subject.near_relative else "random"
    form, errors = validate_submission(version.form("start"), {"sampled_as": sampled_as}, data)
    if errors:  # the data comes from the case rows: a failure here is a bug, not a user's mistake
        raise ValueError(f"spot-check start data refused by its form: {errors}")
    return {**data, **form}


def _start_check(session: Session, auditor: User, row: SpotCheckDraw, subject: Case,
                 version: specs.ProcessVersion, services: Services) -> engine.StepResult:
    """One step: the spot-check case of one sampled case, with an open ``spot_check`` task."""
    initial = _start_data(row, subject, version)
    return engine.open_case(session, auditor, version, subject.township_code, initial, services, kind=STARTED,
                            status="SPOT_CHECK", applicant_name=subject.applicant_name,
                            applicant_id_no=subject.applicant_id_no, household_size=subject.household_size,
                            subject_case_id=subject.id)


def reopen(step: Step, target: str, data: dict, event: CaseEvent) -> list[CaseEvent]:
    """Refer a spot check's problem finding back to the case it checked (task property ``reopen="subject"``).

    Runs inside the spot check's step. Records ``finding_referred`` in the spot check's history and
    ``spot_check_problem_recorded`` in the checked case's (neither changes a workflow's state).

    Returns:
        The spot check's new event.
    """
    if target != "subject":
        raise ValueError(f"unknown reopen target {target!r}")
    session = step.session
    subject = session.get(Case, step.case.subject_case_id)
    outcome, review_no = _refer(step, subject, data)
    referred = {"subject_case_no": subject.case_no, "outcome": outcome, "review_case_no": review_no}
    own = append_event(session, step.case, "finding_referred", at=step.at, actor=step.actor, data=referred,
                       state_digest=event.state_digest, digest_version=event.digest_version)
    snap = session.get(CaseSnapshot, subject.id)
    recorded = {"spot_check_case_no": step.case.case_no, "finding_detail": data.get("finding_detail", ""),
                "outcome": outcome, "review_case_no": review_no}
    append_event(session, subject, "spot_check_problem_recorded", at=step.at, actor=step.actor, data=recorded,
                 state_digest=snap.digest if snap else "", digest_version=snap.digest_version if snap else None)
    return [own]


def _refer(step: Step, subject: Case, data: dict) -> tuple[str, str | None]:
    """What the finding does to the case checked: (outcome, the review's case number)."""
    if subject.status != "APPROVED":
        return "recorded", None  # refused: nothing runs to reopen; the township sees the finding
    benefit = step.session.scalars(select(Benefit).where(Benefit.case_id == subject.id)).first()
    if benefit is None or benefit.status == TERMINATED:
        return "benefit_ended", None
    running = queries.running_review(step.session, benefit)
    if running:
        return "review_under_way", running.case_no
    submission = {"review_reason": reviews.SPOT_CHECK, "change_report": data["finding_detail"]}
    started = reviews.start_review_from(step.session, step.actor, benefit, submission, step.services,
                                        {"spot_check_case_no": step.case.case_no})
    return "review_started", started.case.case_no


def _check_can_view(user: User) -> None:
    if user.role not in access.AUDIT_ROLES:
        raise Forbidden("只有区民政局审计人员和管理员可以查看抽查记录", "Only auditors and administrators see draws")


def draws(session: Session, user: User, township_code: str | None = None) -> list[SpotCheckDraw]:
    """Draws made so far, newest first (county auditors and administrators)."""
    _check_can_view(user)
    query = select(SpotCheckDraw).order_by(SpotCheckDraw.drawn_at.desc(), SpotCheckDraw.id.desc())
    if township_code:
        query = query.where(SpotCheckDraw.township_code == township_code)
    return list(session.scalars(query))


def draw_for(session: Session, user: User, draw_id: int) -> SpotCheckDraw:
    """One draw, for a county auditor or an administrator."""
    _check_can_view(user)
    row = session.get(SpotCheckDraw, draw_id)
    if row is None:
        raise NotFound("没有该次抽查", "No such draw")
    return row


def checks_of(session: Session, draw_row: SpotCheckDraw) -> list[Case]:
    """The spot-check cases the draw started, in the order of the cases checked."""
    subject = aliased(Case)
    rows = session.execute(
        select(Case, subject.case_no).join(subject, Case.subject_case_id == subject.id)
        .where(Case.process_id == PROCESS, subject.case_no.in_(draw_row.sample)))
    return [case for case, _no in sorted(rows, key=lambda row: (row[1], row[0].id))]


def checks_about(session: Session, case: Case) -> list[Case]:
    """The spot checks of one decided case (for its case page: a problem shows as CHECK_PROBLEM)."""
    return list(session.scalars(
        select(Case).where(Case.process_id == PROCESS, Case.subject_case_id == case.id).order_by(Case.id)))


def check_can_draw(session: Session, user: User) -> None:
    """Raise Forbidden unless ``user`` may draw samples (the lane of the process's start: county auditors)."""
    if user.role != specs.current_version(session, PROCESS).task_spec("start").lane:
        raise Forbidden("只有区民政局审计人员可以抽查", "Only county auditors draw spot checks")


def check_draw(session: Session, draw_row: SpotCheckDraw) -> list[str]:
    """What does not hold about a recorded draw (empty when everything does).

    The seed draws the recorded sample from the recorded population; that population is still the
    township's decisions of the period; and every case sampled has its spot check, whose first
    (hash-chained) event records this draw's seed, ratio and population digest.
    """
    problems = []
    if reproduce(draw_row) != draw_row.sample:
        problems.append("按记录的随机种子和比例抽取，结果与记录的样本不一致")
    cases = population(session, draw_row.township_code, draw_row.decided_from, draw_row.decided_to)
    if [c.case_no for c in cases] != draw_row.population or \
            [c.case_no for c in cases if c.near_relative] != draw_row.near_relative:
        problems.append("记录的抽样总体与该期间本乡镇（街道）的审核确认案件不一致")
    recorded = {"id": draw_row.id, "seed": draw_row.seed, "ratio": draw_row.ratio,
                "decided_from": draw_row.decided_from.isoformat(), "decided_to": draw_row.decided_to.isoformat(),
                "population_sha256": _population_digest(draw_row.population)}
    starts = [_start_of(session, case) for case in checks_of(session, draw_row)]
    started = {data.get("subject_case_no"): data for data in starts}
    for case_no in draw_row.sample:
        if case_no not in started:
            problems.append(f"{case_no}：未启动抽查核查")
        elif started[case_no].get("draw") != recorded:
            problems.append(f"{case_no}：其抽查核查记录的是另一次抽样")
    return problems


def _start_of(session: Session, case: Case) -> dict:
    first = events_of(session, case)[0]
    return json.loads(first.data)["form"] if first.kind == STARTED else {}
