"""近亲属备案 and 回避: staff register their near relatives; nobody works on a case of their own household.

A member of staff may not act on a case (accept, investigate, review, decide, check, publish, record
an objection, attach a scan) when they themselves — their account's ``id_no`` — or one of the near
relatives registered for them is among the case's people (``case_member``; a spot check's people are
its subject case's). A registration counts for a case if it was in force at any time since the case
was registered: ending it later does not free its holder from cases already open. Accounts that carry
the same ``id_no`` are one person: a relative registered on one of them keeps every one of them away.

At registration (``engine.start_case``) a household member who is a member of staff of the responsible
township, or a relative one of them registered, makes the case a 近亲属 case even when the application
did not declare it (``near_relative_registered`` in the start data: the district checks it).

Who may do what with the register: everybody reads and keeps their own (registering, ending); an
administrator does so for anybody; a county auditor reads anybody's (the district checks the 近亲属
cases). A staff member's ``id_no`` is set by an administrator (also ``create-user --id-no``), or once by
the staff member while it is empty. Registrations are never edited or deleted, only ended (who and
when on the row); every setting of an ``id_no`` is written to the access log (``staff_id_no_set``).
"""

from datetime import datetime, time

from sqlalchemy import bindparam, func, or_, select
from sqlalchemy.orm import Session

from . import access_log, clock, rules
from .errors import Conflict, Forbidden, Invalid, NotFound
from .i18n import N_
from .store import AccessLog, Case, CaseMember, StaffRelative, User

ID_NO_SET = "staff_id_no_set"  # the access log's action for a staff member's ID number being set
NAME_MAX, REASON_MAX = 64, 200
# 宁民办〔2014〕51号 (DOMAIN.md §1.1): who counts as a near relative.
RELATIONS = {
    "spouse": N_("配偶"), "parent": N_("父母"), "spouse_parent": N_("配偶的父母"), "sibling": N_("兄弟姐妹"),
    "spouse_sibling": N_("配偶的兄弟姐妹"), "child": N_("子女"), "child_spouse": N_("子女的配偶"),
    "grandparent": N_("祖父母、外祖父母"), "grandchild": N_("孙子女、外孙子女"),
    "parent_sibling": N_("父母的兄弟姐妹"), "spouse_parent_sibling": N_("配偶父母的兄弟姐妹"),
    "step_or_adoptive": N_("有抚养关系的继父母、继子女、养父母、养子女"),
}


# -- the checks -------------------------------------------------------------------------------------


def involved(session: Session, user: User, case: Case) -> bool:
    """Whether ``user`` or a near relative registered for them is among the case's people (one indexed query).

    Args:
        case: The case acted on; a spot check stands for its subject case too.

    Returns:
        True when the user must stay away from the case (回避).
    """
    since = datetime.combine(case.applied_on, time(0), clock.CHINA_TZ)
    case_ids = [i for i in (case.id, case.subject_case_id) if i is not None]
    params = {"user_id": user.id, "since": since, "case_ids": case_ids}
    if user.id_no:
        params["id_no"] = user.id_no
    return session.scalars(_INVOLVED[bool(user.id_no)], params).first() is not None


def _involved_query(by_id_no: bool):
    """The query of :func:`involved` (built once per form: it runs at every step, issue 7 P4). The person behind
    the user is the account and, when it carries an ``id_no``, every other account with the same one."""
    account = User.id == bindparam("user_id")
    accounts = select(User.id).where(or_(account, User.id_no == bindparam("id_no")) if by_id_no else account)
    relatives = select(StaffRelative.id_no).where(
        StaffRelative.user_id.in_(accounts),
        or_(StaffRelative.ended_at.is_(None), StaffRelative.ended_at > bindparam("since")))
    people = CaseMember.id_no.in_(relatives)
    if by_id_no:
        people = or_(CaseMember.id_no == bindparam("id_no"), people)
    return select(CaseMember.case_id).where(CaseMember.case_id.in_(bindparam("case_ids", expanding=True)),
                                            people).limit(1)


_INVOLVED = {by_id_no: _involved_query(by_id_no) for by_id_no in (False, True)}


