"""P3 data: a database with N cases for the queue benchmarks, written in bulk (bench only).

The rows are what the steps would have left in the read models the queue page reads, written with
SQLAlchemy Core multi-row inserts (``executemany``; PostgreSQL batches them as multi-VALUES), not one
engine step per case: ``case_record`` (summary), ``human_task`` (one row per open user task),
``benefit`` (households approved), ``user_account`` (staff of every township, so tasks can be
claimed), ``township`` (about 100 units) and ``number_sequence``. Snapshots and event logs are
left out: no queue or count reads them (``queries``, ``readside``), and writing them would only
make the file bigger. The schema is made by the migrations, so every index of the head revision
is in place while the rows go in.

The shape, all from one seeded ``random.Random``:
- cases applied evenly over ``years`` before ``now``; the latest ~40 days are still open (one
  task, or waiting for 核对 / 公示), older ones finished (approved, refused, withdrawn, …);
- townships of uneven size (log-normal weights, σ 0.6): the busiest of 100 gets about 6 % of the cases;
- one case in five is a periodic review (``dibao_review``) of an earlier approval of the same
  township; approvals open a benefit (active, phasing out or ended);
- which user task a status means, its lane and title are read from the process definitions
  (the ``caseStatus`` properties in ``bpmn/``), not written down here;
- open tasks: due 3–10 days after they opened, a share overdue and escalated, 40 % claimed.
"""

import random
import time as timer
import uuid
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

from SpiffWorkflow.bpmn.specs.mixins.user_task import UserTask
from sqlalchemy import insert, select, text
from sqlalchemy.engine import Engine

from workflows import clock, demo, reference, rules, runtime, specs, store, users
from workflows.store import Benefit, Case, HumanTask, Sequence, Township, User

APPLICATION, REVIEW = "dibao_application", "dibao_review"
OPEN_DAYS = 40  # cases applied within this many days are still being processed
# (status, weight) of open and of finished cases, per process; a status with no user task waits.
OPEN = {APPLICATION: [("ACCEPTING", 10), ("WAITING_MATERIALS", 4), ("VERIFYING", 5), ("INVESTIGATING", 25),
                      ("REVIEWING", 15), ("DELIBERATING", 2), ("COUNTY_CHECK", 5), ("AWAITING_NOTICE", 9),
                      ("PUBLICIZING", 12), ("PENDING_DECISION", 13)],
        REVIEW: [("VERIFYING", 10), ("INVESTIGATING", 40), ("REVIEWING", 25), ("PENDING_DECISION", 20),
                 ("PHASING_OUT", 5)]}
DONE = {APPLICATION: [("APPROVED", 60), ("REFUSED", 18), ("NOT_ACCEPTED", 8), ("WITHDRAWN", 14)],
        REVIEW: [("REVIEWED", 85), ("EXITED", 15)]}


@dataclass
class _World:
    """What the rows refer to: townships, staff by (role, township), process versions, the task specs."""

    rng: random.Random
    now: datetime
    townships: list[str]
    weights: list[float]
    staff: dict[tuple[str, str], list[int]]
    versions: dict[str, str]
    tasks: dict[tuple[str, str], list]  # (process, status) → user task specs
    benefits: dict[str, list[int]] = field(default_factory=dict)  # township → benefit ids written so far
    numbers: dict[str, int] = field(default_factory=dict)  # number_sequence


def _townships(session, wanted: int) -> list[str]:
    """The reference units plus synthetic ones of the same county, ``wanted`` in all."""
    reference.load(session)
    have = list(session.scalars(select(Township.code).order_by(Township.code)))
    county = session.get(Township, have[0])
    for n in range(max(0, wanted - len(have))):
        code = f"{county.county_code}{300 + n:03d}"
        session.add(Township(code=code, name=f"基准测试{n + 1:03d}街道", kind="street", county_code=county.county_code,
                             county_name=county.county_name, county_gov=county.county_gov,
                             valid_from=date(2020, 6, 30)))
        have.append(code)
    session.flush()
    return have


def _staff(session, codes: list[str]) -> dict[tuple[str, str], list[int]]:
    """The demo accounts of every township and the county (those missing; one password hash, bulk-inserted)."""
    hashed = users.hash_password(demo.DEMO_PASSWORD)
    rows = [{"username": demo.username(prefix, code), "display_name": f"{code}{label}", "role": role,
             "township_code": code, "password_hash": hashed, "active": True, "failed_logins": 0,
             "created_at": store.utcnow()}
            for code in codes for prefix, (role, label) in demo.ACCOUNTS.items()]
    rows.append({**rows[0], "username": "auditor", "display_name": "区民政局审计员", "role": "county_auditor",
                 "township_code": None})
    have = set(session.scalars(select(User.username)))
    if missing := [row for row in rows if row["username"] not in have]:
        session.execute(insert(User), missing)
    staff: dict[tuple[str, str], list[int]] = {}
    for user in session.scalars(select(User)):
        key = (user.role, user.township_code if user.role != "county_auditor" else "")
        staff.setdefault(key, []).append(user.id)
    return staff


