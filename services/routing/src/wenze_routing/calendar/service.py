"""The working-day calendar routing counts with (ADR 0011): the national calendar, one for every
tenant, and each tenant's local days, counted for that tenant alone.

National years are the bundled chinesecalendar data, the operator's read-only seed directory
(``WENZE_CALENDAR_DIR``) and the years platform operators load over the API into routing's
database; a loaded year wins over a seeded one of the same year. Every process reads the
database, so a year loaded through one replica counts in all of them at once. A process keeps
the national calendar it built until the loaded years change (building one checks every
loaded library year against the library, which takes a noticeable fraction of a second).
"""

from __future__ import annotations

import datetime as dt
import logging
from pathlib import Path

from wenze.auth import Principal
from wenze.calendar import (
    CalendarConflict,
    LocalDays,
    WorkingCalendar,
    YearDefinition,
    YearDefinitionError,
    load_year_definitions,
)
from wenze.db import UnitOfWork, UnitOfWorkFactory
from wenze.events.routing import CalendarYearLoaded, LocalDaysDeclared
from wenze.problems import NotFound, Problem, invalid
from wenze_routing.audit import by_caller
from wenze_routing.calendar.models import TenantLocalDays
from wenze_routing.calendar.repository import CalendarStamps
from wenze_routing.calendar.schemas import (
    CalendarYearRead,
    CalendarYears,
    LibraryRange,
    LocalDaysRead,
    NationalYearRead,
    StoredLocalDays,
    StoredYear,
)
from wenze_routing.repositories import RoutingRepositories

logger = logging.getLogger(__name__)


class CalendarUnavailable(Problem):
    # The seed files were put there by an operator, not by the request: a server-side state.
    status = 503
    slug = "calendar-unavailable"
    title = "The working-day calendar cannot be loaded"


class YearNotCovered(NotFound):
    slug = "calendar-year-not-covered"
    title = "No official calendar for that year"


class LocalDaysNotFound(NotFound):
    slug = "local-days-not-found"
    title = "The tenant has declared no local days for that year"


def _local_read(row: TenantLocalDays) -> LocalDaysRead:
    return LocalDaysRead.model_validate({**row.days, "declared_by": row.declared_by, "declared_at": row.declared_at})


