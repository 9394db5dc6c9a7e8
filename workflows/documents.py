"""Issuing documents: numbers, the data printed, the PDF bytes and their SHA-256.

What a document says is decided here, from the case data recorded at the issuing step; how it
looks is the renderer's business (``webapp.documents``), injected as a plain callable so the
engine never imports the web layer. The context is recorded in the ``document_issued`` event,
so the same bytes can be rendered again years later and compared with the stored hash.
"""

import hashlib
from collections.abc import Callable
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

from sqlalchemy.orm import Session

from . import numbers
from .clock import CHINA_TZ
from .errors import DomainError
from .history import append_event
from .i18n import N_
from .script_env import StepContext
from .store import Case, CaseSnapshot, Document, Township

Renderer = Callable[[str, dict], bytes]


class DocumentIntegrityError(DomainError):
    """The bytes in the document store do not match the recorded SHA-256."""

    status = 500
    code = "document_integrity"

PREFIXES = {
    "approval_notice": "PZ", "refusal_notice": "BY", "missing_materials_notice": "BZ", "public_notice_list": "GS",
    "not_accepted_notice": "BS", "payment_roster": "FF", "change_notice": "BG", "temp_assistance_notice": "LS",
    "visit_rate_report": "TF", "supervision_report": "DD",
}
OUTCOME_LABELS = {
    "unchanged": N_("保障金额不变"), "increase": N_("增发"), "reduce": N_("减发"), "stop": N_("停发"),
    "phase_out": N_("渐退"), "phase_out_end": N_("渐退期满，停发"),
}
RELATION_LABELS = {
    "self": N_("本人"), "spouse": N_("配偶"), "child": N_("子女"), "parent": N_("父母"), "grandchild": N_("孙子女"),
    "grandparent": N_("祖父母"), "sibling": N_("兄弟姐妹"), "other": N_("其他"),
}
REVIEW_CYCLE_LABELS = {
    "yearly": "每年复核一次", "half_yearly": "每半年复核一次（收入不固定或有劳动能力成员的家庭）",
}
CATEGORY_LABELS = {
    "elderly": N_("老年人"), "minor": N_("未成年人"), "severe_disability": N_("重度残疾人"),
    "serious_illness": N_("重病患者"),
}


class DocumentStore:
    """Document bytes on disk, content-addressed by SHA-256 (writing twice is harmless).

    PDFs are stored as ``<sha256>.pdf``; other files (the payment roster workbook) pass their own
    suffix, e.g. ``.xlsx``, to ``put``, ``get`` and ``path`` alike.
    """

    def __init__(self, root: Path):
        self.root = Path(root)

    def path(self, sha256: str, suffix: str = ".pdf") -> Path:
        """Where the bytes with this hash live."""
        return self.root / sha256[:2] / f"{sha256}{suffix}"

    def put(self, content: bytes, suffix: str = ".pdf") -> str:
        """Store the bytes; returns their SHA-256."""
        digest = hashlib.sha256(content).hexdigest()
        target = self.path(digest, suffix)
        if not target.exists():
            target.parent.mkdir(parents=True, exist_ok=True)
            tmp = target.with_suffix(".tmp")
            tmp.write_bytes(content)
            tmp.replace(target)
        return digest

    def get(self, sha256: str, suffix: str = ".pdf") -> bytes:
        """The bytes with this hash, checked: a changed or missing file is an error, never served."""
        path = self.path(sha256, suffix)
        content = path.read_bytes() if path.exists() else b""
        if hashlib.sha256(content).hexdigest() != sha256:
            raise DocumentIntegrityError(
                "文书文件缺失或与登记的哈希值不一致，请联系管理员", "The stored document is missing or was changed"
            )
        return content


def mask_id(id_no: str) -> str:
    """Keep the first 4 and last 4 characters of an ID number."""
    return id_no[:4] + "*" * (len(id_no) - 8) + id_no[-4:]


def _amount_for_print(amount: dict, members: list[dict]) -> dict:
    names = {m["id_no"]: m["name"] for m in members}
    uplifts = [
        dict(u, name=u.get("name") or names.get(u.get("id_no"), ""), category_label=CATEGORY_LABELS.get(u["category"]))
        for u in amount.get("uplifts", [])
    ]
    return dict(amount, uplifts=uplifts)