def staff_related(session: Session, township_code: str, id_nos: list[str]) -> bool:
    """Whether one of ``id_nos`` is an active member of staff of the township, or a relative one of them
    registered (in force now): the case is a 近亲属 case whether or not the application said so."""
    if not id_nos:
        return False
    staff = select(User.id).where(User.township_code == township_code, User.active.is_(True))
    own = select(User.id).where(User.township_code == township_code, User.active.is_(True), User.id_no.in_(id_nos))
    relative = select(StaffRelative.id).where(
        StaffRelative.id_no.in_(id_nos), StaffRelative.ended_at.is_(None), StaffRelative.user_id.in_(staff))
    return session.scalars(own.limit(1)).first() is not None or \
        session.scalars(relative.limit(1)).first() is not None


# -- who may keep whose register --------------------------------------------------------------------


def staff_for(session: Session, actor: User, user_id: int, *, manage: bool) -> User:
    """The account whose register ``actor`` reads (or keeps, with ``manage``).

    Raises:
        NotFound: no such account.
        Forbidden: another person's register, unless an administrator (or, to read, a county auditor).
    """
    owner = session.get(User, user_id)
    if owner is None:
        raise NotFound("没有该工作人员账号", "No such staff account")
    readers = ("admin",) if manage else ("admin", "county_auditor")
    if owner.id != actor.id and actor.role not in readers:
        raise Forbidden("只能查看和登记本人的近亲属备案", "You may only see and keep your own register")
    return owner


def _pair(locale: str, zh: str, en: str) -> str:
    return en if locale.startswith("en") else zh


def _parsed_id_no(text: str, locale: str) -> tuple[str | None, str | None]:
    """The normalised ID number and None, or None and the message saying what is wrong with it."""
    try:
        return rules.parse_id_number(str(text or ""), clock.today()).id_no, None
    except rules.InvalidIdNumber as err:
        return None, _pair(locale, err.message_zh, err.message_en)


def set_id_no(session: Session, actor: User, user_id: int, id_no: str, locale: str = "zh", *,
              channel: str = "web", remote_addr: str = "") -> User:
    """Set a staff member's 身份证号 (logged: who, when, whose — never the number itself).

    Raises:
        Forbidden: another person's account and not an administrator, or the actor's own number is set
            already (only an administrator changes it).
        Invalid: not a valid ID number.
    """
    owner = staff_for(session, actor, user_id, manage=True)
    if actor.role != "admin" and owner.id_no:
        raise Forbidden("身份证号码已登记，如需更正请联系系统管理员",
                        "Your ID number is registered; ask an administrator to correct it")
    number, problem = _parsed_id_no(id_no, locale)
    if problem:
        raise Invalid("身份证号码有误", "The ID number is not valid", {"id_no": problem})
    owner.id_no = number
    access_log.record(session, ID_NO_SET, user=actor, target=owner.username, remote_addr=remote_addr, channel=channel)
    session.flush()
    return owner


def _register_errors(session: Session, owner: User, values: dict, locale: str) -> tuple[str | None, dict]:
    number, problem = _parsed_id_no(values.get("id_no"), locale)
    errors = {"id_no": problem} if problem else {}
    name = str(values.get("name") or "").strip()
    if not name or len(name) > NAME_MAX:
        errors["name"] = _pair(locale, f"请填写姓名（不超过{NAME_MAX}字）", f"Enter the name (at most {NAME_MAX})")
    if values.get("relation") not in RELATIONS:
        errors["relation"] = _pair(locale, "请选择亲属关系", "Choose the relation")
    if number and number == owner.id_no:
        errors["id_no"] = _pair(locale, "这是本人的身份证号码，无须登记", "This is the staff member's own ID number")
    elif number and session.scalars(select(StaffRelative.id).where(
            StaffRelative.user_id == owner.id, StaffRelative.id_no == number,
            StaffRelative.ended_at.is_(None))).first():
        errors["id_no"] = _pair(locale, "该亲属已登记备案", "This relative is registered already")
    return number, errors


