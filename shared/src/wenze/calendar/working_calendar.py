"""Working days on the official Chinese calendar, including make-up working days (调休).

Conventions (relied on by rule packs, keep them stable):

* ``add_working_days(start, n)`` for ``n >= 1`` is the n-th working day strictly after
  ``start``; ``start`` itself is never counted and need not be a working day. ``n == 0``
  returns ``start`` unchanged (even on a holiday): zero working days is no shift at all,
  which keeps ``working_days_between(start, add_working_days(start, n)) == n`` true for
  every ``n >= 0``. ``n < 0`` is the |n|-th working day strictly before ``start`` ("3
  working days before the meeting").
* ``working_days_between(a, b)`` is the number of working days in ``(a, b]`` when
  ``a <= b`` and minus the number in ``(b, a]`` otherwise, so it is antisymmetric and
  additive (``between(a, b) + between(b, c) == between(a, c)``): ``between(today, due)``
  is the working days left, and when negative, minus the working days overdue.
* Years come from the bundled chinesecalendar data unless a loaded ``YearDefinition``
  covers them. A loaded year for a library year must agree with the library day by day,
  or carry ``replaces_library: true``, in which case it wins. Any question about a year
  that neither covers raises ``CalendarYearMissing``; questions that never touch such a
  year do not.
* A tenant's calendar is the national one plus its ``LocalDays`` (``with_local_days``): a
  local day off or working day wins over the national answer, in a year the national
  calendar covers; a local change never makes an uncovered year countable.
"""

from __future__ import annotations

import copy
import datetime as dt
from collections.abc import Iterable
from pathlib import Path

import chinese_calendar
from chinese_calendar.constants import Holiday as LibraryHoliday

from wenze.calendar.errors import CalendarConflict, CalendarYearMissing
from wenze.calendar.local_days import LocalDays
from wenze.calendar.year_definition import YearDefinition, load_year_definitions

_ONE_DAY = dt.timedelta(days=1)
# The library names holidays in English; year definitions and users use Chinese names.
_CHINESE_HOLIDAY_NAMES: dict[str, str] = {h.value: h.chinese for h in LibraryHoliday}


def _library_year_range() -> tuple[int, int]:
    # Mirrors how chinesecalendar itself decides which years it supports.
    dates = chinese_calendar.holidays.keys()
    return min(dates).year, max(dates).year


