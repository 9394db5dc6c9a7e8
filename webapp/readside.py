"""Read queries of the pages added with the full procedure (公示 batches, 督办, 核对 incidents,
objections and the extension on the case page). Read models only; no workflow is deserialized.

They sit in the web layer for now and can move to ``workflows.queries`` unchanged (no Flask here).
"""

from dataclasses import dataclass, field

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from workflows import engine, incidents, queries, reviews, roster_process, specs
from workflows.access import COUNTY_TASK_ROLES, can_see_township
from workflows.errors import NotFound
from workflows.forms import Form, display_values, localized
from workflows.queries import QueueRow
from workflows.store import Case, Document, HumanTask, OutsideCall, StepIncident, User
from workflows.store.outside_call import DONE

BATCH_KIND = "public_notice_list"
QUEUE_ROLES = ("clerk", "investigator", "reviewer", "leader", "county_auditor")  # the roles with a task queue
# BPMN message → the declarative form its payload was validated with.
MESSAGE_FORMS = {"objection": "objection", "deadline_extension": "deadline_extension"}


@dataclass
class CaseExtras:
    """What the case page shows beside the summary: messages received, 核对 calls, batch lists."""

    objections: list[dict] = field(default_factory=list)  # {"at", "payload"} oldest first
    extension: dict | None = None  # {"at", "payload"} of the extension, once granted
    calls: list[OutsideCall] = field(default_factory=list)  # not answered yet (pending or incident)
    batch_lists: list[Document] = field(default_factory=list)  # 公示 lists the case was published in
    failures: list[StepIncident] = field(default_factory=list)  # steps that failed and wait for a retry

    @property
    def incidents(self) -> list[OutsideCall]:
        """Calls that failed and wait for a retry."""
        return [c for c in self.calls if c.status == "incident"]


def message_form(session: Session, case: Case, form_id: str) -> Form:
    """The form of a message (objection, deadline_extension) on the case's pinned process version."""
    return specs.version_by_hash(session, case.spec_hash).form(form_id)


def has_message_form(session: Session, case: Case, form_id: str) -> bool:
    """True if the case's process takes this message form (a review case takes no objection)."""
    try:
        message_form(session, case, form_id)
    except NotFound:
        return False
    return True


def senders(session: Session, case: Case, message: str) -> list[str]:
    """The roles the case's BPMN lets send ``message``."""
    return engine.message_senders(specs.version_by_hash(session, case.spec_hash), message)


def case_extras(session: Session, case: Case, history: list[dict], locale: str = "zh") -> CaseExtras:
    """Objections, the extension and batch lists (from the history rows), and open outside calls."""
    extras = CaseExtras()
    numbers = []
    has_objections = has_message_form(session, case, "objection")
    channels = _option_labels(message_form(session, case, "objection"), "channel", locale) if has_objections else {}
    for row in history:
        data, at = row["data"], row["event"].at
        if row["event"].kind == "message_received" and data.get("message") == "objection":
            payload = data.get("payload") or {}
            channel = payload.get("channel")
            extras.objections.append({"at": at, "payload": payload, "channel_label": channels.get(channel, channel)})
        elif row["event"].kind == "message_received" and data.get("message") == "deadline_extension":
            extras.extension = {"at": at, "payload": data.get("payload") or {}}
        elif row["event"].kind == "document_issued" and data.get("kind") == BATCH_KIND:
            numbers.append(data.get("number"))
    if not case.deadline_extended:
        extras.extension = None  # a refused request is rolled back, but be safe
    extras.calls = list(session.scalars(
        select(OutsideCall).where(OutsideCall.case_id == case.id, OutsideCall.status != DONE).order_by(OutsideCall.id)
    ))
    extras.failures = incidents.open_for_case(session, case)
    if numbers:
        extras.batch_lists = list(session.scalars(
            select(Document).where(Document.number.in_(numbers)).order_by(Document.issued_at)
        ))
    return extras


def _option_labels(form: Form, name: str, locale: str) -> dict[str, str]:
    field_ = next((f for f in form.fields if f["name"] == name), {})
    return {o["value"]: localized(o["label"], locale) for o in field_.get("options", [])}


