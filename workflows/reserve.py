"""The township reserve fund (乡镇临时救助备用金, 银兴党办发〔2020〕38号 item 9): deposits and payments.

Money moves only through :func:`deposit`, :func:`refund` and :func:`pay`, each inside the caller's
transaction. Each locks the township's :class:`ReserveAccount` row first (``SELECT … FOR UPDATE``
on PostgreSQL; on SQLite the row's optimistic ``version`` makes the later of two racing writers
fail), computes the new balance from the locked row, refuses a payment the balance cannot cover,
and appends a :class:`ReserveEntry` with the balance after it. The database's CHECK constraints
(``balance >= 0``, ``balance_after >= 0``) are the last guard: the balance can never go negative.

A 先行救助 payment is written by the process step that pays (BPMN task property ``reserve="pay"``,
see :func:`apply`), so a refused payment refuses the whole step and nothing is half done.
"""

from decimal import Decimal, InvalidOperation

from sqlalchemy import select
from sqlalchemy.orm import Session

from . import clock
from .errors import Forbidden, Invalid, NotFound
from .i18n import N_
from .store import ReserveAccount, ReserveEntry, Township, User
from .store.reserve import DEPOSIT, PAYMENT, REFUND

DEPOSIT_ROLES = ("leader",)
VIEW_ROLES = ("leader", "reviewer", "county_auditor", "admin")
_CENT = Decimal("0.01")


def _money(amount, field: str = "amount") -> Decimal:
    try:
        value = Decimal(str(amount)).quantize(_CENT)
    except (InvalidOperation, ValueError):
        value = None
    if value is None or not value.is_finite() or value <= 0:
        raise Invalid("金额应为大于 0 的数，最多两位小数", "The amount must be positive", {field: N_("金额应大于 0")})
    return value


def _locked(session: Session, township_code: str, create: bool = False) -> ReserveAccount | None:
    """The township's account row, locked for the rest of the transaction (read afresh)."""
    query = (select(ReserveAccount).where(ReserveAccount.township_code == township_code)
             .with_for_update().execution_options(populate_existing=True))
    account = session.scalars(query).first()
    if account is None and create:
        if session.get(Township, township_code) is None:
            raise NotFound("没有该乡镇（街道）", "No such township")
        account = ReserveAccount(township_code=township_code, balance=Decimal("0.00"), updated_at=clock.now())
        session.add(account)
        session.flush()
    return account


def balance(session: Session, township_code: str) -> Decimal:
    """The township's reserve balance now (0.00 before the first deposit)."""
    value = session.scalar(select(ReserveAccount.balance).where(ReserveAccount.township_code == township_code))
    return Decimal(value if value is not None else 0).quantize(_CENT)


def _move(session: Session, account: ReserveAccount, kind: str, amount: Decimal, actor: User, *,
          case_id: int | None = None, event_seq: int | None = None, note: str = "") -> ReserveEntry:
    at = clock.now()
    after = (Decimal(account.balance) + (-amount if kind == PAYMENT else amount)).quantize(_CENT)
    account.balance, account.updated_at = after, at
    entry = ReserveEntry(township_code=account.township_code, at=at, kind=kind, amount=amount, balance_after=after,
                         case_id=case_id, event_seq=event_seq, by_id=actor.id, note=note or "")
    session.add(entry)
    session.flush()
    return entry


def check_can_deposit(user: User, township_code: str) -> None:
    """Raise Forbidden unless ``user`` is a leader of the township (who funds its reserve)."""
    if user.role in DEPOSIT_ROLES and user.township_code == township_code:
        return
    raise Forbidden("只有本乡镇（街道）分管领导可以拨入或退回备用金",
                    "Only the township's leader moves money into the reserve")


def deposit(session: Session, actor: User, township_code: str, amount, note: str = "") -> ReserveEntry:
    """Pay money into the township's reserve (拨付备用金); the township's leader only."""
    check_can_deposit(actor, township_code)
    value = _money(amount)
    return _move(session, _locked(session, township_code, create=True), DEPOSIT, value, actor, note=note)


def refund(session: Session, actor: User, township_code: str, amount, case_id: int | None = None,
           note: str = "") -> ReserveEntry:
    """Money returned to the reserve (e.g. recovered from a case, or reimbursed); the township's leader only."""
    check_can_deposit(actor, township_code)
    value = _money(amount)
    return _move(session, _locked(session, township_code, create=True), REFUND, value, actor,
                 case_id=case_id, note=note)


