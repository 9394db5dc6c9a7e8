"""Demo data for a newcomer: users for every role and township, and cases at every stage.

Cases are made through the real engine (forms validated, BPMN executed, documents rendered) on
a clock set in the past, so what the demo shows is exactly what the product does.
"""

import random
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from . import clock, engine, procedure, queries, reserve, roster_process, rules, visit_cases
from .adapters.simulator import SimulatorAdapter, seed_simulator
from .store import Benefit, Case, OutsideCall, Township, User, unit_of_work
from .users import create_user

DEMO_PASSWORD = "dibao-demo-2026"
# Account prefix → (role, label); two investigators per township, because a home visit needs two.
ACCOUNTS = {
    "clerk": ("clerk", "窗口"), "investigator": ("investigator", "调查员"),
    "investigator2": ("investigator", "调查员（二）"), "reviewer": ("reviewer", "审核员"),
    "leader": ("leader", "分管领导"),
}
STAGES = ("ACCEPTING", "WAITING_MATERIALS", "INVESTIGATING", "REVIEWING", "AWAITING_NOTICE", "PUBLICIZING",
          "PENDING_DECISION", "APPROVED", "REFUSED", "NOT_ACCEPTED", "WITHDRAWN")
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍红建国海燕文春梅晓东志宏小龙慧"


def username(role: str, township_code: str) -> str:
    """Demo account name, e.g. clerk-001 for 640104001."""
    return f"{role}-{township_code[-3:]}"


def create_users(session: Session) -> int:
    """One account per township role and township, plus a county auditor and an admin."""
    made = 0
    for township in session.scalars(select(Township).order_by(Township.code)):
        for prefix, (role, label) in ACCOUNTS.items():
            name = username(prefix, township.code)
            if session.scalars(select(User).where(User.username == name)).first() is None:
                create_user(session, name, DEMO_PASSWORD, role, township.code, f"{township.name}{label}")
                made += 1
    for name, role, label in (("auditor", "county_auditor", "兴庆区民政局审计员"), ("admin", "admin", "系统管理员")):
        if session.scalars(select(User).where(User.username == name)).first() is None:
            create_user(session, name, DEMO_PASSWORD, role, None, label)
            made += 1
    return made


def _id_number(rng: random.Random, birth: datetime, female: bool) -> str:
    seq = rng.randrange(0, 50) * 2 + (0 if female else 1)
    body = f"640104{birth:%Y%m%d}{rng.randrange(10):01d}{seq:02d}"
    return body + rules.check_character(body)


def _member(rng: random.Random, relation: str, age: int, income: int, today) -> dict:
    female = rng.random() < 0.5
    birth = datetime(today.year - age, rng.randrange(1, 13), rng.randrange(1, 28))
    return {
        "name": rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2)))),
        "id_no": _id_number(rng, birth, female), "relation": relation, "monthly_income": str(income),
        "disability_level": rng.choice(("0", "0", "0", "1", "4")), "disability_kind": "",
        "serious_illness": rng.random() < 0.15,
    }


def household(rng: random.Random, today, rich: bool = False, township: str = "640104001") -> dict:
    """A registration submission for a plausible household."""
    income = rng.choice((0, 200, 300, 400)) * (4 if rich else 1)
    members = [_member(rng, "self", rng.randrange(35, 75), income, today)]
    others = (("spouse", rng.randrange(35, 70)), ("child", rng.randrange(3, 17)))
    for relation, age in others[: rng.randrange(0, 3)]:
        members.append(_member(rng, relation, age, 0 if relation == "child" else rng.choice((0, 200)), today))
    for m in members:
        if m["disability_level"] != "0":
            m["disability_kind"] = "physical"
    entrusted = rng.random() < 0.15
    return {
        "applicant_phone": f"139{rng.randrange(10**8):08d}",
        "address": f"兴庆区{rng.choice('东西南北')}苑小区{rng.randrange(1, 30)}号楼",
        "hukou_address": "", "responsible_township": township, "residence_basis": "hukou", "residence_proof_note": "",
        "channel": "committee" if entrusted else "self", "agent_name": "社区居委会" if entrusted else "",
        "entrustment_ref": f"委托书{today:%Y%m%d}-{rng.randrange(100):02d}" if entrusted else "",
        "household_type": "family", "standard_class": "urban", "reason": "家庭成员患病、无稳定收入，生活困难。",
        "near_relative_declared": False, "near_relative_details": "", "members": members,
    }


def _verified(m: dict) -> dict:
    return {
        "excluded": False, "exclusion_reason": "", "wage_income": m["monthly_income"], "business_income": "",
        "property_income": "", "transfer_income": "", "excluded_income": "", "labor_capacity": "partial",
        "disability_level": m["disability_level"], "disability_kind": m["disability_kind"],
        "serious_illness": m["serious_illness"],
    }


