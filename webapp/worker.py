"""The worker's passes, shared by `flask worker`, `flask tick`, `flask retry-calls` and the case page.

One pass fires every due timer and makes every due outside call (the 核对), one transaction per
case or call, so one broken case never stops the others. The 核对 is answered by the local
simulator; ``DIBAO_SIM_FAILING_SOURCES`` names sources it reports as down (demos of the incident path).
"""

from dataclasses import dataclass

from flask import current_app
from sqlalchemy import select
from sqlalchemy.orm import Session

from workflows import engine, procedure, store
from workflows.adapters.simulator import SimulatorAdapter
from workflows.store import OutsideCall
from workflows.store.outside_call import DONE

from . import config, db, services


@dataclass
class PassResult:
    """What one pass did."""

    timers: int = 0  # cases moved by a due timer
    calls: int = 0  # outside calls answered (and delivered to their case)


def adapter_for(session: Session) -> SimulatorAdapter:
    """The 核对 adapter for one transaction (the simulator reads its records through ``session``)."""
    return SimulatorAdapter(session, config.failing_sources(current_app.config.get("DIBAO_SIM_FAILING_SOURCES")))


def run_due_timers(limit: int = 100) -> int:
    """Fire due timers, one transaction per case; returns how many cases moved."""
    with store.unit_of_work(db.factory()) as sess:
        due = engine.due_timer_cases(sess, limit)
    moved = 0
    for case_id in due:
        try:
            with store.unit_of_work(db.factory()) as sess:
                moved += engine.fire_timers(sess, case_id, services.get()) is not None
        except Exception as err:  # noqa: BLE001 - one broken case must not stop the others
            current_app.logger.exception("timer of case %s failed: %s", case_id, err)
    return moved


def run_calls(call_ids: list[int]) -> int:
    """Make these outside calls, one transaction each; returns how many were answered."""
    return procedure.run_calls(db.factory(), call_ids, adapter_for, services.get())


def run_due_calls(limit: int = 20) -> int:
    """Make every due outside call (pending, or an incident whose retry time came)."""
    return procedure.run_due_calls(db.factory(), adapter_for, services.get(), limit)


def run_pass() -> PassResult:
    """One pass: outside calls first (a case answered now may have a timer), then timers."""
    calls = run_due_calls()
    return PassResult(timers=run_due_timers(), calls=calls)


def open_calls(case_id: int) -> list[int]:
    """Ids of the case's outside calls not answered yet."""
    with store.unit_of_work(db.factory()) as sess:
        return list(sess.scalars(select(OutsideCall.id).where(OutsideCall.case_id == case_id,
                                                             OutsideCall.status != DONE)))
