"""Chinese working days: statutory holidays, substitute days off and make-up working days (调休)."""

from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from workflows.rules import add_working_days, is_working_day, working_days_between
from workflows.rules.workdays import _calendar


def days(first: date, last: date) -> list[date]:
    return [first + timedelta(days=i) for i in range((last - first).days + 1)]


# 国务院办公厅关于2026年部分节假日安排的通知 (2025-11-04):
#   中秋节 9月25日(周五)至27日(周日)放假，共3天。
#   国庆节 10月1日(周四)至7日(周三)放假调休，共7天。9月20日(周日)、10月10日(周六)上班。
def test_national_day_2026_follows_the_state_council_notice():
    assert not any(is_working_day(d) for d in days(date(2026, 10, 1), date(2026, 10, 7)))
    assert is_working_day(date(2026, 10, 8))  # Thursday: the break is 7 days in 2026, not 8
    assert not any(is_working_day(d) for d in days(date(2026, 9, 25), date(2026, 9, 27)))  # 中秋节


@pytest.mark.parametrize("makeup", [date(2026, 9, 20), date(2026, 10, 10)])
def test_make_up_weekend_days_of_national_day_2026_are_working_days(makeup):
    assert makeup.weekday() >= 5
    assert is_working_day(makeup)


def test_the_other_weekend_days_around_national_day_2026_are_off():
    assert not is_working_day(date(2026, 9, 19))
    assert not is_working_day(date(2026, 10, 11))


def test_spring_festival_2026_with_its_make_up_saturdays():
    assert not any(is_working_day(d) for d in days(date(2026, 2, 15), date(2026, 2, 23)))
    assert is_working_day(date(2026, 2, 14)) and is_working_day(date(2026, 2, 28))
    assert is_working_day(date(2026, 2, 24))


def test_spring_festival_2027_statutory_days_are_off():
    # 除夕 is 5 Feb 2027 (Friday) and 正月初三 is 8 Feb (Monday): off whatever the 2027 notice says.
    assert not any(is_working_day(d) for d in days(date(2027, 2, 5), date(2027, 2, 8)))
    assert is_working_day(date(2027, 2, 4))


def test_spring_festival_2027_is_provisional_in_this_library_version():
    """holidays 0.108 has no 2027 notice: it moves the two weekend festival days to Tue/Wed and
    knows no make-up Saturdays. Revisit when the library learns the 国务院办公厅 2027 notice."""
    assert [is_working_day(d) for d in days(date(2027, 2, 9), date(2027, 2, 13))] == [False, False, True, True, False]


@pytest.mark.parametrize(("day", "working"), [
    (date(2026, 11, 28), False),  # Saturday
    (date(2026, 11, 29), False),  # Sunday
    (date(2026, 11, 30), True),  # Monday
    (date(2026, 1, 1), False),  # 元旦
    (date(2026, 1, 4), True),  # Sunday worked for 元旦
])
def test_plain_days(day, working):
    assert is_working_day(day) is working


def test_zero_working_days_is_the_start_even_on_a_holiday():
    assert add_working_days(date(2026, 10, 3), 0) == date(2026, 10, 3)


def test_adding_across_national_day_2026():
    # Accepted on Wednesday 30 September: the 1st working day after is Thursday 8 October.
    assert add_working_days(date(2026, 9, 30), 1) == date(2026, 10, 8)
    # 10 working days: 8, 9, 10 (Sat, make-up), 12–16, 19, 20 October.
    assert add_working_days(date(2026, 9, 30), 10) == date(2026, 10, 20)


def test_adding_across_the_year_end():
    # Thursday 31 December 2026 → Friday 1 January 2027 is 元旦, then Monday 4 January.
    assert not is_working_day(date(2027, 1, 1))
    assert add_working_days(date(2026, 12, 31), 1) == date(2027, 1, 4)
    assert working_days_between(date(2026, 12, 30), date(2027, 1, 4)) == 2


def test_ten_working_days_on_a_plain_fortnight():
    assert add_working_days(date(2026, 11, 30), 10) == date(2026, 12, 14)


def test_negative_working_days_are_refused():
    with pytest.raises(ValueError, match="negative"):
        add_working_days(date(2026, 11, 30), -1)


def test_working_days_between():
    assert working_days_between(date(2026, 9, 30), date(2026, 10, 10)) == 3
    assert working_days_between(date(2026, 9, 30), date(2026, 9, 30)) == 0
    assert working_days_between(date(2026, 10, 10), date(2026, 9, 30)) == 0
    assert working_days_between(date(2026, 10, 1), date(2026, 10, 7)) == 0


def test_the_calendar_is_built_once_per_year():
    _calendar.cache_clear()
    for _ in range(3):
        is_working_day(date(2026, 10, 1))
        is_working_day(date(2026, 10, 2))
    assert _calendar.cache_info().misses == 1


DAYS = st.dates(min_value=date(2024, 1, 1), max_value=date(2027, 12, 31))


@given(DAYS, st.integers(min_value=0, max_value=60))
def test_adding_then_counting_gives_back_n(start, n):
    end = add_working_days(start, n)
    assert working_days_between(start, end) == n
    assert n == 0 or is_working_day(end)


@given(DAYS, DAYS)
def test_counting_then_adding_gives_back_a_working_end(start, end):
    counted = working_days_between(start, end)
    if end > start and is_working_day(end):
        assert add_working_days(start, counted) == end
