"""The domain clock: real time in production, a set time in tests and replay.

Every step reads the time once and freezes it for its whole run, so SpiffWorkflow timers, BPMN
scripts and the event log all see the same instant; replay sets it to the recorded time.
SpiffWorkflow's timer module reads ``datetime.now`` from its own namespace; we point that name
at :class:`_ClockDatetime`, which asks this module.
"""

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, date, datetime, timedelta, timezone

import SpiffWorkflow.bpmn.specs.event_definitions.timer as _spiff_timer

# China has one time zone and no daylight saving: a fixed offset needs no tz database.
CHINA_TZ = timezone(timedelta(hours=8), "CST")

_frozen: ContextVar[datetime | None] = ContextVar("dibao_frozen_now", default=None)


def now() -> datetime:
    """The current domain time, timezone-aware UTC."""
    return _frozen.get() or datetime.now(UTC)


def today() -> date:
    """The current date in China."""
    return now().astimezone(CHINA_TZ).date()


@contextmanager
def frozen(at: datetime) -> Iterator[datetime]:
    """Fix the domain time to ``at`` (aware) inside the block; nests and is per thread/context."""
    if at.tzinfo is None:
        raise ValueError("the clock needs an aware datetime")
    token = _frozen.set(at.astimezone(UTC))
    try:
        yield at
    finally:
        _frozen.reset(token)


class _ClockDatetime(datetime):
    """datetime whose now() is the domain clock (only SpiffWorkflow's timer module sees it)."""

    @classmethod
    def now(cls, tz=None):  # noqa: D102 - same contract as datetime.now
        current = now()
        return current.astimezone(tz) if tz else current.replace(tzinfo=None)


_spiff_timer.datetime = _ClockDatetime