def answers(task_spec: str, target: str, data: dict) -> dict:
    """What the demo's staff answer at a task, steering towards ``target``."""
    members, refuse = data.get("members", []), target == "REFUSED" or data.get("eligible") is False
    required = data.get("required_materials", [])
    decision = {"NOT_ACCEPTED": "not_accept", "WAITING_MATERIALS": "incomplete", "WITHDRAWN": "incomplete"}
    return {
        "accept": {"materials": required[:-1] if target in decision and target != "NOT_ACCEPTED" else required,
                   "accept_decision": decision.get(target, "accept") if "supplement_decision" not in data else "accept",
                   "other_missing": "", "accept_note": "申请人户籍不在本辖区，已告知向户籍地申请。"},
        "supplement": {"materials_supplied": data.get("missing_materials", []), "supplement_note": "",
                       "supplement_decision": "withdrawn" if target == "WITHDRAWN" else "supplied"},
        "investigate": {"visit_date": clock.today().isoformat(), "members_verified": [_verified(m) for m in members],
                        "financial_assets": "2000.00", "homes": 0, "commercial_property": False,
                        "has_vehicle": target == "REFUSED", "has_business": False, "medical_expense": "",
                        "education_expense": "", "housing_type": "rented", "housing_area": 50,
                        "durable_goods": "电视机、冰箱", "findings": "入户核实，家庭情况与申报一致。",
                        "neighbours": [{"neighbour": "邻居王某", "relation": "同楼邻居", "statement": "情况属实。"}]},
        "cosign": {"cosign_present": True, "cosign_decision": "confirm", "cosign_comment": ""},
        "review": {"review_opinion": "propose_refuse" if refuse else "propose_approve",
                   "review_comment": "经初审，材料真实。"},
        "county_check": {"county_visit_date": clock.today().isoformat(), "county_result": "agree",
                         "county_findings": "入户核查属实。"},
        "leader": {"leader_decision": "reject" if refuse else "approve", "meeting_ref": "2026年第3次集体研究",
                   "leader_comment": "家庭拥有机动车辆。" if refuse else ""},
    }[task_spec]


def _worker(session: Session, task_role: str, case: Case) -> User:
    prefix = "investigator2" if task_role == "cosign" else None
    return session.scalars(select(User).where(User.username == _account(case, task_role, prefix))).one()


def _account(case: Case, role: str, prefix: str | None) -> str:
    if role == "county_auditor":
        return "auditor"
    return username(prefix or role, case.township_code)


def advance(factory: sessionmaker, services, case_no: str, target: str, at: datetime, adapter_for=None) -> datetime:
    """Move a case a day per step until it reaches ``target`` or waits for a batch, a timer or an answer.

    Tasks are answered by the township's demo accounts (the second investigator signs the visit);
    the 核对 is answered through ``adapter_for(session)`` (the local simulator by default).
    """
    adapter_for = adapter_for or SimulatorAdapter
    while True:
        with unit_of_work(factory) as sess, clock.frozen(at):
            case = sess.scalars(select(Case).where(Case.case_no == case_no)).one()
            if case.status == target or not case.is_active or case.status in ("PUBLICIZING", "AWAITING_NOTICE"):
                return at
            if case.status == "VERIFYING":
                call_id = sess.scalars(select(OutsideCall.id).where(OutsideCall.case_id == case.id)).first()
                procedure.run_call(sess, call_id, adapter_for(sess), services)
            else:
                task = queries.case_open_tasks(sess, case)[0]
                actor = _worker(sess, task.role if task.task_spec != "cosign" else "cosign", case)
                data = queries.task_data(sess, task)
                engine.complete_task(sess, actor, task.id, answers(task.task_spec, target, data), services)
        at += timedelta(days=1)


PUBLISHED = ("PUBLICIZING", "PENDING_DECISION", "APPROVED")
MUST_STAY_ELIGIBLE = ("AWAITING_NOTICE", *PUBLISHED)


def _publish_and_finish(factory, services, case_no: str, target: str, at: datetime) -> None:
    with unit_of_work(factory) as sess, clock.frozen(at):
        case = sess.scalars(select(Case).where(Case.case_no == case_no)).one()
        if case.status != "AWAITING_NOTICE" or target not in PUBLISHED:
            return
        reviewer = sess.scalars(select(User).where(User.username == username("reviewer", case.township_code))).one()
        procedure.publish_notice_batch(sess, reviewer, services)
    if target == "PUBLICIZING":
        return
    with unit_of_work(factory) as sess, clock.frozen(at + timedelta(days=8)):
        engine.fire_timers(sess, sess.scalars(select(Case.id).where(Case.case_no == case_no)).one(), services)
    if target == "APPROVED":
        advance(factory, services, case_no, target, at + timedelta(days=9))