def document_context(session: Session, case: Case, kind: str, data: dict, ctx: StepContext, version=None) -> dict:
    """The data printed on a document of ``kind`` for this case."""
    township = session.get(Township, case.township_code)
    members = data.get("members", [])
    context = {
        "case_no": case.case_no,
        "issued_on": ctx.today.isoformat(),
        "issuer": township.authority if township else case.township_code,
        "county_gov": township.county_gov if township else "",
        "applicant_name": data["applicant"]["name"],
        "applicant_id_masked": mask_id(data["applicant"]["id_no"]),
        "address": data.get("address", ""),
        "members": [
            {"name": m["name"], "relation_label": RELATION_LABELS.get(m.get("relation"), ""), "age": m.get("age")}
            for m in members
        ],
        "application_date": data.get("application_date"),
        "decision_date": data.get("decision_date"),
        "contact_phone": ctx.settings.get("dibao.contact_phone"),
    }
    if kind == "approval_notice":
        assessed = data.get("members_assessed", members)
        context.update(
            amount=_amount_for_print(data["amount"], assessed),
            start_month=data.get("start_month"),
            certificate_no=numbers.document_number(session, "ZS", case.township_code, ctx.today.year),
            review_cycle_label=REVIEW_CYCLE_LABELS.get(data.get("review_cycle"), ""),
            next_review_on=data.get("next_review_on"),
            members=[
                {"name": m["name"], "relation_label": RELATION_LABELS.get(m.get("relation"), ""), "age": m.get("age")}
                for m in assessed if m.get("counted", True)
            ],
        )
    elif kind == "missing_materials_notice":
        labels = _material_labels(version) if version is not None else {}
        context.update(
            missing=[{"code": code, "label": labels.get(code, code)} for code in data.get("missing_materials", [])],
            other_missing=data.get("other_missing") or "",
            received=[labels.get(code, code) for code in data.get("materials", [])],
            supplement_deadline=data["supplement_deadline"],
        )
    elif kind == "change_notice":
        context.update(_change_context(data))
    elif kind == "temp_assistance_notice":
        context.update(_temp_assistance_context(data))
    elif kind == "not_accepted_notice":
        context.update(reasons=[data.get("accept_note") or ""])
    else:
        context.update(reasons=data.get("refusal_reasons", []))
    return context


def _change_context(data: dict) -> dict:
    """What a review's notice says: the outcome, old → new monthly amount, from which month, and why."""
    outcome = data["review_outcome"]
    old = Decimal(data["previous_amount"]["total"])
    stopped = outcome in ("stop", "phase_out_end")
    new = Decimal("0.00") if stopped else old if outcome == "phase_out" else Decimal(data["amount"]["total"])
    return {
        "certificate_no": data["certificate_no"], "outcome": outcome, "outcome_label": OUTCOME_LABELS[outcome],
        "old_amount": str(old), "new_amount": str(new), "difference": str(new - old),
        "effective_month": data["effective_month"], "reason": data.get("change_reason", ""),
        "phase_out_until": data.get("phase_out_until"),
        "next_review_on": None if stopped else data.get("next_review_on"),
        "appeal": outcome in ("reduce", "stop", "phase_out", "phase_out_end"),
        "amount": None if stopped or outcome == "phase_out" else _amount_for_print(
            data["amount"], data.get("members_assessed", [])),
    }


TEMP_TYPE_LABELS = {"emergency": N_("急难型"), "expense": N_("支出型")}
PAID_BY_LABELS = {"township_reserve": N_("乡镇（街道）临时救助备用金"), "county": N_("区民政局")}


def _temp_assistance_context(data: dict) -> dict:
    """A temporary assistance decision: approved (amount, who pays, paid first?) or refused (reasons)."""
    approved = data["outcome"] == "approved"
    return {
        "outcome": data["outcome"], "outcome_label": "批准" if approved else "不予批准",
        "assistance_type_label": TEMP_TYPE_LABELS.get(data.get("assistance_type"), ""),
        "cause_detail": data.get("cause_detail", ""), "amount_requested": data.get("amount_requested"),
        "approved_amount": data.get("approved_amount") if approved else None,
        "paid_by_label": PAID_BY_LABELS.get(data.get("paid_by"), "") if approved else "",
        "paid_on": data.get("paid_on") if approved else None, "advance": bool(data.get("advance")) and approved,
        "reasons": [] if approved else [r for r in data.get("refusal_reasons", []) if r],
    }


def _material_labels(version) -> dict[str, str]:
    """Chinese labels of the materials, as the acceptance form of the case's version names them."""
    field = next(f for f in version.form("accept").fields if f["name"] == "materials")
    return {o["value"]: o["label"]["zh"] for o in field["options"]}


