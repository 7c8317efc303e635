from __future__ import annotations

from datetime import date

import pytest

from wenze.calendar import (
    add_calendar_days,
    add_months,
    add_years,
    month_end,
    next_day_of_month,
)


def test_add_calendar_days() -> None:
    assert add_calendar_days(date(2026, 3, 2), 15) == date(2026, 3, 17)
    assert add_calendar_days(date(2026, 12, 25), 10) == date(2027, 1, 4)  # no calendar needed
    assert add_calendar_days(date(2026, 3, 17), -15) == date(2026, 3, 2)


@pytest.mark.parametrize(
    ("start", "n", "expected"),
    [
        (date(2026, 1, 31), 1, date(2026, 2, 28)),
        (date(2024, 1, 31), 1, date(2024, 2, 29)),
        (date(2026, 6, 10), 6, date(2026, 12, 10)),
        (date(2026, 6, 10), 1, date(2026, 7, 10)),
        (date(2026, 8, 31), 1, date(2026, 9, 30)),
        (date(2026, 11, 30), 3, date(2027, 2, 28)),
        (date(2026, 12, 15), 1, date(2027, 1, 15)),
        (date(2026, 3, 31), -1, date(2026, 2, 28)),
        (date(2026, 1, 15), -1, date(2025, 12, 15)),
        (date(2026, 5, 31), 0, date(2026, 5, 31)),
        (date(2026, 1, 31), 25, date(2028, 2, 29)),
    ],
)
def test_add_months(start: date, n: int, expected: date) -> None:
    assert add_months(start, n) == expected


def test_add_years() -> None:
    assert add_years(date(2024, 2, 29), 1) == date(2025, 2, 28)
    assert add_years(date(2024, 2, 29), 4) == date(2028, 2, 29)
    assert add_years(date(2026, 6, 10), 2) == date(2028, 6, 10)
    assert add_years(date(2026, 6, 10), -1) == date(2025, 6, 10)


def test_month_end() -> None:
    assert month_end(date(2026, 2, 10)) == date(2026, 2, 28)
    assert month_end(date(2024, 2, 1)) == date(2024, 2, 29)
    assert month_end(date(2026, 12, 31)) == date(2026, 12, 31)
    assert month_end(date(2026, 4, 1)) == date(2026, 4, 30)


@pytest.mark.parametrize(
    ("start", "day", "expected"),
    [
        (date(2026, 3, 10), 28, date(2026, 3, 28)),
        (date(2026, 3, 28), 28, date(2026, 3, 28)),  # on the day: still due that day
        (date(2026, 3, 29), 28, date(2026, 4, 28)),
        (date(2026, 12, 29), 28, date(2027, 1, 28)),
        (date(2026, 2, 10), 30, date(2026, 2, 28)),  # short month: its last day
        (date(2026, 2, 28), 31, date(2026, 2, 28)),
        (date(2026, 3, 1), 31, date(2026, 3, 31)),
        (date(2026, 4, 30), 31, date(2026, 4, 30)),
        (date(2026, 1, 31), 30, date(2026, 2, 28)),
        (date(2024, 1, 31), 30, date(2024, 2, 29)),
        (date(2026, 5, 2), 1, date(2026, 6, 1)),
    ],
)
def test_next_day_of_month(start: date, day: int, expected: date) -> None:
    assert next_day_of_month(start, day) == expected


@pytest.mark.parametrize("day", [0, 32, -1])
def test_next_day_of_month_rejects_bad_day(day: int) -> None:
    with pytest.raises(ValueError, match="between 1 and 31"):
        next_day_of_month(date(2026, 1, 1), day)
