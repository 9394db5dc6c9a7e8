"""Demo data for a newcomer: users for every role and township, and cases at every stage.

Cases are made through the real engine (forms validated, BPMN executed, documents rendered) on
a clock set in the past, so what the demo shows is exactly what the product does.
"""

import random
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from . import clock, engine, queries, rules
from .store import Case, Township, User, unit_of_work
from .users import create_user

DEMO_PASSWORD = "dibao-demo-2026"
ROLE_LABELS = {"clerk": "窗口", "investigator": "调查员", "reviewer": "审核员", "leader": "分管领导"}
STAGES = ("ACCEPTING", "INVESTIGATING", "REVIEWING", "PENDING_DECISION", "PUBLICIZING", "APPROVED",
          "REFUSED", "NOT_ACCEPTED")
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍红建国海燕文春梅晓东志宏小龙慧"


def username(role: str, township_code: str) -> str:
    """Demo account name, e.g. clerk-001 for 640104001."""
    return f"{role}-{township_code[-3:]}"


def create_users(session: Session) -> int:
    """One account per township role and township, plus a county auditor and an admin."""
    made = 0
    for township in session.scalars(select(Township).order_by(Township.code)):
        for role, label in ROLE_LABELS.items():
            name = username(role, township.code)
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


def household(rng: random.Random, today, rich: bool = False) -> dict:
    """A registration submission for a plausible household."""
    income = rng.choice((0, 200, 300, 400)) * (4 if rich else 1)
    members = [_member(rng, "self", rng.randrange(35, 75), income, today)]
    others = (("spouse", rng.randrange(35, 70)), ("child", rng.randrange(3, 17)))
    for relation, age in others[: rng.randrange(0, 3)]:
        members.append(_member(rng, relation, age, 0 if relation == "child" else rng.choice((0, 200)), today))
    for m in members:
        if m["disability_level"] != "0":
            m["disability_kind"] = "physical"
    return {
        "applicant_phone": f"139{rng.randrange(10**8):08d}",
        "address": f"兴庆区{rng.choice('东西南北')}苑小区{rng.randrange(1, 30)}号楼",
        "hukou_address": "", "standard_class": "urban", "reason": "家庭成员患病、无稳定收入，生活困难。",
        "members": members,
    }


def _verified(m: dict) -> dict:
    keys = ("monthly_income", "disability_level", "disability_kind", "serious_illness")
    return {k: m[k] for k in keys}


def _answers(task_spec: str, target: str, members: list) -> dict:
    refuse = target == "REFUSED"
    return {
        "accept": {"materials": ["application_form", "hukou_book", "id_cards", "income_declaration", "authorization"],
                   "accept_decision": "not_accept" if target == "NOT_ACCEPTED" else "accept",
                   "accept_note": "申请人户籍不在本辖区，已告知向户籍地申请。" if target == "NOT_ACCEPTED" else ""},
        "investigate": {"visit_date": clock.today().isoformat(), "second_investigator": "马丽",
                        "members_verified": [_verified(m) for m in members],
                        "financial_assets": "2000.00", "has_vehicle": refuse, "has_business": False,
                        "housing": "租住两居室", "findings": "入户核实，家庭情况与申报一致。"},
        "review": {"review_opinion": "disagree" if refuse else "agree", "review_comment": "经初审，材料真实。"},
        "leader": {"leader_decision": "reject" if refuse else "approve", "meeting_ref": "2026年第3次集体研究",
                   "leader_comment": "家庭拥有机动车辆。" if refuse else ""},
    }[task_spec]


def _advance(factory: sessionmaker, services, case_no: str, target: str, members: list, at: datetime) -> datetime:
    """Complete tasks, a day apart, until the case reaches ``target`` or waits on a timer."""
    while True:
        with unit_of_work(factory) as sess:
            case = sess.scalars(select(Case).where(Case.case_no == case_no)).one()
            if case.status == target or not case.is_active or case.status == "PUBLICIZING":
                return at
            task = queries.case_open_tasks(sess, case)[0]
            actor = sess.scalars(select(User).where(User.username == username(task.role, case.township_code))).one()
            with clock.frozen(at):
                engine.complete_task(sess, actor, task.id, _answers(task.task_spec, target, members), services)
        at += timedelta(days=1)


def seed_cases(factory: sessionmaker, services, n: int, seed: int = 2026) -> dict[str, int]:
    """Create ``n`` cases spread over the stages (skipped if cases exist); returns counts by status."""
    with unit_of_work(factory) as sess:
        if sess.scalar(select(func.count()).select_from(Case)):
            return {}
        towns = [t.code for t in sess.scalars(select(Township).order_by(Township.code))]
    rng, now = random.Random(seed), clock.now()
    for i in range(n):
        target = STAGES[i % len(STAGES)]
        town = towns[0] if i < len(STAGES) else towns[i % len(towns)]
        at = now - timedelta(days=5 if target == "PUBLICIZING" else 20 - i % 5)
        sub = household(rng, at.date(), rich=target == "REFUSED")
        with unit_of_work(factory) as sess, clock.frozen(at):
            clerk = sess.scalars(select(User).where(User.username == username("clerk", town))).one()
            case_no = engine.start_case(sess, clerk, sub, services).case.case_no
        at = _advance(factory, services, case_no, target, sub["members"], at + timedelta(hours=2))
        if target == "APPROVED":
            with unit_of_work(factory) as sess, clock.frozen(at + timedelta(days=8)):
                case_id = sess.scalars(select(Case.id).where(Case.case_no == case_no)).one()
                engine.fire_timers(sess, case_id, services)
    with unit_of_work(factory) as sess:
        return dict(sess.execute(select(Case.status, func.count()).group_by(Case.status)).all())
