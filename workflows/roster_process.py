"""The payment roster's process (``bpmn/payment_roster.bpmn``): drawn up, approved, then issued.

The township's reviewer starts it for a month (制表, :func:`start`): the draft is computed from the
benefit register (``roster.draft``) and recorded in the start data as its totals and the SHA-256
of its lines, with who drew it up. The township's leader approves it (审核; never the person who
drew it up: ``separateFrom``) or sends it back with a reason; the reviewer then draws it up again
(the user task with ``computes="roster_draft"``: :func:`redraft`, recorded with the completion so
replay sets it again) or withdraws it. Approval reaches the task with ``roster="issue"``
(:func:`issue`, run by ``workflows.effects``), which writes the roster once — refused if the
register no longer gives the lines that were approved — and records the PDF's context in the
case's history, so replay re-renders it.

One roster per township and month: a month issued, or with a roster case under way, cannot be
started again (:func:`start`; the database's unique constraint is the last guard).
"""

import hashlib
import json

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from . import clock, engine, numbers, roster, specs
from .documents import DocumentIntegrityError
from .errors import Conflict, Forbidden, Invalid
from .forms import validate_submission
from .history import append_event, canonical
from .i18n import N_
from .store import ACTIVE_STATUSES, Case, CaseEvent, Document, PaymentRoster, Township, User
from .store.roster import IMMUTABLE_MESSAGE

PROCESS = roster.PROCESS
STARTED = "roster_started"
EMPTY = ("该月没有应发放的保障对象，不能生成空花名册", "Nobody is to be paid that month: no roster")
CHANGED = ("制表后在保登记簿发生了变化，名单与审核的不一致，请退回重新制表",
           "The benefit register changed since the roster was drawn up: send it back to be drawn up again")


def lines_digest(lines: list[dict]) -> str:
    """SHA-256 of draft lines in canonical JSON (amounts as two-decimal strings)."""
    rows = [{k: f"{line[k]:.2f}" if k == "amount" else line[k] for k in roster.LINE_COLUMNS} for line in lines]
    return hashlib.sha256(canonical(rows).encode()).hexdigest()


def draft_data(session: Session, township_code: str, month: str) -> tuple[list[dict], dict]:
    """The month's draft lines and what the case records of them: totals and the lines' SHA-256.

    Raises:
        Invalid: a malformed month, or nobody to pay that month.
    """
    lines = roster.draft(session, township_code, month)
    if not lines:
        raise Invalid(*EMPTY, {"month": N_("该月没有应发放的保障对象")})
    sums = roster.totals(lines)
    recorded = {"households": sums["households"], "persons": sums["persons"], "amount": f"{sums['amount']:.2f}"}
    return lines, {"roster_totals": recorded, "roster_lines_sha256": lines_digest(lines)}


def check_can_start(session: Session, user: User, township_code: str) -> None:
    """Raise Forbidden unless ``user`` may draw up the township's roster (the lane of the process's start)."""
    lane = specs.current_version(session, PROCESS).task_spec("start").lane
    if user.role != lane or not user.is_township_staff or user.township_code != township_code:
        raise Forbidden("只有本乡镇（街道）的审核人员可以制作发放花名册",
                        "Only the township's reviewer draws up the payment roster")


def running_case(session: Session, township_code: str, month: str) -> Case | None:
    """The township's roster case for ``month`` still under way (drawn up, not yet issued or withdrawn)."""
    running = session.execute(
        select(Case, CaseEvent.data).join(CaseEvent, CaseEvent.case_id == Case.id)
        .where(Case.process_id == PROCESS, Case.township_code == township_code, Case.status.in_(ACTIVE_STATUSES),
               CaseEvent.seq == 1).order_by(Case.id))
    return next((case for case, data in running if json.loads(data)["form"].get("month") == month), None)


def start(session: Session, actor: User, submission: dict, services, locale: str = "zh") -> engine.StepResult:
    """Draw up the township's roster for a month and send it to the leader (one step: the case opens).

    Args:
        submission: the start form (``month``, ``roster_confirm``).

    Raises:
        Forbidden: not the township's reviewer. Invalid: the form, a too distant month, nobody to pay.
        Conflict: the month was issued already, or a roster case for it is under way.
    """
    check_can_start(session, actor, actor.township_code)
    township = session.get(Township, actor.township_code)
    version = specs.current_version(session, PROCESS)
    form, errors = validate_submission(version.form("start"), submission, {}, locale)
    if errors:
        raise Invalid("填写有误，请按提示修改", "The form has errors", errors)
    month = form["month"]
    # Starts of one township-month queue on this counter's row until the first commits, so the
    # checks below see a roster case a colleague started at the same moment.
    numbers.next_value(session, f"roster_start:{township.code}:{month}")
    roster.check_issuable(session, township.code, month, clock.today())
    running = running_case(session, township.code, month)
    if running is not None:
        raise Conflict(f"{month} 发放花名册已在办理中（案件 {running.case_no}），不能重复制表",
                       f"The {month} roster is under way already ({running.case_no})")
    _lines, recorded = draft_data(session, township.code, month)
    initial = {**form, **recorded, "prepared_by": actor.display_name, "returned_count": 0}
    return engine.open_case(session, actor, version, township.code, initial, services, kind=STARTED,
                            status="ROSTER_REVIEWING", applicant_name=f"{month} 发放花名册", applicant_id_no="",
                            household_size=recorded["roster_totals"]["persons"])