def register(session: Session, actor: User, user_id: int, values: dict, locale: str = "zh") -> StaffRelative:
    """Register a near relative of staff account ``user_id`` from now (``values``: id_no, name, relation).

    Raises:
        NotFound, Forbidden: see :func:`staff_for`.
        Invalid: a bad ID number, a missing name or relation, the staff member's own number, or a
            relative registered already.
    """
    owner = staff_for(session, actor, user_id, manage=True)
    number, errors = _register_errors(session, owner, values, locale)
    if errors:
        raise Invalid("近亲属备案信息有误，请按提示修改", "The registration has errors", errors)
    row = StaffRelative(user_id=owner.id, id_no=number, name=str(values["name"]).strip(),
                        relation=values["relation"], registered_at=clock.now(), registered_by_id=actor.id,
                        end_reason="")
    session.add(row)
    session.flush()
    return row


def registration_owner(session: Session, actor: User, relative_id: int) -> int:
    """The account a registration belongs to, if ``actor`` may keep that account's register.

    Raises:
        NotFound: no such registration. Forbidden: another person's, unless an administrator.
    """
    row = session.get(StaffRelative, relative_id)
    if row is None:
        raise NotFound("没有该近亲属备案记录", "No such registration")
    return staff_for(session, actor, row.user_id, manage=True).id


def end(session: Session, actor: User, relative_id: int, reason: str, locale: str = "zh") -> StaffRelative:
    """End a registration from now, with a reason (cases registered while it was in force stay barred).

    Raises:
        NotFound: no such registration (or not the actor's to see).
        Forbidden: another person's register, unless an administrator.
        Conflict: it has ended already.
        Invalid: no reason given.
    """
    registration_owner(session, actor, relative_id)
    row = session.get(StaffRelative, relative_id)
    if row.ended_at is not None:
        raise Conflict("该近亲属备案已结束", "This registration has ended already")
    reason = str(reason or "").strip()
    if not reason or len(reason) > REASON_MAX:
        raise Invalid("请填写结束原因", "Give the reason", {"end_reason": _pair(
            locale, f"请填写结束原因（不超过{REASON_MAX}字）", f"Give the reason (at most {REASON_MAX} characters)")})
    row.ended_at, row.ended_by_id, row.end_reason = clock.now(), actor.id, reason
    session.flush()
    return row


def register_of(session: Session, actor: User, user_id: int) -> dict:
    """One account's register for its page.

    Returns:
        ``owner``, ``active`` and ``ended`` registrations (newest first), ``staff`` (the accounts named
        as registering or ending, by id) and ``changes`` (the access-log rows of its ID number being set).
    """
    owner = staff_for(session, actor, user_id, manage=False)
    rows = list(session.scalars(select(StaffRelative).where(StaffRelative.user_id == owner.id)
                                .order_by(StaffRelative.registered_at.desc(), StaffRelative.id.desc())))
    ids = {r.registered_by_id for r in rows} | {r.ended_by_id for r in rows if r.ended_by_id}
    staff = {u.id: u for u in session.scalars(select(User).where(User.id.in_(ids)))} if ids else {}
    changes = list(session.scalars(select(AccessLog).where(
        AccessLog.action == ID_NO_SET, AccessLog.target == owner.username).order_by(AccessLog.at.desc())))
    return {"owner": owner, "active": [r for r in rows if r.ended_at is None],
            "ended": [r for r in rows if r.ended_at is not None], "staff": staff, "changes": changes}


def staff_list(session: Session, actor: User, township_code: str | None = None) -> list[tuple[User, int]]:
    """Every staff account (of one township, if given) with its number of registrations in force, for
    administrators and county auditors.

    Raises:
        Forbidden: any other role.
    """
    if actor.role not in ("admin", "county_auditor"):
        raise Forbidden("只有系统管理员和区民政局可以查看全部工作人员的近亲属备案",
                        "Only administrators and county auditors see every register")
    counts = (select(StaffRelative.user_id, func.count().label("n")).where(StaffRelative.ended_at.is_(None))
              .group_by(StaffRelative.user_id).subquery())
    query = (select(User, func.coalesce(counts.c.n, 0)).outerjoin(counts, counts.c.user_id == User.id)
             .order_by(User.township_code, User.username))
    if township_code:
        query = query.where(User.township_code == township_code)
    return [(user, n) for user, n in session.execute(query)]