def pay(session: Session, actor: User, township_code: str, amount, *, case_id: int | None = None,
        event_seq: int | None = None, note: str = "", field: str = "amount") -> ReserveEntry:
    """Pay from the township's reserve, or refuse: the balance never goes below zero.

    Raises:
        Invalid: the amount is not positive, or the balance cannot cover it (``details[field]`` says why).
    """
    value = _money(amount, field)
    account = _locked(session, township_code)
    held = Decimal(account.balance).quantize(_CENT) if account is not None else Decimal("0.00")
    if account is None or held < value:
        message = f"乡镇临时救助备用金余额不足：余额 {held} 元，不足支付 {value} 元。请先补充备用金或调整救助金额"
        raise Invalid(message, f"The reserve holds {held}, not enough to pay {value}", {field: message})
    return _move(session, account, PAYMENT, value, actor, case_id=case_id, event_seq=event_seq, note=note)


def account_for(session: Session, user: User, township_code: str) -> Township:
    """The township whose reserve ``user`` may read (its leaders and reviewers; county auditors, admins).

    Raises:
        NotFound: no such township, or another township's for township staff (it looks the same).
        Forbidden: a role that does not read reserves.
    """
    township = session.get(Township, township_code)
    if township is None or (user.is_township_staff and user.township_code != township_code):
        raise NotFound("没有该乡镇（街道），或您无权查看", "No such township, or not yours")
    if user.role not in VIEW_ROLES:
        raise Forbidden("您无权查看该乡镇（街道）的备用金台账", "You may not see this township's reserve ledger")
    return township


def balances(session: Session, user: User) -> dict[str, Decimal]:
    """The reserve balance of each township ``user`` may read (their own; every one for county roles), by code.

    Raises:
        Forbidden: a role that does not read reserves.
    """
    if user.role not in VIEW_ROLES:
        raise Forbidden("您无权查看备用金", "Your role may not see the reserve funds")
    codes = [user.township_code] if user.is_township_staff else list(
        session.scalars(select(Township.code).order_by(Township.code)))
    return {code: balance(session, code) for code in codes}


def entries(session: Session, user: User, township_code: str) -> list[ReserveEntry]:
    """The township's ledger, oldest first (its township staff who decide, county auditors, admins)."""
    if user.role not in VIEW_ROLES or (user.is_township_staff and user.township_code != township_code):
        raise Forbidden("您无权查看该乡镇（街道）的备用金台账", "You may not see this township's reserve ledger")
    return list(session.scalars(select(ReserveEntry).where(ReserveEntry.township_code == township_code)
                                .order_by(ReserveEntry.id)))


def check_ledger(session: Session, township_code: str) -> list[str]:
    """What does not add up in a township's ledger (empty when every balance follows from the entries)."""
    problems, running = [], Decimal("0.00")
    rows = session.scalars(select(ReserveEntry).where(ReserveEntry.township_code == township_code)
                           .order_by(ReserveEntry.id).execution_options(populate_existing=True))
    for row in rows:
        running += -Decimal(row.amount) if row.kind == PAYMENT else Decimal(row.amount)
        if running != Decimal(row.balance_after) or running < 0:
            problems.append(f"entry {row.id}: balance after {row.balance_after}, the entries give {running}")
    if running != balance(session, township_code):
        problems.append(f"account balance {balance(session, township_code)}, the entries give {running}")
    return problems


def check_limit(rule: str, data: dict) -> None:
    """Refuse an amount above an authority limit (task property ``amountLimit="field<=limit_key"``).

    Both values are read from the task data: ``field`` is the amount the form set, ``limit_key``
    a limit computed from the settings when the case started (e.g. ``township_limit``).

    Raises:
        Invalid: the amount is over the limit (the message is on ``field``).
    """
    field, limit_key = (part.strip() for part in rule.split("<="))
    if data.get(field) in (None, ""):
        return  # not set on this path (e.g. a refusal)
    amount, limit = Decimal(str(data[field])), Decimal(str(data[limit_key]))
    if amount > limit:
        who = "乡镇（街道）审批权限" if limit_key == "township_limit" else "临时救助最高限额"
        message = f"金额 {amount:.2f} 元超过{who}（{limit:.2f} 元）"
        raise Invalid(message, f"{amount:.2f} is above the limit {limit:.2f}", {field: message})


def apply(step, effect: str, data: dict, event_seq: int) -> ReserveEntry | None:
    """Run the ``reserve`` task property reached in a step: ``pay`` pays ``approved_amount`` from the reserve."""
    if effect != "pay":
        raise ValueError(f"unknown reserve effect {effect!r}")
    note = f"{data.get('case_no', '')} {data['applicant']['name']} 临时救助先行支付"
    return pay(step.session, step.actor, step.case.township_code, data["approved_amount"], case_id=step.case.id,
               event_seq=event_seq, note=note, field="approved_amount")


__all__ = ["DEPOSIT", "PAYMENT", "REFUND", "account_for", "apply", "balance", "balances", "check_ledger", "check_limit",
           "deposit", "entries", "pay", "refund"]
