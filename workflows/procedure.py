"""Steps of the application procedure that are not a user task: objections during 公示, the
one-time extension of the time limit, the township's 公示 batch, and outside-data calls.

Each is a BPMN message the process catches (who may send it is the ``senderRoles`` property of the
catching event); the payload is validated with the message's declarative form, and the step is
recorded like any other, so replay delivers the same message again.
"""

import logging

from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from . import access, clock, documents, engine, incidents, numbers, outside, specs
from .adapters import EconomicDataAdapter
from .errors import Conflict, Invalid, StepFailed
from .forms import validate_submission
from .history import append_event
from .step import Services
from .store import Case, CaseSnapshot, Document, OutsideCall, User, unit_of_work
from .store.outside_call import DONE

log = logging.getLogger(__name__)


def _validated(version: specs.ProcessVersion, form_id: str, submission: dict, locale: str) -> dict:
    clean, errors = validate_submission(version.form(form_id), submission, {}, locale)
    if errors:
        raise Invalid("填写有误，请按提示修改", "The form has errors", errors)
    return clean


def send(session: Session, actor: User, case_no: str, message: str, form_id: str, submission: dict,
         services: Services, locale: str = "zh") -> engine.StepResult:
    """A member of staff sends the case a message (an objection, an extension request)."""
    case = access.case_for(session, actor, case_no)
    version = specs.version_by_hash(session, case.spec_hash)
    if not engine.catches_message(version, message):  # e.g. an objection to a review case: never takes one
        raise Conflict("该案件的办理流程没有此项操作", f"This case's procedure never takes {message}")
    access.check_can_send(actor, case, message, engine.message_senders(version, message))
    access.check_not_involved(session, actor, case)
    payload = _validated(version, form_id, submission, locale)
    payload["recorded_by"] = actor.display_name
    return engine.deliver_message(session, case, message, payload, services, actor)


def record_objection(session: Session, actor: User, case_no: str, submission: dict, services: Services,
                     locale: str = "zh") -> engine.StepResult:
    """Record an objection received during the public notice; the case goes back to investigation."""
    return send(session, actor, case_no, "objection", "objection", submission, services, locale)


def extend_deadline(session: Session, actor: User, case_no: str, submission: dict, services: Services,
                    locale: str = "zh") -> engine.StepResult:
    """Extend the case's time limit (once, with a reason); refused if it was extended before."""
    # The BPMN decides (an event subprocess that extends only once); this only reports a refusal,
    # and raising rolls the refused attempt back.
    extended_before = access.case_for(session, actor, case_no).deadline_extended
    result = send(session, actor, case_no, "deadline_extension", "deadline_extension", submission, services, locale)
    if extended_before or not result.case.deadline_extended:
        raise Conflict("该案件已延期过一次（或尚未受理），不能再延期",
                       "The time limit was extended before, or the case is not accepted yet")
    return result


def awaiting_notice(session: Session, township_code: str) -> list[Case]:
    """The township's cases proposed for approval and waiting for the next 公示 batch."""
    return list(session.scalars(
        select(Case).where(Case.township_code == township_code, Case.status == "AWAITING_NOTICE").order_by(Case.case_no)
    ))


def publish_notice_batch(session: Session, actor: User, services: Services) -> tuple[Document, list[Case]]:
    """Publish every case of the actor's township that waits for 公示, as one batch with one list PDF.

    Raises:
        Conflict: no case is waiting.
    """
    cases = awaiting_notice(session, actor.township_code or "")
    if not cases:
        raise Conflict("目前没有待公示的案件", "No case is waiting for public notice")
    today = clock.today()
    prefix = documents.PREFIXES["public_notice_list"]
    batch_no = numbers.document_number(session, prefix, actor.township_code, today.year)
    rows = []
    for case in cases:
        version = specs.version_by_hash(session, case.spec_hash)
        access.check_can_send(actor, case, "notice_published", engine.message_senders(version, "notice_published"))
        access.check_not_involved(session, actor, case)  # the whole batch waits for a colleague to publish it
        result = engine.deliver_message(session, case, "notice_published",
                                        {"batch_no": batch_no, "published_on": today.isoformat()}, services, actor)
        rows.append((case, result.events[0], result.data))
    doc = documents.issue_notice_list(session, actor, batch_no, rows, services)
    return doc, cases


def run_due_calls(session_factory, adapter_for, services: Services, limit: int = 20) -> int:
    """One worker pass over due outside calls (pending, or incidents whose retry time came)."""
    with unit_of_work(session_factory) as session:
        ids = outside.due_calls(session, clock.now(), limit)
    return run_calls(session_factory, ids, adapter_for, services)


def run_calls(session_factory, call_ids: list[int], adapter_for, services: Services) -> int:
    """Make these outside calls, one transaction each; returns how many were answered.

    ``adapter_for(session)`` gives the adapter for one call's transaction. A failing outside system
    is recorded as an incident by :func:`run_call` (committed, not raised). When the answer came but
    the case's step failed on it (a script error, a missing setting), the step is rolled back and
    both the call and the case show the incident; the call is asked again after its back-off. Any
    other failure is rolled back, logged and left for the next pass; the other calls go on.
    """
    answered = 0
    for call_id in call_ids:
        try:
            with unit_of_work(session_factory) as session:
                answered += bool(run_call(session, call_id, adapter_for(session), services))
        except StepFailed as err:
            with unit_of_work(session_factory) as session:
                incidents.record(session, err)
                outside.record_failure(session.get(OutsideCall, call_id), err.error, clock.now())
        except StaleDataError:  # someone moved the case meanwhile: the call stays due, the next pass asks again
            log.info("outside call %s: its case moved meanwhile; left for the next pass", call_id)
        except Exception:  # noqa: BLE001 - one broken call must not stop the others
            log.exception("outside call %s failed", call_id)
    return answered


def run_call(session: Session, call_id: int, adapter: EconomicDataAdapter, services: Services) -> bool:
    """Make one outside call and deliver its answer to the case; on failure record an incident.

    Returns True when the answer was delivered. A failure is committed as an incident by the caller's
    transaction (never raised), so the worker moves on and the case shows the error.
    """
    now = clock.now()
    call = outside.claim(session, call_id, now)
    if call is None:
        return False
    try:
        answer = outside.ask(call, adapter, now)
    except Exception as err:  # noqa: BLE001 - any failure of an outside system becomes a visible incident
        outside.record_failure(call, err, now)
        return False
    case = session.get(Case, call.case_id)
    try:
        engine.deliver_message(session, case, call.message, answer, services, None, kind="outside_data_received")
    except Conflict:  # the case no longer waits for the answer: close the call instead of asking forever
        outside.record_cancelled(call, now)
        return False
    outside.record_success(call, now)
    return True


def retry_call(session: Session, actor: User, case_no: str) -> list[OutsideCall]:
    """An operator asks for the case's failed outside calls to be tried again at once."""
    case = access.case_for(session, actor, case_no)
    access.check_can_retry(actor, case)
    access.check_not_involved(session, actor, case)
    calls = list(session.scalars(select(OutsideCall).where(OutsideCall.case_id == case.id, OutsideCall.status != DONE)))
    if not calls:
        raise Conflict("该案件没有待处理的外部核对请求", "The case has no outstanding outside call")
    now = clock.now()
    for call in calls:
        outside.retry_now(call, now)
    snap = session.get(CaseSnapshot, case.id)
    append_event(session, case, "outside_call_retried", at=now, actor=actor, state_digest=snap.digest,
                 digest_version=snap.digest_version,
                 data={"calls": [c.kind for c in calls]})
    return calls
