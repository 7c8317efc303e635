"""Concrete 2026 results against the bundled chinesecalendar data (国办发明电〔2025〕7号)."""

from __future__ import annotations

from datetime import date

import chinese_calendar
import pytest

from wenze.calendar import WorkingCalendar


def test_library_covers_2004_to_2026(library_calendar: WorkingCalendar) -> None:
    assert library_calendar.library_years == range(2004, 2027)
    assert library_calendar.covers(2026)
    assert not library_calendar.covers(2027)
    assert not library_calendar.covers(2003)


def test_library_signals_unsupported_year_with_not_implemented_error() -> None:
    # WorkingCalendar translates this into CalendarYearMissing; pin the library behaviour.
    with pytest.raises(NotImplementedError, match="2027"):
        chinese_calendar.is_workday(date(2027, 1, 4))


def test_national_day_2026_holidays_and_makeup_days(library_calendar: WorkingCalendar) -> None:
    # The library lists 1-7 October as National Day, with 20 Sept and 10 Oct worked.
    for day in range(1, 8):
        assert not library_calendar.is_working_day(date(2026, 10, day))
        assert library_calendar.holiday_name(date(2026, 10, day)) == "国庆节"
    assert library_calendar.is_working_day(date(2026, 10, 8))
    assert library_calendar.is_working_day(date(2026, 9, 20))  # Sunday
    assert library_calendar.is_working_day(date(2026, 10, 10))  # Saturday
    assert not library_calendar.is_working_day(date(2026, 10, 11))  # ordinary Sunday
    assert library_calendar.holiday_name(date(2026, 10, 11)) is None
    for day in (25, 26, 27):
        assert library_calendar.holiday_name(date(2026, 9, day)) == "中秋"


@pytest.mark.parametrize(
    ("start", "n", "expected"),
    [
        (date(2026, 9, 30), 1, date(2026, 10, 8)),
        (date(2026, 9, 30), 2, date(2026, 10, 9)),
        (date(2026, 9, 30), 3, date(2026, 10, 10)),  # make-up Saturday
        (date(2026, 9, 30), 4, date(2026, 10, 12)),
        (date(2026, 10, 3), 1, date(2026, 10, 8)),  # start on a holiday
        (date(2026, 9, 24), 1, date(2026, 9, 28)),  # over Mid-autumn 25-27 Sept
        (date(2026, 9, 19), 1, date(2026, 9, 20)),  # make-up Sunday
        (date(2026, 9, 18), 5, date(2026, 9, 24)),
    ],
)
def test_national_day_2026_working_days(library_calendar: WorkingCalendar, start: date, n: int, expected: date) -> None:
    assert library_calendar.add_working_days(start, n) == expected
    assert library_calendar.working_days_between(start, expected) == n


def test_spring_festival_2026(library_calendar: WorkingCalendar) -> None:
    cal = library_calendar
    for day in range(15, 24):
        assert not cal.is_working_day(date(2026, 2, day))
    assert cal.is_working_day(date(2026, 2, 14))  # Saturday before
    assert cal.is_working_day(date(2026, 2, 28))  # Saturday after
    assert cal.add_working_days(date(2026, 2, 13), 1) == date(2026, 2, 14)
    assert cal.add_working_days(date(2026, 2, 13), 2) == date(2026, 2, 24)
    assert cal.add_working_days(date(2026, 2, 12), 3) == date(2026, 2, 24)
    assert cal.add_working_days(date(2026, 2, 27), 1) == date(2026, 2, 28)
    # 2-6, 9-13, 14 (make-up), 24-27, 28 (make-up)
    assert cal.working_days_between(date(2026, 2, 1), date(2026, 2, 28)) == 16


def test_may_day_2026_decision_plus_three_working_days(library_calendar: WorkingCalendar) -> None:
    decision = date(2026, 4, 30)
    assert decision.strftime("%A") == "Thursday"
    assert library_calendar.add_working_days(decision, 1) == date(2026, 5, 6)
    assert library_calendar.add_working_days(decision, 3) == date(2026, 5, 8)
    assert library_calendar.is_working_day(date(2026, 5, 9))  # make-up Saturday
    assert library_calendar.add_working_days(date(2026, 5, 8), 1) == date(2026, 5, 9)
    assert library_calendar.add_working_days(date(2026, 5, 9), 1) == date(2026, 5, 11)


def test_matches_library_on_every_covered_day(library_calendar: WorkingCalendar) -> None:
    day = date(2004, 1, 1)
    while day.year <= 2026:
        assert library_calendar.is_working_day(day) == chinese_calendar.is_workday(day), day
        day = date.fromordinal(day.toordinal() + 1)
