"""The monthly payment roster (发放花名册): every household paid in a month, for the bank.

``draft`` previews a township's month from the benefit register. A roster is issued through its
own process (``bpmn/payment_roster.bpmn``, ``workflows.roster_process``): drawn up by the township's
reviewer, approved by its leader, then written once by :func:`compose` — the rows, an Excel
workbook for the bank and a printed PDF, both stored by SHA-256. An issued roster is never changed
(``workflows.store.roster`` refuses it): a correction is paid on a later month's roster.
``reconcile`` compares an issued roster with the register, so a later change can never silently
rewrite what was paid.
"""

import re
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from . import benefits, numbers, roster_workbook, rules
from .documents import PREFIXES, STANDARD_CLASS_LABELS, DocumentStore, china_date
from .errors import Conflict, Forbidden, Invalid
from .store import Benefit, Document, PaymentRoster, PaymentRosterLine, Township, User
from .store.roster import IMMUTABLE_MESSAGE

KIND = "payment_roster"
PROCESS = "payment_roster"  # the roster's process (workflows.roster_process); its cases are rosters to read
WORK_ROLES = ("leader", "reviewer")  # the township's roles that draw up, approve and read its rosters
VIEW_ROLES = ("county_auditor", "admin")
_MONTH = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")
_CENT = Decimal("0.01")
LINE_COLUMNS = ("seq", "benefit_id", "certificate_no", "holder_name", "holder_id_masked", "persons", "amount",
                "standard_class")


def mask_id_for_bank(id_no: str) -> str:
    """An ID number as the roster prints it: the first 6 and last 4 characters (640104********0021)."""
    return id_no[:6] + "*" * (len(id_no) - 10) + id_no[-4:]


def check_can_view(user: User, township_code: str) -> None:
    """Raise Forbidden unless ``user`` may see the township's rosters: its leader or reviewer, county
    auditors and administrators (who read rosters; they neither draw them up nor approve them)."""
    if may_view(user, township_code):
        return
    raise Forbidden("只有本乡镇（街道）的分管领导、审核人员和区民政局可以查看发放花名册",
                    "Only the township's leader and reviewer and the district may see payment rosters")


def may_view(user: User, township_code: str | None = None) -> bool:
    """Whether ``user``'s role reads rosters (and their cases): the township's leader and reviewer
    (of ``township_code`` when given), county auditors and administrators."""
    if user.role in VIEW_ROLES:
        return True
    return user.role in WORK_ROLES and (township_code is None or user.township_code == township_code)


def check_month(month: str) -> None:
    """Raise Invalid unless ``month`` is a 'YYYY-MM' month."""
    if not isinstance(month, str) or not _MONTH.match(month):
        raise Invalid("发放月份格式应为 YYYY-MM", "The month must be YYYY-MM", {"month": "YYYY-MM"})


def draft(session: Session, township_code: str, month: str) -> list[dict]:
    """Preview a month's roster: each benefit of the township with an amount that month, nothing written.

    Returns:
        Line dicts in certificate-number order: ``seq``, ``benefit_id``, ``certificate_no``,
        ``holder_name``, ``holder_id_masked``, ``persons``, ``amount`` (Decimal),
        ``standard_class`` and ``standard_class_label``.
    """
    check_month(month)
    candidates = session.scalars(
        select(Benefit).where(Benefit.township_code == township_code, Benefit.start_month <= month)
    ).all()
    lines = []
    for benefit in candidates:
        due = benefits.amount_in_month(session, benefit, month)
        if due is None:
            continue
        amount, persons = due
        lines.append({
            "benefit_id": benefit.id, "certificate_no": benefit.certificate_no, "holder_name": benefit.holder_name,
            "holder_id_masked": mask_id_for_bank(benefit.holder_id_no), "persons": int(persons),
            "amount": Decimal(amount).quantize(_CENT), "standard_class": benefit.standard_class,
            "standard_class_label": STANDARD_CLASS_LABELS.get(benefit.standard_class, benefit.standard_class),
        })
    lines.sort(key=lambda line: line["certificate_no"])
    for seq, line in enumerate(lines, 1):
        line["seq"] = seq
    return lines


