"""Chinese working days: statutory holidays and make-up working days (调休) from `holidays`."""

from datetime import date, timedelta
from functools import lru_cache

import holidays


@lru_cache(maxsize=64)
def _calendar(year: int) -> holidays.HolidayBase:
    return holidays.China(years=year)


def is_working_day(day: date) -> bool:
    """True on a working day in China (weekdays that are not holidays, and make-up Saturdays/Sundays)."""
    return _calendar(day.year).is_working_day(day)


def add_working_days(start: date, n: int) -> date:
    """The n-th working day after ``start`` (``start`` itself is not counted; n = 0 gives ``start``)."""
    if n < 0:
        raise ValueError("n must not be negative")
    day = start
    while n:
        day += timedelta(days=1)
        n -= is_working_day(day)
    return day


def working_days_between(start: date, end: date) -> int:
    """Working days after ``start`` up to and including ``end`` (0 if end is not after start)."""
    count, day = 0, start
    while day < end:
        day += timedelta(days=1)
        count += is_working_day(day)
    return count
