from __future__ import annotations

from datetime import date

import pytest

from wenze.calendar import CalendarYearMissing, WorkingCalendar


def test_zero_working_days_is_no_shift(library_calendar: WorkingCalendar) -> None:
    holiday = date(2026, 10, 1)
    assert library_calendar.add_working_days(holiday, 0) == holiday
    assert library_calendar.add_working_days(date(2026, 10, 9), 0) == date(2026, 10, 9)


def test_zero_working_days_needs_no_calendar(library_calendar: WorkingCalendar) -> None:
    assert library_calendar.add_working_days(date(2027, 3, 1), 0) == date(2027, 3, 1)


def test_negative_working_days_count_backwards(library_calendar: WorkingCalendar) -> None:
    # Three working days before Thursday 8 October 2026: 30 Sept, 29 Sept, 28 Sept.
    assert library_calendar.add_working_days(date(2026, 10, 8), -1) == date(2026, 9, 30)
    assert library_calendar.add_working_days(date(2026, 10, 8), -3) == date(2026, 9, 28)
    assert library_calendar.add_working_days(date(2026, 9, 21), -1) == date(2026, 9, 20)


def test_working_days_between_conventions(library_calendar: WorkingCalendar) -> None:
    cal = library_calendar
    assert cal.working_days_between(date(2026, 9, 30), date(2026, 9, 30)) == 0
    # Excludes the first date, includes the last.
    assert cal.working_days_between(date(2026, 9, 29), date(2026, 9, 30)) == 1
    assert cal.working_days_between(date(2026, 9, 30), date(2026, 10, 7)) == 0
    assert cal.working_days_between(date(2026, 9, 30), date(2026, 10, 10)) == 3
    # Antisymmetric: an overdue deadline gives minus the working days since it passed.
    assert cal.working_days_between(date(2026, 10, 10), date(2026, 9, 30)) == -3


def test_crossing_into_unloaded_year_raises_naming_it(library_calendar: WorkingCalendar) -> None:
    with pytest.raises(CalendarYearMissing) as excinfo:
        library_calendar.add_working_days(date(2026, 12, 30), 3)
    assert excinfo.value.year == 2027
    message = str(excinfo.value)
    assert "2027" in message
    assert "calendar_dir" in message
    assert "2004–2026" in message


def test_computations_not_needing_the_year_do_not_raise(
    library_calendar: WorkingCalendar,
) -> None:
    # 28 Dec 2026 is a Monday; three working days later is still in 2026.
    assert library_calendar.add_working_days(date(2026, 12, 28), 3) == date(2026, 12, 31)
    assert library_calendar.working_days_between(date(2026, 12, 1), date(2026, 12, 31)) == 22


def test_years_before_the_library_are_missing_too(library_calendar: WorkingCalendar) -> None:
    with pytest.raises(CalendarYearMissing, match="2003"):
        library_calendar.add_working_days(date(2004, 1, 2), -3)
    with pytest.raises(CalendarYearMissing, match="2027"):
        library_calendar.working_days_between(date(2027, 1, 10), date(2026, 12, 1))


def test_loaded_year_makes_crossing_work(calendar_with_2027: WorkingCalendar) -> None:
    cal = calendar_with_2027
    assert cal.loaded_years == (2027,)
    # Thursday 31 Dec 2026; the test-only 2027 definition gives 1-3 January off.
    assert cal.add_working_days(date(2026, 12, 31), 1) == date(2027, 1, 4)
    assert cal.working_days_between(date(2026, 12, 30), date(2027, 1, 4)) == 2
    assert cal.holiday_name(date(2027, 1, 1)) == "测试元旦"
    # Test-only spring festival 8-14 Feb with Saturdays 6 and 20 Feb worked.
    assert cal.add_working_days(date(2027, 2, 5), 1) == date(2027, 2, 6)
    assert cal.add_working_days(date(2027, 2, 6), 1) == date(2027, 2, 15)
    assert cal.is_working_day(date(2027, 2, 20))


def test_loaded_year_does_not_cover_the_next_one(calendar_with_2027: WorkingCalendar) -> None:
    with pytest.raises(CalendarYearMissing) as excinfo:
        calendar_with_2027.add_working_days(date(2027, 12, 30), 2)
    assert excinfo.value.year == 2028


def test_missing_year_error_survives_pickling() -> None:
    import pickle

    error = CalendarYearMissing(2027, (2004, 2026))
    copy = pickle.loads(pickle.dumps(error))
    assert copy.year == 2027
    assert str(copy) == str(error)


def test_with_year_returns_new_calendar(
    library_calendar: WorkingCalendar, calendar_with_2027: WorkingCalendar, test_year_2027
) -> None:
    extended = library_calendar.with_year(test_year_2027)
    assert extended.loaded_years == (2027,)
    assert library_calendar.loaded_years == ()
    assert calendar_with_2027.with_year(test_year_2027).loaded_years == (2027,)
