"""The working-day calendar of this process: library years plus years loaded over the API.

Loaded years are files in the calendar directory, in the format ``wenze.calendar`` reads
(``WorkingCalendar.from_directory``): ``WENZE_CALENDAR_DIR`` when set, so the same
directory the rest of the platform reads is the one written here, else ``calendar/`` under
the service's data dir. A year is validated in full, including its agreement with the
bundled data, before its file is written; the file is written under a temporary name and
renamed, so a crash never leaves a half-written year that would stop the next start.

Deadline computations of this service take their calendar from :func:`calendar_store`
(``pack.evaluate(..., calendar=store.calendar)``), so a year loaded here counts at once.
Other processes sharing the directory see it when they next load the directory.
"""

from __future__ import annotations

import asyncio
import logging
import os
from pathlib import Path

from fastapi import Request

from wenze.auth import Principal
from wenze.calendar import (
    CalendarConflict,
    CalendarSettings,
    WorkingCalendar,
    YearDefinition,
    YearDefinitionError,
    dumps_year_definition,
    load_year_definition,
)
from wenze.calendar.year_definition import DEFINITION_SUFFIXES, JSON_SUFFIXES
from wenze.problems import NotFound, Problem, ValidationFailed
from wenze_routing.calendar.schemas import CalendarYears, LibraryRange, LoadedYear, StoredYear

logger = logging.getLogger(__name__)


class CalendarUnavailable(Problem):
    # The files were put there by an operator, not by the request: a server-side state.
    status = 503
    slug = "calendar-unavailable"
    title = "The working-day calendar cannot be loaded"


class YearNotCovered(NotFound):
    slug = "calendar-year-not-covered"
    title = "No official calendar for that year"


def _invalid(field: str, reason: str, code: str) -> ValidationFailed:
    return ValidationFailed(f"{field}: {reason}", extra={"errors": [{"field": field, "reason": reason, "code": code}]})


def calendar_directory(data_dir: Path, settings: CalendarSettings | None = None) -> Path:
    settings = settings if settings is not None else CalendarSettings()
    return settings.calendar_dir if settings.calendar_dir is not None else data_dir / "calendar"


class CalendarStore:
    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self._calendar: WorkingCalendar | None = None
        self._files: dict[int, str] = {}
        self._lock = asyncio.Lock()

    @property
    def calendar(self) -> WorkingCalendar:
        if self._calendar is None:
            self._load()
        assert self._calendar is not None
        return self._calendar

    def _load(self) -> None:
        try:
            if self.directory.is_dir():
                calendar = WorkingCalendar.from_directory(self.directory)
            else:
                calendar = WorkingCalendar()
        except (YearDefinitionError, CalendarConflict) as exc:
            raise CalendarUnavailable(str(exc)) from exc
        self._files = self._files_by_year() if calendar.loaded_years else {}
        self._calendar = calendar

    def _definition_files(self) -> list[Path]:
        if not self.directory.is_dir():
            return []
        return sorted(p for p in self.directory.iterdir() if p.is_file() and p.suffix.lower() in DEFINITION_SUFFIXES)

    def _files_by_year(self) -> dict[int, str]:
        found: dict[int, str] = {}
        for path in self._definition_files():
            try:
                found[load_year_definition(path).year] = path.name
            except YearDefinitionError:
                # from_directory has already refused a directory holding such a file.
                continue
        return found

    def years(self) -> CalendarYears:
        calendar = self.calendar
        library = calendar.library_years
        covered = sorted({*library, *calendar.loaded_years})
        return CalendarYears(
            covered=covered,
            library=LibraryRange(first=library.start, last=library.stop - 1),
            loaded=[LoadedYear.of(d, self._files.get(d.year, "")) for d in calendar.definitions],
        )

    def year(self, year: int) -> YearDefinition:
        calendar = self.calendar
        for definition in calendar.definitions:
            if definition.year == year:
                return definition
        if year in calendar.library_years:
            return YearDefinition.from_library(year)
        raise YearNotCovered(
            f"no official calendar for {year}: the bundled data covers "
            f"{calendar.library_years.start}–{calendar.library_years.stop - 1} and {year} has not "
            f"been loaded; a calendar administrator can PUT /v1/calendar/years/{year}"
        )

    async def store(self, year: int, definition: YearDefinition, principal: Principal) -> StoredYear:
        if definition.year != year:
            raise _invalid("body.year", f"is {definition.year}, the path names {year}", "year_mismatch")
        async with self._lock:
            current = self.calendar
            try:
                updated = current.with_year(definition)
            except CalendarConflict as exc:
                # Either a date is mistyped or the notice really differs from the bundled
                # data; the message lists the days and names the flag for the latter.
                raise _invalid("body", str(exc), "disagrees_with_library") from exc
            created = year not in current.loaded_years
            name = self._files.get(year) or f"{year}.yaml"
            self._write(name, definition)
            self._files[year] = name
            self._calendar = updated
        logger.info(
            "calendar year %s loaded into %s by %s of %s",
            year,
            self.directory / name,
            principal.username,
            principal.tenant,
        )
        return StoredYear(created=created, loaded=LoadedYear.of(definition, name), definition=definition)

    def _write(self, name: str, definition: YearDefinition) -> None:
        # An operator's own file for the year keeps its name and format, so the directory
        # never defines the year twice (which from_directory refuses).
        fmt = "json" if Path(name).suffix.lower() in JSON_SUFFIXES else "yaml"
        self.directory.mkdir(parents=True, exist_ok=True)
        target = self.directory / name
        partial = self.directory / f".{name}.partial"
        partial.write_text(dumps_year_definition(definition, format=fmt), encoding="utf-8")
        os.replace(partial, target)


async def calendar_store(request: Request) -> CalendarStore:
    """The process's store, created on first use from the service settings."""
    state = request.app.state
    store = getattr(state, "calendar_store", None)
    if store is None:
        store = CalendarStore(calendar_directory(state.runtime.settings.data_dir))
        state.calendar_store = store
    return store