def _task_specs(version) -> dict[str, list]:
    """caseStatus → the user tasks that show it, from the process definition."""
    found: dict[str, list] = {}
    for spec in version.spec.task_specs.values():
        status = runtime.task_properties(spec).get("caseStatus")
        if status and isinstance(spec, UserTask):
            found.setdefault(status, []).append(spec)
    return found


def _world(session, townships: int, seed: int, now: datetime) -> _World:
    rng = random.Random(seed)
    codes = _townships(session, townships)
    versions, tasks = {}, {}
    for process in (APPLICATION, REVIEW):
        version = specs.current_version(session, process)
        versions[process] = version.hash
        by_status = _task_specs(version)
        known = {s for s, _ in OPEN[process] + DONE[process]}
        statuses = {runtime.task_properties(t).get("caseStatus") for t in version.spec.task_specs.values()}
        assert known <= statuses, f"statuses not in {process}: {known - statuses}"
        tasks.update({(process, status): specs_ for status, specs_ in by_status.items()})
    weights = [rng.lognormvariate(0, 0.6) for _ in codes]
    return _World(rng, now, codes, weights, _staff(session, codes), versions, tasks)


def _pick(rng: random.Random, pairs: list[tuple[str, int]]) -> str:
    return rng.choices([p[0] for p in pairs], weights=[p[1] for p in pairs])[0]


def _number(world: _World, name: str) -> int:
    world.numbers[name] = world.numbers.get(name, 0) + 1
    return world.numbers[name]


def _applicant(rng: random.Random, today: date) -> tuple[str, str]:
    birth = today.replace(year=today.year - rng.randrange(20, 80), day=rng.randrange(1, 28))
    body = f"640104{birth:%Y%m%d}{rng.randrange(1000):03d}"
    name = rng.choice(demo.SURNAMES) + rng.choice(demo.GIVEN) + rng.choice(demo.GIVEN)
    return name, body + rules.check_character(body)


def _case(world: _World, case_id: int, applied: date) -> dict:
    rng, today = world.rng, world.now.date()
    township = rng.choices(world.townships, weights=world.weights)[0]
    process = REVIEW if rng.random() < 0.2 and world.benefits.get(township) else APPLICATION
    is_open = (today - applied).days < OPEN_DAYS
    status = _pick(rng, (OPEN if is_open else DONE)[process])
    name, id_no = _applicant(rng, today)
    decided = None if is_open else min(today, applied + timedelta(days=rng.randrange(10, 45)))
    return {
        "id": case_id, "case_no": f"{township}-{applied.year}-{_number(world, f'case:{township}:{applied.year}'):05d}",
        "process_id": process, "spec_hash": world.versions[process], "township_code": township, "status": status,
        "applicant_name": name, "applicant_id_no": id_no, "household_size": rng.randrange(1, 6),
        "amount_total": None, "applied_on": applied, "case_deadline": applied + timedelta(days=42),
        "decided_on": decided if status in ("APPROVED", "REFUSED", "REVIEWED", "EXITED") else None,
        "benefit_id": rng.choice(world.benefits[township]) if process == REVIEW else None,
        "subject_case_id": None, "received_by": None, "near_relative": rng.random() < 0.03,
        "deadline_extended": False, "objection_count": 0, "next_timer_at": None, "created_by_id":
        world.staff[("clerk", township)][0], "created_at": _at(applied), "updated_at": _at(decided or applied),
        "last_event_seq": rng.randrange(3, 20), "last_event_hash": f"{case_id:064x}", "version": 1,
    }


def _at(day: date) -> datetime:
    return datetime.combine(day, time(2, 0), UTC)


def _task(world: _World, case: dict) -> dict | None:
    """The open task of an open case at a user task, as ``readmodels.refresh_human_tasks`` writes it."""
    choices = world.tasks.get((case["process_id"], case["status"]))
    if not choices:
        return None
    rng, today = world.rng, world.now.date()
    spec = rng.choice(choices)
    opened = today - timedelta(days=rng.randrange(0, min(14, (today - case["applied_on"]).days) + 1))
    due = opened + timedelta(days=rng.randrange(3, 11))
    crew = world.staff[(spec.lane, "" if spec.lane == "county_auditor" else case["township_code"])]
    claimed = rng.random() < 0.4
    return {
        "id": str(uuid.UUID(int=rng.getrandbits(128), version=4)), "case_id": case["id"], "task_spec": spec.bpmn_id,
        "title": spec.bpmn_name or spec.bpmn_id, "role": spec.lane, "township_code": case["township_code"],
        "form": f"{case['process_id']}/{spec.bpmn_id}", "created_at": _at(opened), "due_on": due,
        "escalated_at": _at(due + timedelta(days=1)) if due < today else None,
        "claimed_by_id": rng.choice(crew) if claimed else None, "claimed_at": _at(opened) if claimed else None,
    }


