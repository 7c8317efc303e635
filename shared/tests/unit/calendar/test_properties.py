"""Property tests over the whole library range plus the test-only 2027 definition."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from wenze.calendar import (
    WorkingCalendar,
    add_calendar_days,
    add_months,
    add_years,
    load_year_definition,
    month_end,
    next_day_of_month,
)

FIXTURE_2027 = Path(__file__).parent / "fixtures" / "test-only-2027.yaml"
# Hypothesis discourages function-scoped fixtures in @given tests, so build it once here.
CALENDAR = WorkingCalendar([load_year_definition(FIXTURE_2027)])

# Start dates far enough inside the covered range (2004-2027) for 120 working days either way.
starts = st.dates(min_value=date(2004, 9, 1), max_value=date(2026, 12, 31))
counts = st.integers(min_value=0, max_value=120)
any_dates = st.dates(min_value=date(1901, 1, 1), max_value=date(9000, 12, 31))


@given(starts, st.integers(min_value=1, max_value=120))
def test_result_is_a_working_day_after_start(start: date, n: int) -> None:
    result = CALENDAR.add_working_days(start, n)
    assert result > start
    assert CALENDAR.is_working_day(result)


@given(starts, st.integers(min_value=1, max_value=120))
def test_negative_result_is_a_working_day_before_start(start: date, n: int) -> None:
    result = CALENDAR.add_working_days(start, -n)
    assert result < start
    assert CALENDAR.is_working_day(result)


@settings(max_examples=200)
@given(starts, counts)
def test_working_days_between_inverts_add(start: date, n: int) -> None:
    assert CALENDAR.working_days_between(start, CALENDAR.add_working_days(start, n)) == n


@given(starts, counts, counts)
def test_add_working_days_is_monotonic(start: date, n1: int, n2: int) -> None:
    low, high = sorted((n1, n2))
    a, b = CALENDAR.add_working_days(start, low), CALENDAR.add_working_days(start, high)
    assert a <= b
    if low < high:
        assert a < b


@given(starts, starts, starts)
def test_working_days_between_is_additive(a: date, b: date, c: date) -> None:
    ab = CALENDAR.working_days_between(a, b)
    assert ab == -CALENDAR.working_days_between(b, a)
    assert ab + CALENDAR.working_days_between(b, c) == CALENDAR.working_days_between(a, c)


@given(any_dates, st.integers(min_value=-1200, max_value=1200))
def test_add_months_never_overflows(start: date, n: int) -> None:
    result = add_months(start, n)
    assert (result.year * 12 + result.month) - (start.year * 12 + start.month) == n
    assert result.day <= start.day
    assert result.day == start.day or result == month_end(result)


@given(any_dates, st.integers(min_value=-100, max_value=100))
def test_add_years_keeps_month(start: date, n: int) -> None:
    result = add_years(start, n)
    assert (result.year, result.month) == (start.year + n, start.month)
    assert result.day <= start.day


@given(any_dates, st.integers(min_value=-10_000, max_value=10_000))
def test_add_calendar_days_inverse(start: date, n: int) -> None:
    assert add_calendar_days(add_calendar_days(start, n), -n) == start
    assert (add_calendar_days(start, n) - start).days == n


@given(any_dates, st.integers(min_value=1, max_value=31))
def test_next_day_of_month_is_first_match_on_or_after(start: date, day: int) -> None:
    result = next_day_of_month(start, day)
    assert result >= start
    assert result.day == day or (result == month_end(result) and result.day < day)
    # Nothing in between matches: it is the next month's occurrence at the latest.
    assert (result.year * 12 + result.month) - (start.year * 12 + start.month) in (0, 1)
    if result.month != start.month:
        assert next_day_of_month(start.replace(day=1), day) < start