def redraft(session: Session, actor: User, case: Case, data: dict) -> dict:
    """What a resubmitted roster records: its draft computed again from the register, and who drew it up.

    Called by the engine for the user task with ``computes="roster_draft"``, with the task's data and
    the form just submitted. Withdrawing computes nothing.

    Raises:
        Invalid: nobody to pay that month any more (the roster can only be withdrawn).
    """
    if data.get("prepare_decision") == "withdraw":
        return {}
    try:
        _lines, recorded = draft_data(session, case.township_code, data["month"])
    except Invalid:
        raise Invalid(*EMPTY, {"prepare_decision": N_("该月已没有应发放的保障对象，请选择撤回")}) from None
    return {**recorded, "prepared_by": actor.display_name}


def issue(step, data: dict, digest: str) -> Document:
    """Issue the approved roster (the task with ``roster="issue"``), inside the approval's step.

    The register must still give exactly the lines approved; the roster's rows, its workbook and PDF
    are written, and the PDF's context is recorded in the case's history (``document_issued``).

    Raises:
        Conflict: the register changed since it was drawn up, or the month was issued meanwhile.
    """
    session, case = step.session, step.case
    month = data["month"]
    roster.check_issuable(session, case.township_code, month, step.ctx.today)
    lines = roster.draft(session, case.township_code, month)
    if not lines or lines_digest(lines) != data["roster_lines_sha256"]:
        raise Conflict(*CHANGED)
    found, context, pdf = roster.compose(session, step.actor, case.township_code, month, lines, step.at,
                                         step.services, data.get("prepared_by", ""))
    sha256 = step.services.store.put(pdf)
    event = append_event(session, case, "document_issued", at=step.at, actor=step.actor, state_digest=digest,
                         data={"kind": roster.KIND, "number": found.pdf_number, "sha256": sha256, "context": context})
    doc = Document(case_id=case.id, kind=roster.KIND, number=found.pdf_number, verify_code=context["verify_code"],
                   sha256=sha256, size=len(pdf), issued_at=step.at, event_seq=event.seq,
                   township_code=case.township_code)
    session.add_all([doc, found])
    try:
        session.flush()
    except IntegrityError as exc:  # issued by another case at the same moment
        raise Conflict(*IMMUTABLE_MESSAGE) from exc
    return doc


def case_of(session: Session, found: PaymentRoster) -> Case | None:
    """The case whose approval issued the roster (None for a roster issued before rosters had a process)."""
    return session.scalars(select(Case).join(Document, Document.case_id == Case.id)
                           .where(Document.number == found.pdf_number)).first()


def roster_of(session: Session, case: Case) -> PaymentRoster | None:
    """The roster a roster case issued, if it did."""
    return session.scalars(select(PaymentRoster).join(Document, Document.number == PaymentRoster.pdf_number)
                           .where(Document.case_id == case.id)).first()


def view(session: Session, case: Case, data: dict) -> dict:
    """What a roster case's pages show: the issued roster's lines, or else the draft as the register
    gives it now, with ``changed`` when that is no longer the list drawn up (the leader sends it back)."""
    found = roster_of(session, case)
    if found is not None:
        lines, sums = found.lines, {"households": found.households, "persons": found.persons, "amount": found.total}
        changed = False
    else:
        lines = roster.draft(session, case.township_code, data["month"])
        sums = roster.totals(lines)
        changed = not lines or lines_digest(lines) != data.get("roster_lines_sha256")
    return {"month": data["month"], "lines": lines, "totals": sums, "recorded": data.get("roster_totals") or {},
            "changed": changed, "issued": found, "prepared_by": data.get("prepared_by", ""),
            "return_reason": data.get("return_reason", "")}


def _printed_workbook_digest(session: Session, case: Case, found: PaymentRoster) -> str | None:
    """The workbook SHA-256 printed on the roster's PDF, from the context recorded in the case's history."""
    for ev in session.scalars(select(CaseEvent).where(CaseEvent.case_id == case.id,
                                                      CaseEvent.kind == "document_issued")):
        data = json.loads(ev.data)
        if data.get("number") == found.pdf_number:
            return data["context"].get("xlsx_sha256")
    return None


def check_issued(session: Session, case: Case, store=None) -> list[str]:
    """What does not hold about the roster a case issued (for replay): its rows still make the
    workbook whose SHA-256 the PDF prints, and (given the store) the stored workbook is those bytes."""
    found = roster_of(session, case)
    if found is None:
        return [] if case.status != "ROSTER_ISSUED" else ["the case was issued but its roster is missing"]
    problems = []
    try:
        rebuilt = hashlib.sha256(roster.workbook(session, found)).hexdigest()
    except ValueError:  # the workbook refuses totals that are not the sums of the lines
        rebuilt = None
    if rebuilt != found.xlsx_sha256:
        problems.append(f"花名册 {found.pdf_number}：明细行已不能生成已发放的名册（明细被改动）")
    if rebuilt != _printed_workbook_digest(session, case, found):
        problems.append(f"花名册 {found.pdf_number}：Excel 名册不是其 PDF 所载的那一份")
    if store is not None:
        try:
            roster.xlsx_bytes(session, found, store)
        except DocumentIntegrityError:
            problems.append(f"花名册 {found.pdf_number}：保存的 Excel 名册缺失或被改动")
    return problems