def seed_cases(factory: sessionmaker, services, n: int, seed: int = 2026) -> dict[str, int]:
    """Create ``n`` cases spread over the stages (skipped if cases exist); returns counts by status.

    Cases to be published come first, so a later batch never sweeps up a case meant to stay waiting.
    """
    with unit_of_work(factory) as sess:
        if sess.scalar(select(func.count()).select_from(Case)):
            return {}
        towns = [t.code for t in sess.scalars(select(Township).order_by(Township.code))]
    rng, now = random.Random(seed), clock.now()
    plan = [(STAGES[i % len(STAGES)], towns[0] if i < len(STAGES) else towns[i % len(towns)], i) for i in range(n)]
    plan.sort(key=lambda p: p[0] not in PUBLISHED)
    for target, town, i in plan:
        at = now - timedelta(days=5 if target == "PUBLICIZING" else 30 - i % 5)
        sub = household(rng, at.date(), rich=target == "REFUSED", township=town)
        with unit_of_work(factory) as sess, clock.frozen(at):
            if target not in MUST_STAY_ELIGIBLE:  # others may own a car, a business, savings… as found by 核对
                seed_simulator(sess, sub["members"], rng)
            clerk = sess.scalars(select(User).where(User.username == username("clerk", town))).one()
            case_no = engine.start_case(sess, clerk, sub, services).case.case_no
        at = advance(factory, services, case_no, target, at + timedelta(hours=2))
        _publish_and_finish(factory, services, case_no, target, at)
    _seed_reserves(factory, towns)
    seed_visits(factory, services, towns)
    with unit_of_work(factory) as sess:
        return dict(sess.execute(select(Case.status, func.count()).group_by(Case.status)).all())


def _seed_reserves(factory: sessionmaker, towns: list[str]) -> None:
    """Each township's 临时救助 reserve gets an opening deposit."""
    with unit_of_work(factory) as sess:
        for town in towns:
            leader = sess.scalars(select(User).where(User.username == username("leader", town))).one()
            reserve.deposit(sess, leader, town, "20000.00", "演示：年初拨付乡镇临时救助备用金")


def seed_visits(factory: sessionmaker, services, towns: list[str]) -> int:
    """探访: key people on the register become visit targets and get this month's visit case (as the worker's
    daily pass does), the first township's clerk registers an elderly man living alone by hand (his visit is
    left in the investigators' queue), and its investigator records the first visit due. Returns the cases
    started."""
    started = sum(visit_cases.schedule_township(factory, town, services)["started"] for town in towns)
    with unit_of_work(factory) as sess:
        clerk = sess.scalars(select(User).where(User.username == username("clerk", towns[0]))).one()
        alone = {"id_no": _id_number(random.Random(10), datetime(1941, 3, 8), False), "name": "马长福",
                 "category": "elderly", "note": "社区报告：孤寡老人，独居，子女均在外地。"}
        visit_cases.register_target(sess, clerk, towns[0], alone, services)
        started += 1
    with unit_of_work(factory) as sess:
        due = visit_cases.month_view(sess, towns[0], rules.month_of(clock.today()))["due"]
        if due:
            investigator = sess.scalars(select(User).where(User.username == username("investigator", towns[0]))).one()
            visit = {"visited_on": clock.today().isoformat(), "method": "home",
                     "notes": "入户探访，老人身体尚好，生活用品充足。", "change_found": False, "change_detail": ""}
            engine.complete_task(sess, investigator, due[0].task.id, visit, services)
    return started


def seed_rosters(factory: sessionmaker, services) -> list[str]:
    """The first township's payment rosters, through their process (skipped if there are roster cases).

    The first month its households are paid is drawn up by its reviewer and approved by its leader
    (issued: Excel and PDF); the month after, if it may be drawn up yet, waits for the leader's approval.

    Returns:
        The roster cases made, oldest first.
    """
    with unit_of_work(factory) as sess:
        if sess.scalars(select(Case.id).where(Case.process_id == roster_process.PROCESS)).first():
            return []
        town = sess.scalars(select(Township.code).order_by(Township.code)).first()
        first = sess.scalar(select(func.min(Benefit.start_month)).where(Benefit.township_code == town))
    latest = rules.shift_month(rules.month_of(clock.today()), 1)
    months = [m for m in (first, first and rules.shift_month(first, 1)) if m and m <= latest]
    made = []
    for month in months:
        with unit_of_work(factory) as sess:
            reviewer = sess.scalars(select(User).where(User.username == username("reviewer", town))).one()
            case = roster_process.start(sess, reviewer, {"month": month, "roster_confirm": True}, services).case
            made.append(case.case_no)
        if month != first:
            continue  # left in the leader's queue
        with unit_of_work(factory) as sess:
            (task,) = queries.case_open_tasks(sess, sess.get(Case, case.id))
            leader = sess.scalars(select(User).where(User.username == username("leader", town))).one()
            engine.complete_task(sess, leader, task.id, {"roster_decision": "approve", "roster_comment": ""}, services)
    return made