class WorkingCalendar:
    """Immutable working-day calendar: bundled library data plus loaded year definitions, and
    for one tenant its local days."""

    def __init__(self, definitions: Iterable[YearDefinition] = ()) -> None:
        self._library_range = _library_year_range()
        loaded: dict[int, YearDefinition] = {}
        for definition in definitions:
            if definition.year in loaded:
                raise CalendarConflict(f"year {definition.year} is loaded twice")
            if self._library_covers(definition.year) and not definition.replaces_library:
                self._check_agrees_with_library(definition)
            loaded[definition.year] = definition
        self._loaded = loaded
        # Flattened lookups: is_working_day is called once per day counted, and
        # chinesecalendar's own is_workday rescans all its data on every call.
        self._loaded_off = frozenset(d for y in loaded.values() for d in y.holiday_dates)
        self._loaded_on = frozenset(d for y in loaded.values() for d in y.makeup_dates)
        self._library_off = frozenset(chinese_calendar.holidays)
        self._library_on = frozenset(chinese_calendar.workdays)
        self._local: dict[int, LocalDays] = {}
        self._local_off: frozenset[dt.date] = frozenset()
        self._local_on: frozenset[dt.date] = frozenset()

    @classmethod
    def from_directory(cls, calendar_dir: str | Path | None) -> WorkingCalendar:
        """Library data plus every year definition file in ``calendar_dir`` (if given)."""
        if calendar_dir is None:
            return cls()
        return cls(load_year_definitions(calendar_dir))

    def with_year(self, definition: YearDefinition) -> WorkingCalendar:
        """A new calendar that also knows ``definition`` (replacing a loaded one of its year);
        national only: the local days of this one are not carried over."""
        others = [d for d in self._loaded.values() if d.year != definition.year]
        return WorkingCalendar([*others, definition])

    def with_local_days(self, local_days: Iterable[LocalDays]) -> WorkingCalendar:
        """This national calendar as one tenant counts it: with its ``local_days`` (at most one
        per year) instead of any this one has."""
        local: dict[int, LocalDays] = {}
        for days in local_days:
            if days.year in local:
                raise CalendarConflict(f"local days of {days.year} are given twice")
            local[days.year] = days
        # A shallow copy shares the national lookups, which are immutable; building them
        # again would check every loaded library year against the library once more.
        tenant = copy.copy(self)
        tenant._local = local
        tenant._local_off = frozenset(d for days in local.values() for d in days.off_dates)
        tenant._local_on = frozenset(d for days in local.values() for d in days.working_dates)
        return tenant

    @property
    def library_years(self) -> range:
        return range(self._library_range[0], self._library_range[1] + 1)

    @property
    def loaded_years(self) -> tuple[int, ...]:
        return tuple(sorted(self._loaded))

    @property
    def definitions(self) -> tuple[YearDefinition, ...]:
        return tuple(self._loaded[y] for y in sorted(self._loaded))

    @property
    def local_days(self) -> tuple[LocalDays, ...]:
        return tuple(self._local[y] for y in sorted(self._local))

    def covers(self, year: int) -> bool:
        return year in self._loaded or self._library_covers(year)

    def require_year(self, year: int) -> None:
        if not self.covers(year):
            raise CalendarYearMissing(year, self._library_range)

    def is_working_day(self, day: dt.date) -> bool:
        if day.year in self._loaded:
            off, on = self._loaded_off, self._loaded_on
        else:
            self.require_year(day.year)
            off, on = self._library_off, self._library_on
        if day in self._local_on:
            return True
        if day in self._local_off:
            return False
        if day in on:
            return True
        return day.weekday() < 5 and day not in off

    def holiday_name(self, day: dt.date) -> str | None:
        """The holiday ``day`` belongs to (a local one included), or None for ordinary days, plain
        weekends and local working days."""
        local = self._local.get(day.year)
        if local is not None and (day in self._local_off or day in self._local_on):
            self.require_year(day.year)
            return local.name_of(day) if day in self._local_off else None
        definition = self._loaded.get(day.year)
        if definition is not None:
            return definition.holiday_name(day)
        self.require_year(day.year)
        on_holiday, name = chinese_calendar.get_holiday_detail(day)
        if not on_holiday or name is None:
            return None
        return _CHINESE_HOLIDAY_NAMES.get(str(name), str(name))

    def add_working_days(self, start: dt.date, n: int) -> dt.date:
        if n == 0:
            return start
        step = _ONE_DAY if n > 0 else -_ONE_DAY
        remaining = abs(n)
        day = start
        while remaining:
            day += step
            if self.is_working_day(day):
                remaining -= 1
        return day

    def working_days_between(self, a: dt.date, b: dt.date) -> int:
        if a <= b:
            return self._count_working_days(a + _ONE_DAY, b)
        return -self._count_working_days(b + _ONE_DAY, a)

    def next_working_day(self, day: dt.date) -> dt.date:
        """``day`` itself if it is a working day, otherwise the first working day after it."""
        while not self.is_working_day(day):
            day += _ONE_DAY
        return day

    def _count_working_days(self, first: dt.date, last: dt.date) -> int:
        count = 0
        day = first
        while day <= last:
            count += self.is_working_day(day)
            day += _ONE_DAY
        return count

    def _library_covers(self, year: int) -> bool:
        low, high = self._library_range
        return low <= year <= high

    def _check_agrees_with_library(self, definition: YearDefinition) -> None:
        day = dt.date(definition.year, 1, 1)
        differing: list[str] = []
        while day.year == definition.year:
            if definition.is_working_day(day) != chinese_calendar.is_workday(day):
                differing.append(day.isoformat())
            day += _ONE_DAY
        if differing:
            shown = ", ".join(differing[:10]) + (" ..." if len(differing) > 10 else "")
            raise CalendarConflict(
                f"the loaded definition of {definition.year} disagrees with the bundled "
                f"chinesecalendar data on {len(differing)} day(s): {shown}. Set "
                f"`replaces_library: true` in the definition to use it instead of the library."
            )

    def __repr__(self) -> str:
        low, high = self._library_range
        return f"WorkingCalendar(library={low}-{high}, loaded={list(self.loaded_years)})"