def issue(step, kind: str, data: dict, state_digest: str) -> Document:
    """Number, render, store and record one document, inside the current step's transaction.

    Args:
        step: the :class:`workflows.step.Step` in progress (its services render and store).
        kind: document kind, e.g. ``approval_notice``.
        data: the case data at the issuing step.
        state_digest: the digest of the state the step produced.
    """
    session, case, today = step.session, step.case, step.ctx.today
    context = document_context(session, case, kind, data, step.ctx, step.version)
    context["number"] = numbers.document_number(session, PREFIXES[kind], case.township_code, today.year)
    context["verify_code"] = numbers.verify_code()
    if step.services.public_url:
        context["verify_url"] = f"{step.services.public_url.rstrip('/')}/verify/{context['verify_code']}"
    pdf = step.services.render(kind, context)
    digest = step.services.store.put(pdf)
    event = append_event(
        session, case, "document_issued", at=step.at, actor=step.actor, state_digest=state_digest,
        data={"kind": kind, "number": context["number"], "sha256": digest, "context": context},
    )
    doc = Document(
        case_id=case.id, kind=kind, number=context["number"], verify_code=context["verify_code"], sha256=digest,
        size=len(pdf), issued_at=step.at, event_seq=event.seq, township_code=case.township_code,
    )
    session.add(doc)
    doc.context = context  # not stored on the row (the event has it): what the same step may still need
    return doc


def china_date(at: datetime) -> date:
    """The date in China of an aware datetime."""
    return at.astimezone(CHINA_TZ).date()


def mask_name(name: str) -> str:
    """A name as the notice board may show it: the surname and the last character (张*兰, 李*)."""
    if len(name) <= 1:
        return name
    return name[0] + "*" * max(len(name) - 2, 1) + (name[-1] if len(name) > 2 else "")


STANDARD_CLASS_LABELS = {"urban": "城市低保", "rural": "农村低保"}


def _notice_row(case: Case, data: dict, masked: bool) -> dict:
    name = data["applicant"]["name"]
    return {
        "case_no": case.case_no, "applicant_name": mask_name(name) if masked else name,
        "community": data.get("community", ""),
        "persons": int(data["amount"]["persons"]), "amount": data["amount"]["total"],
        "standard_class_label": STANDARD_CLASS_LABELS.get(data.get("standard_class"), ""),
    }


def issue_notice_list(session: Session, actor, batch_no: str, published: list, services) -> Document:
    """Render and record a township's 公示 list for the cases just published (one PDF, in each case's history).

    Args:
        published: (case, event, data) triples: the case's ``notice_published`` step and the case
            data it produced, which the list is printed from.
    """
    first_case = published[0][0]
    township = session.get(Township, first_case.township_code)
    ctx = StepContext(session, first_case.township_code, china_date(published[0][1].at))
    masked = bool(ctx.settings.get("dibao.notice.mask_names"))
    rows = [_notice_row(case, data, masked) for case, _event, data in published]
    notice = published[0][2]
    context = {
        "number": batch_no, "verify_code": numbers.verify_code(), "issued_on": ctx.today.isoformat(),
        "issuer": township.authority if township else first_case.township_code,
        "county_gov": township.county_gov if township else "", "batch_no": batch_no,
        "notice_start": notice["notice_start"], "notice_end": notice["notice_end"],
        "contact_phone": ctx.settings.get("dibao.contact_phone"), "mask_names": masked, "rows": rows,
        "totals": {"households": len(rows), "persons": sum(r["persons"] for r in rows),
                   "amount": str(sum((Decimal(r["amount"]) for r in rows), Decimal("0.00")))},
    }
    if services.public_url:
        context["verify_url"] = f"{services.public_url.rstrip('/')}/verify/{context['verify_code']}"
    pdf = services.render("public_notice_list", context)
    digest = services.store.put(pdf)
    at = published[0][1].at
    doc = Document(case_id=None, kind="public_notice_list", number=batch_no, verify_code=context["verify_code"],
                   sha256=digest, size=len(pdf), issued_at=at, event_seq=0, township_code=first_case.township_code)
    session.add(doc)
    # The first case's history keeps the whole printed context (to re-render and compare); the others
    # keep their own row and point at it, so a batch of n cases costs n rows, not n × n.
    first = None
    for (case, _event, _data), row in zip(published, rows, strict=True):
        snap = session.get(CaseSnapshot, case.id)
        data = {"kind": "public_notice_list", "number": batch_no, "sha256": digest, "row": row}
        if first is None:
            data["context"] = context
        else:
            data["context_in"] = first
        event = append_event(session, case, "document_issued", at=at, actor=actor, state_digest=snap.digest,
                             digest_version=snap.digest_version, data=data)
        first = first or {"case_no": case.case_no, "seq": event.seq}
    return doc
