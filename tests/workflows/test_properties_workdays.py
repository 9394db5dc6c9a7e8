"""Property tests of Chinese working days, checked against the calendar in use.

The engine counts working days with ``holidays.China`` (statutory holidays, substitute days off
and make-up working Saturdays/Sundays). The oracle here reads that calendar directly — a day is
off when it is one of its holidays, or a weekend day that is not one of its make-up working days —
so the rules module is checked against the data, not against itself.
"""

from datetime import date, timedelta
from functools import cache

import holidays
from hypothesis import given
from hypothesis import strategies as st

from workflows.rules import add_working_days, is_working_day, working_days_between

FIRST, LAST = date(2020, 1, 1), date(2027, 12, 31)
DAYS = st.dates(min_value=FIRST, max_value=LAST)
COUNTS = st.integers(min_value=0, max_value=90)  # the longest limits: 30 (45 when extended) working days


@cache
def china(year: int) -> holidays.HolidayBase:
    """The calendar in use, for one year (built once here: building one is not free)."""
    return holidays.China(years=year)


def calendar_says_working(day: date) -> bool:
    """The oracle: the China calendar's own holidays, weekend and make-up working days."""
    calendar = china(day.year)
    if day in calendar:
        return False
    return day.weekday() not in calendar.weekend or day in calendar.weekend_workdays


def working_days_in(start: date, end: date) -> list[date]:
    """The working days after ``start`` up to and including ``end``, by the oracle."""
    return [d for d in (start + timedelta(days=i) for i in range(1, (end - start).days + 1))
            if calendar_says_working(d)]


def test_every_day_of_the_years_in_use_agrees_with_the_calendar():
    days = [FIRST + timedelta(days=i) for i in range((LAST - FIRST).days + 1)]
    disagree = [d for d in days if is_working_day(d) != calendar_says_working(d)]
    assert disagree == []
    assert not all(is_working_day(d) for d in days if d.weekday() < 5)  # holidays on weekdays exist
    assert any(is_working_day(d) for d in days if d.weekday() >= 5)  # and make-up weekend days


@given(DAYS, COUNTS)
def test_adding_n_working_days_then_counting_back_gives_n(start, n):
    end = add_working_days(start, n)
    assert working_days_between(start, end) == n
    assert len(working_days_in(start, end)) == n  # the oracle counts the same n, none skipped


@given(DAYS, st.integers(min_value=1, max_value=90))
def test_the_result_is_never_a_holiday_or_a_weekend_off(start, n):
    end = add_working_days(start, n)
    assert calendar_says_working(end)
    assert end not in china(end.year)
    assert end.weekday() < 5 or end in china(end.year).weekend_workdays


@given(DAYS, st.integers(min_value=1, max_value=90))
def test_the_result_is_the_first_day_that_completes_n(start, n):
    end = add_working_days(start, n)
    assert working_days_between(start, end - timedelta(days=1)) == n - 1
    assert add_working_days(start, n - 1) < end  # one more working day is always later


@given(DAYS, DAYS)
def test_counting_matches_the_calendar_whichever_way_round(start, end):
    counted = working_days_between(start, end)
    assert counted == (len(working_days_in(start, end)) if end > start else 0)
