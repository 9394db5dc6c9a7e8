"""The worker's passes, shared by `flask worker`, `flask tick`, `flask retry-calls` and the case page.

One pass fires every due timer and makes every due outside call (the 核对), one transaction per
case or call, so one broken case never stops the others; once a day per township it also schedules
the month's 探访 (``workflows.visit_cases``). The 核对 is answered by the local
simulator; ``DIBAO_SIM_FAILING_SOURCES`` names sources it reports as down (demos of the incident path).
"""

import time
from dataclasses import dataclass
from pathlib import Path

from flask import current_app
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from workflows import anchors, clock, engine, incidents, jobs, procedure, retention, store, visit_cases
from workflows.adapters.simulator import SimulatorAdapter
from workflows.settings import SettingsView
from workflows.store import OutsideCall
from workflows.store.incident import TIMER
from workflows.store.outside_call import DONE

from . import config, db, services


@dataclass
class PassResult:
    """What one pass did."""

    timers: int = 0  # cases moved by a due timer
    calls: int = 0  # outside calls answered (and delivered to their case)
    anchor: int | None = None  # the day's chain anchor, when this pass made it
    compacted: int = 0  # finished cases whose snapshot was compacted (with the daily anchor)
    jobs: int = 0  # background jobs (后台任务) worked on in this pass's slice
    expired: int = 0  # background jobs whose result file was deleted (with the daily anchor)
    visits: int = 0  # 探访 cases started by the day's scheduling (first pass of a day, per township)


def adapter_for(session: Session) -> SimulatorAdapter:
    """The 核对 adapter for one transaction (the simulator reads its records through ``session``)."""
    return SimulatorAdapter(session, config.failing_sources(current_app.config.get("DIBAO_SIM_FAILING_SOURCES")))


def run_due_timers(limit: int = 100) -> int:
    """Fire due timers, one transaction per case; returns how many cases moved."""
    with store.unit_of_work(db.factory()) as sess:
        due = engine.due_timer_cases(sess, limit)
    moved = 0
    for case_id in due:
        moved += fire_timers_of(case_id) is not None
    return moved


def fire_timers_of(case_id: int):
    """Fire one case's due timers in a transaction; a failure becomes an incident (retried with back-off)."""
    try:
        with store.unit_of_work(db.factory()) as sess:
            return engine.fire_timers(sess, case_id, services.get())
    except StaleDataError:  # another worker or a person moved the case meanwhile: the next pass looks again
        return None
    except Exception as err:  # noqa: BLE001 - one broken case must not stop the others
        current_app.logger.warning("timer of case %s failed: %s", case_id, err)
        with store.unit_of_work(db.factory()) as sess:
            incidents.record(sess, incidents.from_error(sess, case_id, TIMER, err))
        return None


def run_calls(call_ids: list[int]) -> int:
    """Make these outside calls, one transaction each; returns how many were answered."""
    return procedure.run_calls(db.factory(), call_ids, adapter_for, services.get())


def run_due_calls(limit: int = 20) -> int:
    """Make every due outside call (pending, or an incident whose retry time came)."""
    return procedure.run_due_calls(db.factory(), adapter_for, services.get(), limit)


def run_daily_anchor() -> int | None:
    """Anchor every case's chain head once a day (the id of a new anchor, or None)."""
    if not current_app.config["DIBAO_DAILY_ANCHOR"]:
        return None
    try:
        with store.unit_of_work(db.factory()) as sess:
            made = anchors.ensure_daily(sess)
            return made.id if made is not None else None
    except IntegrityError:  # another worker anchored the same heads at the same moment
        return None


def run_visit_schedule() -> int:
    """Once a day per township: bring its visit targets in line with the benefit register and start the
    month's visit case of every target that has none (``DIBAO_VISIT_SCHEDULE``); how many cases started.

    A pass spends about ``system.visit_slice_seconds`` on it (at least one township), so that on a month's
    first day — some 30 ms a case, hundreds of cases a township — timers and outside calls are not held up
    for minutes: the townships left follow in the next passes."""
    if not current_app.config["DIBAO_VISIT_SCHEDULE"]:
        return 0
    with store.unit_of_work(db.factory()) as sess:
        towns = visit_cases.townships_due(sess, clock.today())
        seconds = float(SettingsView(sess, "", clock.today()).get("system.visit_slice_seconds"))
    started, until = 0, time.monotonic() + seconds
    for n, town in enumerate(towns):
        if n and time.monotonic() >= until:
            break
        try:
            started += visit_cases.schedule_township(db.factory(), town, services.get())["started"]
        except Exception as err:  # noqa: BLE001 - one township's failure (a missing setting) must not stop the others
            current_app.logger.warning("visits of %s not scheduled: %s", town, err)
    return started


def job_workdir() -> Path:
    """Where background jobs keep the zip they are still packing (beside the document store)."""
    return Path(current_app.config["DIBAO_DATA_DIR"]) / "jobs"


def run_job_slice() -> int:
    """Background jobs for one pass's slice (``system.job_slice_seconds``); how many were worked on."""
    try:
        return jobs.run_slice(db.factory(), services.get(), job_workdir()).touched
    except Exception as err:  # noqa: BLE001 - the timers and calls of the next pass must still run
        current_app.logger.warning("background jobs not run: %s", err)
        return 0


def expire_job_results() -> int:
    """Delete the files of background jobs older than ``system.job_result_days``; how many."""
    with store.unit_of_work(db.factory()) as sess:
        return jobs.expire_results(sess, services.get().store)


def run_all_jobs(seconds: float | None = None) -> jobs.RunReport:
    """Run background jobs until none is left (``flask run-jobs``)."""
    return jobs.run_all(db.factory(), services.get(), job_workdir(), seconds)


def run_pass() -> PassResult:
    """One pass: outside calls first (a case answered now may have a timer), then timers, then the daily anchor,
    then a bounded slice of background jobs."""
    calls = run_due_calls()
    result = PassResult(timers=run_due_timers(), calls=calls, anchor=run_daily_anchor(), visits=run_visit_schedule())
    if result.anchor is not None:  # once a day: keep the snapshots of long-finished cases small
        result.compacted = retention.compact(db.factory()).compacted
        result.expired = expire_job_results()
    result.jobs = run_job_slice()
    return result


def open_calls(case_id: int) -> list[int]:
    """Ids of the case's outside calls not answered yet."""
    with store.unit_of_work(db.factory()) as sess:
        return list(sess.scalars(select(OutsideCall.id).where(OutsideCall.case_id == case_id,
                                                             OutsideCall.status != DONE)))
