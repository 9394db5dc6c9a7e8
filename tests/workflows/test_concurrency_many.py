"""Many users and workers on many cases at once: nothing lost, nothing done twice, every loser told "conflict".

Each round, every open human task is completed by several threads at once, a colleague claims it
and the leader unclaims it, objections race the end of the 公示, two reviewers publish the same
batch, the leader extends a case twice, and two timer passes and two outside-call passes run —
all started together. On PostgreSQL two child processes run every round's operations as well, on
their own threads (``tests/workflows/churn_child.py``). test_store_concurrency.py covers the
single races (counters, one timer); this is the mix, over many rounds.
"""

import random
from collections import Counter
from datetime import timedelta

import pytest
from sqlalchemy import event as sa_event
from sqlalchemy import select

from tests import drive
from tests.workflows import churn, consistency
from tests.workflows.churn_child import Child
from workflows import engine, procedure
from workflows.adapters.simulator import SimulatorAdapter
from workflows.store import OutsideCall, unit_of_work

CASES, ROUNDS, THREADS, CHILDREN = 8, 12, 6, 2


def _start_cases(factory, services, at) -> None:
    tap = churn.tap_for(factory)
    for n in range(CASES):
        assert churn.run_op(factory, services, tap, churn.start_op(n), at)["errors"] == []


def _rounds(factory, services, start, children: list[Child]) -> list[dict]:
    """Every round's operations, run by this process's threads and by each child at the same moment."""
    rng, tap, results = random.Random(8), churn.tap_for(factory), []
    for r in range(ROUNDS):
        at = start + timedelta(days=2 * (r + 1))  # two days a round: 公示 periods end, due times pass
        ops = churn.plan_round(factory, rng, copies=1 if children else 3)  # children repeat every operation
        for child in children:
            child.send({"at": at.isoformat(), "ops": ops})
        results += churn.run_parallel(factory, services, tap, ops, at, THREADS)
        for child in children:
            results += child.next()["results"]
    return results


def _check_outcomes(results: list[dict], before: dict, after: dict) -> Counter:
    """Every error is the engine's conflict; the events reported committed are exactly the new log."""
    errors = Counter(name for r in results for name, _ in r["errors"])
    assert set(errors) <= set(churn.CONFLICT_ERRORS), [r for r in results
                                                        if {e[0] for e in r["errors"]} - set(churn.CONFLICT_ERRORS)]
    reported = [(case_id, seq) for r in results for case_id, seq, *_ in r["events"]]
    assert len(reported) == len(set(reported)), "two steps committed the same event number"
    assert set(reported) == set(after) - set(before), "an event lost, or one nobody reported committing"
    for r in results:
        for case_id, seq, digest, kind, task_id in r["events"]:
            assert after[case_id, seq] == (digest, kind, task_id)
    done = Counter(r["op"]["task"] for r in results if r["op"]["kind"] == "complete" and not r["errors"])
    assert max(done.values()) == 1, "a human task was completed twice"
    logged = Counter(task for key, (_, kind, task) in after.items() if kind == "task_completed" and key not in before)
    assert logged == done
    new_kinds = Counter(kind for key, (_, kind, _) in after.items() if key not in before)
    assert sum(r["moved"] for r in results if r["op"]["kind"] == "calls") == new_kinds["outside_data_received"]
    assert sum(r["moved"] for r in results if r["op"]["kind"] == "timers") == new_kinds["timer_fired"]
    return errors


@pytest.mark.slow
def test_many_steps_at_once_lose_and_duplicate_nothing(db_url, factory, services, at_monday, tmp_path):
    _start_cases(factory, services, at_monday)
    before = consistency.log_of(factory)
    children = []
    if db_url.startswith("postgresql"):
        children = [Child("rounds", db_url, tmp_path, THREADS, seed, log=tmp_path / f"child{seed}.log")
                    for seed in range(CHILDREN)]
        assert all(child.next()["ready"] for child in children)
    try:
        results = _rounds(factory, services, at_monday, children)
    finally:
        assert all(child.finish() == 0 for child in children)
    errors = _check_outcomes(results, before, consistency.log_of(factory))
    assert errors["workflows.errors.Conflict"] > 0 and sum(errors.values()) > ROUNDS * CASES  # real contention
    # (the read-model checks below include what a case needs to go on: its open tasks, next timer, open calls)
    assert consistency.problems(factory, services) == []

    churn.drive_to_end(factory, services, at_monday + timedelta(days=2 * ROUNDS + 1))  # nothing was left stuck
    assert consistency.problems(factory, services) == []
    assert churn.open_work(factory) == (0, 0)


# The two faults the test above found, each pinned down on its own:


def test_a_worker_that_read_a_call_before_another_answered_it_leaves_it_done(factory, services, at_monday):
    """SQLite has no row locks: a second worker could read the call as due, then record "cancelled" over "done"."""
    drive.accepted(factory, services)  # waiting for its 核对
    late = factory()
    try:
        call = late.scalars(select(OutsideCall)).one()  # the second worker read it while it was due
        assert drive.run_calls(factory, services) == 1  # the first worker answers it
        assert procedure.run_call(late, call.id, SimulatorAdapter(late), services) is False
        late.commit()
    finally:
        late.close()
    with unit_of_work(factory) as sess:
        assert sess.scalars(select(OutsideCall.status)).one() == "done"
    assert consistency.problems(factory) == []


def test_claims_write_the_case_row_before_the_task_row(factory, services, at_monday):
    """Every step locks the case row first; a claim that wrote the task row first deadlocked on PostgreSQL."""
    task = drive.open_task(factory, drive.start(factory, services))
    for step in (engine.claim_task, engine.unclaim_task):
        updates = []

        def note(_conn, _cursor, statement, *_args, updates=updates):
            if statement.startswith("UPDATE"):
                updates.append(statement.split()[1])

        bind = factory.kw["bind"]
        sa_event.listen(bind, "before_cursor_execute", note)
        try:
            with unit_of_work(factory) as sess:
                step(sess, drive.user(sess, "clerk-001"), task.id)
        finally:
            sa_event.remove(bind, "before_cursor_execute", note)
        assert updates == ["case_record", "human_task"], (step.__name__, updates)