def describe_messages(session: Session, case: Case, history: list[dict], locale: str) -> list[dict]:
    """History rows with the payload of each message shown with its form's labels."""
    version = specs.version_by_hash(session, case.spec_hash)
    for row in history:
        data = row["data"]
        if row["event"].kind == "outside_data_received":
            findings = ((data.get("payload") or {}).get("summary") or {}).get("findings") or []
            row["shown"] = [("核对发现" if locale == "zh" else "Findings", findings or ["—"])]
        if row["event"].kind != "message_received":
            continue
        payload = data.get("payload") or {}
        form_id = MESSAGE_FORMS.get(data.get("message"))
        if form_id:
            row["shown"] = display_values(version.form(form_id), payload, locale)
            if payload.get("recorded_by"):
                row["shown"].append(("登记人" if locale == "zh" else "Recorded by", payload["recorded_by"]))
        elif data.get("message") == "notice_published":
            row["batch"] = payload.get("batch_no")
    return history


def _escalated(query, user: User):
    """Escalated tasks of the user's township, without the district's lanes (区民政局核查, 抽查): a
    township leader cannot chase county staff; the county auditor sees them in the overdue view."""
    return query.where(HumanTask.escalated_at.is_not(None), HumanTask.township_code == user.township_code,
                       HumanTask.role.not_in(COUNTY_TASK_ROLES))


def escalated_tasks(session: Session, user: User) -> list[QueueRow]:
    """Open township tasks of the user's township whose due-time timer fired (督办), earliest escalation first."""
    query = (
        select(HumanTask, Case, User.display_name)
        .join(Case, Case.id == HumanTask.case_id)
        .outerjoin(User, User.id == HumanTask.claimed_by_id)
        .order_by(HumanTask.escalated_at, HumanTask.due_on)
    )
    return [QueueRow(t, c, name) for t, c, name in session.execute(_escalated(query, user))]


def subject_view(session: Session, case: Case) -> dict:
    """For a spot check's pages: ``subject`` (the case it checks) and ``subject_data`` (that case's data).

    Both are empty for any other case, so templates can ask ``{% if subject %}``.
    """
    subject = queries.subject_of(session, case)
    return {"subject": subject, "subject_data": queries.case_data(session, subject) if subject else {}}


def roster_view(session: Session, case: Case, data: dict) -> dict | None:
    """For a payment roster case's pages: its month's lines and totals (``roster_process.view``); None otherwise."""
    return roster_process.view(session, case, data) if case.process_id == roster_process.PROCESS else None


def notice_batches(session: Session, township_code: str, limit: int = 50) -> list[Document]:
    """The township's published 公示 lists, newest first."""
    query = (select(Document).where(Document.kind == BATCH_KIND, Document.township_code == township_code)
             .order_by(Document.issued_at.desc(), Document.id.desc()).limit(limit))
    return list(session.scalars(query))


def batch_document(session: Session, user: User, number: str) -> Document | None:
    """A 公示 list the user may download (its township's staff and the county roles)."""
    doc = session.scalars(select(Document).where(Document.number == number, Document.kind == BATCH_KIND)).first()
    return doc if doc is not None and can_see_township(user, doc.township_code) else None


def nav_counts(session: Session, user: User, tasks: int | None = None) -> dict[str, int]:
    """Counts shown in the navigation: open tasks of the user's queue, cases waiting for 公示, escalated
    tasks, reviews due (clerks). One indexed COUNT each; ``tasks``, when the page already counted the
    whole queue (the unfiltered queue page), is used instead of counting it again."""
    counts = {}
    if user.role in QUEUE_ROLES and tasks is not None:
        counts["tasks"] = tasks
    elif user.role in QUEUE_ROLES:  # the whole queue, as its "全部" tab counts it
        query = select(func.count()).select_from(HumanTask).where(HumanTask.role == user.role)
        if user.is_township_staff:
            query = query.where(HumanTask.township_code == user.township_code)
        counts["tasks"] = session.scalar(query) or 0
    if user.role == "clerk":
        counts["reviews_due"] = reviews.count_due(session, user)
    if user.role in ("reviewer", "leader"):
        counts["awaiting_notice"] = session.scalar(
            select(func.count()).select_from(Case)
            .where(Case.township_code == user.township_code, Case.status == "AWAITING_NOTICE")
        ) or 0
    if user.role == "leader":
        counts["escalated"] = session.scalar(_escalated(select(func.count()).select_from(HumanTask), user)) or 0
    return counts
