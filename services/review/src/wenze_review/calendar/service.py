"""The working-day calendar review counts a tenant's deadlines in: the same as routing's
(ADR 0011), kept as a copy routing's calendar events build (ADR 0031).

National years are the bundled data and the operator's seed directory, as in every process,
and the years platform operators loaded through routing, which routing tells with
``calendar.year_loaded``. A tenant's local days come with ``calendar.local_days_declared``.
Each event carries the whole year, and the later stamp wins, so redelivery and reordering
leave the copy as routing's store is.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from wenze.calendar import LocalDays, WorkingCalendar, YearDefinition
from wenze.events.routing import CalendarYearLoaded, LocalDaysDeclared
from wenze.rules.deadlines import default_calendar
from wenze_review.repositories import ReviewUnitOfWork, ReviewUnitOfWorkFactory

CONSUMER_YEARS = "review-calendar-year-loaded"
CONSUMER_LOCAL_DAYS = "review-calendar-local-days"


def _seeded() -> WorkingCalendar:
    calendar: WorkingCalendar = default_calendar()
    return calendar


class CalendarService:
    def __init__(self, uow: ReviewUnitOfWorkFactory, *, seeded: Callable[[], WorkingCalendar] = _seeded) -> None:
        """``seeded``: the calendar every process has without routing (bundled data and seed directory)."""
        self.uow = uow
        self.seeded = seeded
        self._national: tuple[list[tuple[int, dt.datetime]], WorkingCalendar] | None = None

    async def national(self, uow: ReviewUnitOfWork) -> WorkingCalendar:
        """Raises ``CalendarError`` when a seed file disagrees with the bundled data."""
        stamps = await uow.repos.calendar.national_stamps()
        if self._national is not None and self._national[0] == stamps:
            return self._national[1]
        definitions = {d.year: d for d in self.seeded().definitions}
        rows = await uow.repos.calendar.national_years()
        definitions.update((row.year, YearDefinition.model_validate(row.definition)) for row in rows)
        calendar = WorkingCalendar(definitions.values())
        self._national = (stamps, calendar)
        return calendar

    async def for_tenant(self, uow: ReviewUnitOfWork, tenant: str) -> WorkingCalendar:
        """The calendar ``tenant``'s deadlines are counted in: the national one plus its local days."""
        national = await self.national(uow)
        rows = await uow.repos.calendar.local_days(tenant)
        if not rows:
            return national
        return national.with_local_days(LocalDays.model_validate(row.days) for row in rows)

    # -- from routing ---------------------------------------------------------------------

    async def year_loaded(self, event: CalendarYearLoaded) -> None:
        async with self.uow() as uow:
            if await uow.repos.inbox.seen(str(event.event_id), CONSUMER_YEARS):
                return
            await uow.repos.calendar.store_national(
                event.year, event.definition.model_dump(mode="json"), event.loaded_by, event.loaded_at
            )
            uow.repos.inbox.record(str(event.event_id), CONSUMER_YEARS, event.subject)
            await uow.commit()

    async def local_days_declared(self, event: LocalDaysDeclared) -> None:
        async with self.uow() as uow:
            if await uow.repos.inbox.seen(str(event.event_id), CONSUMER_LOCAL_DAYS):
                return
            await uow.repos.calendar.store_local(
                event.tenant, event.year, event.days.model_dump(mode="json"), event.declared_by, event.declared_at
            )
            uow.repos.inbox.record(str(event.event_id), CONSUMER_LOCAL_DAYS, event.subject)
            await uow.commit()
