"""Chinese working days (DOMAIN.md §2), from the `holidays` library's China calendar.

The calendar knows the statutory holidays and, for the years whose 国务院办公厅 notice it has
(up to 2026 in holidays 0.108), the substitute days off and the Saturdays/Sundays worked instead (调休).
For later years it only knows the statutory days, moving those that fall on a weekend to the next
weekday, so deadlines computed for them are provisional until the library is upgraded.
"""

from datetime import date, timedelta
from functools import lru_cache

import holidays


@lru_cache(maxsize=32)
def _calendar(years: tuple[int, ...]) -> holidays.HolidayBase:
    """One China calendar per set of years (building one costs about a millisecond)."""
    return holidays.China(years=years)


def is_working_day(day: date) -> bool:
    """Whether government offices work on a day.

    Args:
        day: Any day.

    Returns:
        True on weekdays that are not holidays or substitute days off, and on make-up working
        Saturdays/Sundays (调休上班); False otherwise.
    """
    return _calendar((day.year,)).is_working_day(day)


def add_working_days(start: date, n: int) -> date:
    """The n-th working day after a day, e.g. the last day of "within 10 working days of 受理".

    Args:
        start: The day the period starts from; it is never counted itself.
        n: How many working days; 0 returns ``start`` unchanged.

    Returns:
        The day on which the n-th working day after ``start`` falls.

    Raises:
        ValueError: if ``n`` is negative.
    """
    if n < 0:
        raise ValueError(f"the number of working days must not be negative, not {n}")
    day = start
    while n:
        day += timedelta(days=1)
        n -= is_working_day(day)
    return day


def working_days_between(start: date, end: date) -> int:
    """The working days after ``start`` up to and including ``end`` (time used or overdue).

    The inverse of :func:`add_working_days`: when ``end`` is a working day after ``start``,
    ``add_working_days(start, working_days_between(start, end)) == end``.

    Args:
        start: The first day of the period, not counted.
        end: The last day of the period, counted.

    Returns:
        The number of working days, 0 if ``end`` is not after ``start``.
    """
    count, day = 0, start
    while day < end:
        day += timedelta(days=1)
        count += is_working_day(day)
    return count
