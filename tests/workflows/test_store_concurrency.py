"""Concurrency the production database must survive: counters and timer workers (both backends)."""

import threading
from datetime import timedelta

from sqlalchemy.orm.exc import StaleDataError

from tests import factories as f
from tests.workflows.test_engine_flow import case_row, to_decision
from workflows import clock, engine, numbers
from workflows.store import unit_of_work


def _at_once(factory, work, n: int = 2) -> list:
    """Run `work(session)` in n threads, each in its own unit of work, started together."""
    barrier, out = threading.Barrier(n), []

    def run():
        try:
            with unit_of_work(factory) as sess:
                barrier.wait()
                out.append(work(sess))
        except Exception as err:  # noqa: BLE001 - reported by the assertion
            out.append(err)

    threads = [threading.Thread(target=run) for _ in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return out


def test_concurrent_steps_never_share_a_number(factory):
    assert sorted(_at_once(factory, lambda s: numbers.next_value(s, "test:new"))) == [1, 2]
    assert sorted(_at_once(factory, lambda s: numbers.next_value(s, "test:new"))) == [3, 4]


def test_two_timer_workers_fire_each_case_once(db_url, factory, services, at_monday):
    case_no = to_decision(factory, services, f.registration())
    case_id = case_row(factory, case_no).id

    def fire(sess):
        with clock.frozen(at_monday + timedelta(days=9)):  # the clock is per thread
            return engine.fire_timers(sess, case_id, services)

    results = _at_once(factory, fire)
    assert case_row(factory, case_no).status == "PENDING_DECISION"
    errors = [r for r in results if isinstance(r, Exception)]
    assert len([r for r in results if r is not None and r not in errors]) == 1, results
    if db_url.startswith("postgresql"):  # the second worker skips the locked case
        assert errors == []
    else:  # SQLite has no row locks: the second worker loses on the version check
        assert all(isinstance(e, StaleDataError) for e in errors), errors
