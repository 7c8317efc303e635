from __future__ import annotations

from datetime import date

import pytest
from pydantic import ValidationError

from wenze.calendar import (
    CalendarYearMissing,
    Deadline,
    DeadlineKind,
    DeadlineSpec,
    WorkingCalendar,
)


@pytest.mark.parametrize(
    ("spec", "start", "expected"),
    [
        ({"kind": "working_days", "amount": 3}, date(2026, 4, 30), date(2026, 5, 8)),
        ({"kind": "calendar_days", "amount": 15}, date(2026, 3, 2), date(2026, 3, 17)),
        ({"kind": "months", "amount": 1}, date(2026, 1, 31), date(2026, 2, 28)),
        ({"kind": "months", "amount": 6}, date(2026, 6, 10), date(2026, 12, 10)),
        ({"kind": "years", "amount": 1}, date(2024, 2, 29), date(2025, 2, 28)),
        ({"kind": "day_of_month", "day": 28}, date(2026, 3, 29), date(2026, 4, 28)),
        ({"kind": "day_of_month", "day": 28, "amount": 1}, date(2026, 3, 10), date(2026, 4, 28)),
        ({"kind": "day_of_month", "day": 31, "amount": 1}, date(2026, 1, 31), date(2026, 2, 28)),
        ({"kind": "month_end"}, date(2026, 2, 10), date(2026, 2, 28)),
        ({"kind": "month_end", "amount": 1}, date(2026, 1, 31), date(2026, 2, 28)),
        ({"kind": "month_end", "amount": 2}, date(2026, 12, 1), date(2027, 2, 28)),
    ],
)
def test_compute(library_calendar: WorkingCalendar, spec: dict[str, object], start: date, expected: date) -> None:
    assert DeadlineSpec.model_validate(spec).compute(start, library_calendar) == expected


def test_roll_to_working_day_is_opt_in(library_calendar: WorkingCalendar) -> None:
    start = date(2026, 9, 16)
    plain = DeadlineSpec(kind=DeadlineKind.CALENDAR_DAYS, amount=15)
    assert plain.compute(start, library_calendar) == date(2026, 10, 1)

    rolling = DeadlineSpec(kind=DeadlineKind.CALENDAR_DAYS, amount=15, roll_to_working_day=True)
    deadline = rolling.deadline(start, library_calendar)
    assert deadline == Deadline(
        due=date(2026, 10, 8),
        kind=DeadlineKind.CALENDAR_DAYS,
        spec=rolling,
        start=start,
        rolled_from=date(2026, 10, 1),
    )
    # Landing on a make-up Saturday is a working day: nothing to roll.
    on_makeup = rolling.deadline(date(2026, 9, 25), library_calendar)
    assert on_makeup.due == date(2026, 10, 10)
    assert on_makeup.rolled_from is None


def test_deadline_overdue(library_calendar: WorkingCalendar) -> None:
    deadline = DeadlineSpec(kind="working_days", amount=3).deadline(date(2026, 4, 30), library_calendar)
    assert deadline.kind is DeadlineKind.WORKING_DAYS
    assert not deadline.is_overdue(date(2026, 5, 8))
    assert deadline.is_overdue(date(2026, 5, 9))


def test_calendar_kinds_need_no_loaded_year(library_calendar: WorkingCalendar) -> None:
    spec = DeadlineSpec(kind="months", amount=1)
    assert spec.compute(date(2026, 12, 15), library_calendar) == date(2027, 1, 15)
    rolling = DeadlineSpec(kind="months", amount=1, roll_to_working_day=True)
    with pytest.raises(CalendarYearMissing, match="2027"):
        rolling.compute(date(2026, 12, 15), library_calendar)
    with pytest.raises(CalendarYearMissing, match="2027"):
        DeadlineSpec(kind="working_days", amount=5).compute(date(2026, 12, 28), library_calendar)


def test_with_loaded_year(calendar_with_2027: WorkingCalendar) -> None:
    spec = DeadlineSpec(kind="working_days", amount=5)
    assert spec.compute(date(2026, 12, 28), calendar_with_2027) == date(2027, 1, 5)
    rolling = DeadlineSpec(kind="calendar_days", amount=3, roll_to_working_day=True)
    assert rolling.compute(date(2026, 12, 29), calendar_with_2027) == date(2027, 1, 4)


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ({"kind": "working_days"}, "needs an amount"),
        ({"kind": "months"}, "needs an amount"),
        ({"kind": "day_of_month"}, "needs a day"),
        ({"kind": "day_of_month", "day": 32}, "less than or equal to 31"),
        ({"kind": "month_end", "day": 28}, "day only applies"),
        ({"kind": "month_end", "amount": -1}, "negative"),
        ({"kind": "working_days", "amount": 3, "roll_to_working_day": True}, "does not apply"),
        ({"kind": "fortnights", "amount": 1}, "kind"),
        ({"kind": "months", "amount": 1, "unit": "x"}, "unit"),
    ],
)
def test_invalid_specs(spec: dict[str, object], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        DeadlineSpec.model_validate(spec)


def test_spec_round_trips_as_plain_data() -> None:
    spec = DeadlineSpec(kind="day_of_month", day=28, amount=0)
    data = spec.model_dump(mode="json")
    assert data == {"kind": "day_of_month", "amount": 0, "day": 28, "roll_to_working_day": False}
    assert DeadlineSpec.model_validate(data) == spec