def totals(lines: list[dict]) -> dict:
    """Households, persons and amount (Decimal) of roster lines."""
    return {"households": len(lines), "persons": sum(int(line["persons"]) for line in lines),
            "amount": sum((Decimal(line["amount"]) for line in lines), Decimal("0.00"))}


def find(session: Session, township_code: str, month: str) -> PaymentRoster | None:
    """The township's issued roster for ``month``, if any."""
    return session.scalars(
        select(PaymentRoster).where(PaymentRoster.township_code == township_code, PaymentRoster.month == month)
    ).first()


def issued(session: Session, township_code: str) -> list[PaymentRoster]:
    """The township's issued rosters, newest month first."""
    return list(session.scalars(
        select(PaymentRoster).where(PaymentRoster.township_code == township_code).order_by(PaymentRoster.month.desc())
    ))


def check_issuable(session: Session, township_code: str, month: str, today: date) -> None:
    """Raise unless a roster for ``month`` may be drawn up today: a 'YYYY-MM' month, at most next
    month, and not issued yet for the township.

    Raises:
        Invalid: a malformed or too distant month. Conflict: the month was issued already.
    """
    check_month(month)
    latest = rules.shift_month(rules.month_of(today), 1)
    if month > latest:
        raise Invalid(f"只能生成{latest}及以前月份的花名册", f"Rosters can be issued up to {latest}",
                      {"month": latest})
    if find(session, township_code, month) is not None:
        raise Conflict(*IMMUTABLE_MESSAGE)


def compose(  # noqa: PLR0913 - who, where, which month, what, when, the services and who drew it up
    session: Session, actor: User, township_code: str, month: str, lines: list[dict], at: datetime, services,
    prepared_by: str = "",
) -> tuple[PaymentRoster, dict, bytes]:
    """The roster of ``lines`` (from :func:`draft`), not yet added: its row and lines, its workbook
    (stored), and the PDF with the context it was rendered from (the caller stores and records them).

    Args:
        actor: who issues it (the leader whose approval issues it).
        at: the moment of issue (the step's time).
        services: the step services (``render`` for the PDF, ``store`` for the workbook).
        prepared_by: who drew it up (printed on the PDF as 制表人).
    """
    sums = totals(lines)
    roster = PaymentRoster(
        township_code=township_code, month=month, issued_at=at, issued_by_id=actor.id,
        households=sums["households"], persons=sums["persons"], total=sums["amount"],
        pdf_number=numbers.document_number(session, PREFIXES[KIND], township_code, china_date(at).year),
        lines=[PaymentRosterLine(**{k: line[k] for k in LINE_COLUMNS}) for line in lines],
    )
    roster.xlsx_sha256 = services.store.put(workbook(session, roster), ".xlsx")
    context = document_context(session, roster, numbers.verify_code(), services.public_url, actor)
    if prepared_by:
        context["prepared_by"] = prepared_by
    return roster, context, services.render(KIND, context)


def _line_rows(roster: PaymentRoster) -> list[dict]:
    return [{
        "seq": line.seq, "certificate_no": line.certificate_no, "holder_name": line.holder_name,
        "holder_id_masked": line.holder_id_masked, "persons": line.persons,
        "amount": Decimal(line.amount).quantize(_CENT),
        "standard_class_label": STANDARD_CLASS_LABELS.get(line.standard_class, line.standard_class),
    } for line in sorted(roster.lines, key=lambda line: line.seq)]


def _roster_totals(roster: PaymentRoster) -> dict:
    return {"households": roster.households, "persons": roster.persons,
            "amount": Decimal(roster.total).quantize(_CENT)}


def workbook(session: Session, roster: PaymentRoster) -> bytes:
    """The roster's Excel workbook, built from its rows: the same roster always gives the same bytes."""
    township = session.get(Township, roster.township_code)
    head = {"township_name": township.name, "township_code": roster.township_code, "month": roster.month,
            "issued_on": china_date(roster.issued_at), "number": roster.pdf_number}
    return roster_workbook.workbook_bytes(head, _line_rows(roster), _roster_totals(roster))