class CalendarService:
    def __init__(self, uow: UnitOfWorkFactory[RoutingRepositories], seed_dir: Path | None) -> None:
        """``seed_dir``: the operator's read-only directory of national years, if any."""
        self.uow = uow
        self.seed_dir = seed_dir
        self._seeded: tuple[YearDefinition, ...] | None = None
        self._national: tuple[tuple[tuple[int, dt.datetime], ...], WorkingCalendar] | None = None
        self._tenants: dict[str, tuple[CalendarStamps, WorkingCalendar]] = {}

    # ------------------------------------------------------------------ counting

    async def national(self, uow: UnitOfWork[RoutingRepositories]) -> WorkingCalendar:
        """The national calendar as stored now: library, seed files and loaded years."""
        return await self._national_as_of(uow, (await uow.repos.calendar.stamps(None)).national)

    async def _national_as_of(
        self, uow: UnitOfWork[RoutingRepositories], stamps: tuple[tuple[int, dt.datetime], ...]
    ) -> WorkingCalendar:
        if self._national is not None and self._national[0] == stamps:
            return self._national[1]
        rows = await uow.repos.calendar.national_years()
        definitions = {d.year: d for d in self._seed()}
        definitions.update((row.year, YearDefinition.model_validate(row.definition)) for row in rows)
        try:
            calendar = WorkingCalendar(definitions.values())
        except CalendarConflict as exc:
            # Only a seed file can disagree with the library: loaded years are checked first.
            raise CalendarUnavailable(f"the seed directory disagrees with the bundled data: {exc}") from exc
        self._national = (tuple((row.year, row.loaded_at) for row in rows), calendar)
        return calendar

    async def for_tenant(self, uow: UnitOfWork[RoutingRepositories], tenant: str) -> WorkingCalendar:
        """The calendar ``tenant``'s deadlines are counted in: the national one plus its local
        days. Kept between calls while what is stored has the same stamps: every routed batch
        asks, and reading and building it each time was a sixth of routing a matter's CPU."""
        stamps = await uow.repos.calendar.stamps(tenant)
        cached = self._tenants.get(tenant)
        if cached is not None and cached[0] == stamps:
            return cached[1]
        national = await self._national_as_of(uow, stamps.national)
        rows = await uow.repos.calendar.local_days(tenant) if stamps.local else []
        calendar = national.with_local_days(LocalDays.model_validate(row.days) for row in rows) if rows else national
        self._tenants[tenant] = (stamps, calendar)
        return calendar

    async def tenant_calendar(self, tenant: str) -> WorkingCalendar:
        async with self.uow() as uow:
            return await self.for_tenant(uow, tenant)

    def _seed(self) -> tuple[YearDefinition, ...]:
        if self._seeded is None:
            try:
                self._seeded = tuple(load_year_definitions(self.seed_dir)) if self.seed_dir is not None else ()
            except YearDefinitionError as exc:
                raise CalendarUnavailable(str(exc)) from exc
        return self._seeded

    # ------------------------------------------------------------------ API

    async def years(self, principal: Principal) -> CalendarYears:
        # Read models are made inside the unit of work: leaving it expires what it loaded.
        async with self.uow() as uow:
            national = await self.national(uow)
            loaded = {row.year: (row.loaded_by, row.loaded_at) for row in await uow.repos.calendar.national_years()}
            local = (
                []
                if principal.is_platform_operator
                else [_local_read(row) for row in await uow.repos.calendar.local_days(principal.tenant)]
            )
        library = national.library_years
        return CalendarYears(
            covered=sorted({*library, *national.loaded_years}),
            library=LibraryRange(first=library.start, last=library.stop - 1),
            national=[NationalYearRead.of(d, *loaded.get(d.year, (None, None))) for d in national.definitions],
            local=local,
        )

    async def year(self, principal: Principal, year: int) -> CalendarYearRead:
        async with self.uow() as uow:
            national = await self.national(uow)
            row = None
            if not principal.is_platform_operator:
                row = await uow.repos.calendar.local_year(principal.tenant, year)
            local = _local_read(row) if row is not None else None
        definition = next((d for d in national.definitions if d.year == year), None)
        if definition is None:
            if year not in national.library_years:
                raise YearNotCovered(
                    f"no official calendar for {year}: the bundled data covers {national.library_years.start}–"
                    f"{national.library_years.stop - 1} and {year} has not been loaded; a platform operator "
                    f"can PUT /v1/calendar/years/{year}"
                )
            definition = YearDefinition.from_library(year)
        return CalendarYearRead(year=year, national=definition, local=local)

    async def load_national(
        self, principal: Principal, year: int, definition: YearDefinition, *, client_address: str | None = None
    ) -> StoredYear:
        if definition.year != year:
            raise invalid("body.year", f"is {definition.year}, the path names {year}", code="year_differs_from_path")
        async with self.uow() as uow:
            national = await self.national(uow)
            try:
                national.with_year(definition)
            except CalendarConflict as exc:
                # Either a date is mistyped or the notice really differs from the bundled
                # data; the message lists the days and names the flag for the latter.
                raise invalid("body", str(exc), code="disagrees_with_bundled_calendar") from exc
            row = await uow.repos.calendar.store_national(year, definition.model_dump(mode="json"), principal.username)
            stored = StoredYear(
                created=year not in national.loaded_years,
                loaded=NationalYearRead.of(definition, row.loaded_by, row.loaded_at),
                definition=definition,
            )
            # On the platform's own chain: a national year counts for every tenant.
            record = by_caller(
                principal,
                client_address,
                "calendar.load_national_year",
                "calendar_year",
                str(year),
                {"created": stored.created, "replaces_library": definition.replaces_library},
            )
            await uow.repos.audit.append(principal.tenant, [record])
            # Review counts its own deadlines in the same calendar (ADR 0031).
            uow.publish(
                CalendarYearLoaded(
                    tenant=principal.tenant,
                    year=year,
                    definition=definition,
                    loaded_by=row.loaded_by,
                    loaded_at=row.loaded_at,
                )
            )
            await uow.commit()
        logger.info("national calendar year %s loaded by platform operator %.120s", year, principal.username)
        return stored

    async def local(self, principal: Principal, year: int) -> LocalDaysRead:
        async with self.uow() as uow:
            row = await uow.repos.calendar.local_year(principal.tenant, year)
            if row is None:
                detail = f"{principal.tenant} has declared no local days for {year}"
                raise LocalDaysNotFound(detail, extra={"year": year})
            return _local_read(row)

    async def declare_local(
        self, principal: Principal, year: int, days: LocalDays, *, client_address: str | None = None
    ) -> StoredLocalDays:
        if days.year != year:
            raise invalid("body.year", f"is {days.year}, the path names {year}", code="year_differs_from_path")
        async with self.uow() as uow:
            national = await self.national(uow)
            if not national.covers(year):
                raise invalid(
                    "path.year",
                    f"{year} has no national calendar yet; local days change a national year, "
                    "which a platform operator loads first",
                    code="national_year_missing",
                )
            _check_against_national(national, days)
            created = await uow.repos.calendar.local_year(principal.tenant, year) is None
            row = await uow.repos.calendar.store_local(
                principal.tenant, year, days.model_dump(mode="json"), principal.username
            )
            stored = StoredLocalDays(created=created, local=_local_read(row))
            record = by_caller(
                principal,
                client_address,
                "calendar.declare_local_days",
                "local_days",
                str(year),
                {"created": created, "days_off": len(days.days_off), "working_days": len(days.working_days)},
            )
            await uow.repos.audit.append(principal.tenant, [record])
            uow.publish(
                LocalDaysDeclared(
                    tenant=principal.tenant,
                    year=year,
                    days=days,
                    declared_by=row.declared_by,
                    declared_at=row.declared_at,
                )
            )
            await uow.commit()
        logger.info("local days of %s in %s declared by %.120s", principal.tenant, year, principal.username)
        return stored


def _check_against_national(national: WorkingCalendar, days: LocalDays) -> None:
    """A local change must change something: a day off on a national working day, a working
    day on a national day off."""
    for i, day in enumerate(days.days_off):
        if not national.is_working_day(day.date):
            raise invalid(
                f"body.days_off.{i}.date",
                f"{day.date} is a day off nationally already ({national.holiday_name(day.date) or 'weekend'}); "
                "a local day off is a national working day the tenant does not work",
                code="national_day_off_already",
            )
    for i, day in enumerate(days.working_days):
        if national.is_working_day(day.date):
            raise invalid(
                f"body.working_days.{i}.date",
                f"{day.date} is a national working day already; a local working day is a national day off "
                "the tenant works",
                code="national_working_day_already",
            )