def _benefit(world: _World, case: dict, benefit_id: int) -> dict:
    """The benefit an approval opened: still paid, phasing out, or ended by a later review."""
    rng, today = world.rng, world.now.date()
    granted = case["decided_on"]
    status = _pick(rng, [("ACTIVE", 70), ("PHASING_OUT", 3), ("TERMINATED", 27)])
    review_on = today + timedelta(days=rng.randrange(-10, 366)) if status != "TERMINATED" else \
        granted + timedelta(days=365)
    serial = _number(world, f"doc:ZS:{case['township_code']}:{granted.year}")
    return {
        "id": benefit_id, "case_id": case["id"], "township_code": case["township_code"],
        "certificate_no": f"ZS-{case['township_code']}-{granted.year}-{serial:06d}",
        "holder_name": case["applicant_name"], "holder_id_no": case["applicant_id_no"],
        "persons": case["household_size"], "amount": 380 * case["household_size"], "standard_class": "urban",
        "review_cycle": "yearly", "next_review_on": review_on, "status": status,
        "start_month": f"{granted:%Y-%m}", "end_month": None if status != "TERMINATED" else f"{review_on:%Y-%m}",
        "version": 1, "created_at": _at(granted),
    }


def _chunk(world: _World, first_id: int, count: int, total: int, counts: dict) -> dict[str, list]:
    """Rows of cases ``first_id`` … ``first_id + count - 1`` (of ``total``, applied evenly over the years)."""
    rows: dict[str, list] = {"case": [], "task": [], "benefit": []}
    today = world.now.date()
    for case_id in range(first_id, first_id + count):
        applied = today - timedelta(days=counts["days"] * (total - case_id) // total)
        case = _case(world, case_id, applied)
        rows["case"].append(case)
        task = _task(world, case) if (today - applied).days < OPEN_DAYS else None
        if task:
            rows["task"].append(task)
        if case["status"] == "APPROVED":
            counts["benefit"] += 1
            rows["benefit"].append(_benefit(world, case, counts["benefit"]))
    return rows


def _insert(engine: Engine, rows: dict[str, list]) -> None:
    with engine.begin() as conn:
        conn.execute(insert(Case), rows["case"])
        if rows["benefit"]:
            conn.execute(insert(Benefit), rows["benefit"])
        if rows["task"]:
            conn.execute(insert(HumanTask), rows["task"])


def _finish(engine: Engine, world: _World) -> None:
    """Number sequences at the numbers handed out; PostgreSQL id sequences past the ids written."""
    with engine.begin() as conn:
        conn.execute(insert(Sequence), [{"name": k, "value": v} for k, v in world.numbers.items()])
        if conn.dialect.name == "postgresql":
            for table in ("case_record", "benefit"):
                conn.execute(text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                                  f"(SELECT coalesce(max(id), 1) FROM {table}))"))
    # Planner statistics and (PostgreSQL) the visibility map, as autovacuum keeps them on a database in use.
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("VACUUM ANALYZE" if conn.dialect.name == "postgresql" else "ANALYZE"))


@dataclass
class Built:
    """What ``build`` wrote, and how long it took."""

    cases: int
    tasks: int
    benefits: int
    townships: int
    seconds: float
    now: datetime


def build(url: str, cases: int, *, townships: int = 100, years: int = 3, seed: int = 20261129,
          now: datetime | None = None, chunk: int = 20_000) -> Built:
    """Create the schema on an empty database at ``url`` and write ``cases`` cases in bulk.

    Args:
        url: SQLAlchemy URL of an empty database (SQLite file or PostgreSQL).
        cases: how many cases (applications and reviews, open and finished).
        townships: township units (the 15 of the reference data plus synthetic ones).
        years: the cases were applied for evenly over this many years before ``now``.
        seed: the random generator's seed (same seed, same rows).
        now: the moment the data ends at (default: the domain clock); measure at the same moment.
        chunk: cases per transaction.
    """
    t0 = timer.perf_counter()
    now = now or clock.now()
    engine = store.make_engine(url)
    try:
        store.create_schema(engine)
        with store.unit_of_work(store.make_session_factory(engine)) as sess:
            world = _world(sess, townships, seed, now)
        counts = {"benefit": 0, "task": 0, "days": 365 * years}
        chunk = min(chunk, max(500, cases // 20))  # reviews need benefits of earlier chunks
        for first in range(1, cases + 1, chunk):
            rows = _chunk(world, first, min(chunk, cases + 1 - first), cases, counts)
            counts["task"] += len(rows["task"])
            _insert(engine, rows)
            for row in rows["benefit"]:  # reviews refer to benefits already written (keys are checked at once)
                world.benefits.setdefault(row["township_code"], []).append(row["id"])
        _finish(engine, world)
    finally:
        engine.dispose()
    return Built(cases, counts["task"], counts["benefit"], len(world.townships), timer.perf_counter() - t0, now)