def document_context(session: Session, roster: PaymentRoster, verify_code: str, public_url: str = "",
                     issuer: User | None = None) -> dict:
    """The data printed on the roster PDF, from its rows (so it can be rendered again and compared).

    Full ID numbers are never in it: only the masked ones of the lines.
    """
    township = session.get(Township, roster.township_code)
    issuer = issuer or session.get(User, roster.issued_by_id)
    sums = _roster_totals(roster)
    context = {
        "number": roster.pdf_number, "verify_code": verify_code, "issued_on": china_date(roster.issued_at).isoformat(),
        "issuer": township.authority, "township_name": township.name, "township_code": township.code,
        "month": roster.month, "issued_by": issuer.display_name if issuer else "", "xlsx_sha256": roster.xlsx_sha256,
        "rows": [dict(row, amount=f"{row['amount']:.2f}") for row in _line_rows(roster)],
        "totals": {"households": sums["households"], "persons": sums["persons"], "amount": f"{sums['amount']:.2f}"},
    }
    if public_url:
        context["verify_url"] = f"{public_url.rstrip('/')}/verify/{verify_code}"
    return context


def pdf_document(session: Session, roster: PaymentRoster) -> Document:
    """The Document row of the roster's PDF (its bytes: ``store.get(doc.sha256)``)."""
    return session.scalars(select(Document).where(Document.number == roster.pdf_number)).one()


def xlsx_bytes(session: Session, roster: PaymentRoster, store: DocumentStore) -> bytes:
    """The stored workbook of an issued roster, checked against the SHA-256 recorded in the database.

    Raises:
        DocumentIntegrityError: the file is missing or was changed.
    """
    digest = session.scalar(select(PaymentRoster.xlsx_sha256).where(PaymentRoster.id == roster.id))
    return store.get(digest, ".xlsx")


def reconcile(session: Session, roster: PaymentRoster) -> list[str]:
    """Check an issued roster against itself and the benefit register; returns the problems found.

    Checks that the totals are the sums of the lines, that each line's amount and persons are what
    the register says for that benefit and month, and that no household due that month is missing.
    Rows are read afresh from the database (an edit made outside the ORM is seen).
    """
    fresh = select(PaymentRoster).where(PaymentRoster.id == roster.id).execution_options(populate_existing=True)
    roster = session.scalars(fresh).one()
    lines = session.scalars(
        select(PaymentRosterLine).where(PaymentRosterLine.roster_id == roster.id)
        .order_by(PaymentRosterLine.seq).execution_options(populate_existing=True)
    ).all()
    problems = _total_problems(roster, lines)
    for line in lines:
        problems += _line_problems(session, roster.month, line)
    listed = {line.benefit_id for line in lines}
    problems += [
        f"{row['certificate_no']} {row['holder_name']}：该月应发 {row['amount']:.2f} 元，未列入花名册"
        for row in draft(session, roster.township_code, roster.month) if row["benefit_id"] not in listed
    ]
    return problems


def _total_problems(roster: PaymentRoster, lines: list[PaymentRosterLine]) -> list[str]:
    sums = totals([{"persons": line.persons, "amount": line.amount} for line in lines])
    problems = []
    if roster.households != sums["households"]:
        problems.append(f"合计户数 {roster.households} 与明细 {sums['households']} 户不一致")
    if roster.persons != sums["persons"]:
        problems.append(f"合计人数 {roster.persons} 与明细之和 {sums['persons']} 不一致")
    if Decimal(roster.total) != sums["amount"]:
        problems.append(f"合计金额 {Decimal(roster.total):.2f} 与明细之和 {sums['amount']:.2f} 不一致")
    return problems


def _line_problems(session: Session, month: str, line: PaymentRosterLine) -> list[str]:
    label = f"第{line.seq}行 {line.certificate_no} {line.holder_name}"
    benefit = session.get(Benefit, line.benefit_id)
    if benefit is None or benefit.certificate_no != line.certificate_no:
        return [f"{label}：低保证号与登记簿不符"]
    due = benefits.amount_in_month(session, benefit, month)
    if due is None:
        return [f"{label}：登记簿中该月无应发金额，花名册列 {Decimal(line.amount):.2f} 元"]
    amount, persons = due
    problems = []
    if Decimal(line.amount) != Decimal(amount):
        problems.append(f"{label}：花名册金额 {Decimal(line.amount):.2f} 元，登记簿该月应发 {Decimal(amount):.2f} 元")
    if line.persons != persons:
        problems.append(f"{label}：花名册保障人数 {line.persons}，登记簿该月为 {persons}")
    return problems
