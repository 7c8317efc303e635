"""A tenant's local days on top of the national calendar: they count for that tenant only."""

from __future__ import annotations

from datetime import date

import pytest
from pydantic import ValidationError

from wenze.calendar import CalendarConflict, CalendarYearMissing, DeadlineSpec, LocalDays, WorkingCalendar

# 2026-12-30 is a Wednesday; three working days later is Monday 4 January 2027 nationally
# only with 2027 loaded, so these examples stay inside December 2026.
THREE_WORKING_DAYS = DeadlineSpec(kind="working_days", amount=3)


def local(**fields: object) -> LocalDays:
    return LocalDays.model_validate({"year": 2026, **fields})


def test_a_local_day_off_moves_only_that_tenants_deadline(library_calendar: WorkingCalendar) -> None:
    tenant = library_calendar.with_local_days([local(days_off=[{"date": "2026-12-22", "name": "县庆"}])])
    assert THREE_WORKING_DAYS.compute(date(2026, 12, 21), library_calendar) == date(2026, 12, 24)
    assert THREE_WORKING_DAYS.compute(date(2026, 12, 21), tenant) == date(2026, 12, 25)
    assert not tenant.is_working_day(date(2026, 12, 22))
    assert tenant.holiday_name(date(2026, 12, 22)) == "县庆"
    # The national calendar it was made from is unchanged.
    assert library_calendar.is_working_day(date(2026, 12, 22))
    assert library_calendar.holiday_name(date(2026, 12, 22)) is None


def test_a_local_working_day_counts_on_a_national_day_off(library_calendar: WorkingCalendar) -> None:
    # 2026-10-01 is National Day; a tenant working it (flood duty, say) counts it.
    tenant = library_calendar.with_local_days([local(working_days=[{"date": "2026-10-01", "name": "防汛值班"}])])
    assert not library_calendar.is_working_day(date(2026, 10, 1))
    assert tenant.is_working_day(date(2026, 10, 1))
    assert tenant.holiday_name(date(2026, 10, 1)) is None
    assert tenant.working_days_between(date(2026, 9, 30), date(2026, 10, 1)) == 1


def test_local_days_replace_the_ones_before(library_calendar: WorkingCalendar) -> None:
    first = library_calendar.with_local_days([local(days_off=[{"date": "2026-12-22", "name": "县庆"}])])
    again = first.with_local_days([local(days_off=[{"date": "2026-12-23", "name": "县庆"}])])
    assert again.is_working_day(date(2026, 12, 22)) and not again.is_working_day(date(2026, 12, 23))
    assert [d.year for d in again.local_days] == [2026]
    assert again.with_local_days([]).is_working_day(date(2026, 12, 23))


def test_local_days_never_make_an_uncovered_year_countable(library_calendar: WorkingCalendar) -> None:
    tenant = library_calendar.with_local_days(
        [LocalDays(year=2030, days_off=[{"date": "2030-03-05", "name": "县庆"}])]  # type: ignore[list-item]
    )
    with pytest.raises(CalendarYearMissing):
        tenant.is_working_day(date(2030, 3, 5))
    with pytest.raises(CalendarYearMissing):
        tenant.holiday_name(date(2030, 3, 5))


def test_one_year_given_twice_is_a_conflict(library_calendar: WorkingCalendar) -> None:
    with pytest.raises(CalendarConflict, match="2026"):
        library_calendar.with_local_days([local(), local()])


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"days_off": [{"date": "2027-01-04", "name": "县庆"}]}, "dates outside 2026: 2027-01-04"),
        (
            {"days_off": [{"date": "2026-12-22", "name": "县庆"}, {"date": "2026-12-22", "name": "县庆"}]},
            "days off listed more than once: 2026-12-22",
        ),
        (
            {
                "days_off": [{"date": "2026-12-22", "name": "县庆"}],
                "working_days": [{"date": "2026-12-22", "name": "值班"}],
            },
            "dates both day off and working day: 2026-12-22",
        ),
        ({"days_off": [{"date": "2026-12-22"}]}, "name"),
        ({"days_off": [{"date": "2026-12-22", "name": "县\x00庆"}]}, "control characters"),
        ({"days_off": [{"date": "2026-12-22", "name": "庆" * 101}]}, "at most 100"),
        ({"holidays": []}, "holidays"),
    ],
)
def test_invalid_local_days(fields: dict[str, object], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        local(**fields)
