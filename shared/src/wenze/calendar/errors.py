"""Errors raised by the working-day calendar."""

from __future__ import annotations


class CalendarError(Exception):
    """Base class for every calendar error."""


class CalendarYearMissing(CalendarError, LookupError):
    """A computation needs a year for which no official calendar is known.

    Guessing (e.g. treating Monday–Friday as working days) would silently produce wrong
    deadlines around holidays, so the year must be loaded before any deadline touching it
    can be computed.
    """

    def __init__(self, year: int, library_years: tuple[int, int] | None = None) -> None:
        self.year = year
        self.library_years = library_years
        covered = (
            f"the bundled chinesecalendar data covers {library_years[0]}–{library_years[1]}"
            if library_years
            else "the bundled chinesecalendar data does not cover it"
        )
        super().__init__(
            f"No official working-day calendar for year {year}: {covered} and no year "
            f"definition for {year} has been loaded. A platform operator must load the "
            f"State Council's holiday notice for {year} as a year definition (`year: {year}`, "
            f"`holidays` and `makeup_working_days`): over the routing service's calendar API, "
            f"or as a YAML or JSON file in the directory named by the `calendar_dir` setting "
            f"(WENZE_CALENDAR_DIR)."
        )

    def __reduce__(self) -> tuple[type[CalendarYearMissing], tuple[int, tuple[int, int] | None]]:
        return (type(self), (self.year, self.library_years))


class YearDefinitionError(CalendarError, ValueError):
    """A year definition file could not be read or is invalid."""


class CalendarConflict(CalendarError, ValueError):
    """A loaded year disagrees with the bundled library data for the same year."""
