"""What the calendar API returns. A national year is written as a ``wenze.calendar.YearDefinition``,
a tenant's local days as a ``wenze.calendar.LocalDays``."""

from __future__ import annotations

import datetime as dt

from pydantic import BaseModel, Field

from wenze.calendar import LocalDays, YearDefinition


class NationalYearRead(BaseModel):
    year: int
    source: str | None = Field(default=None, description="the notice the dates were taken from")
    replaces_library: bool
    holidays: int
    makeup_working_days: int
    loaded_by: str | None = Field(description="the platform operator; null for a year from the seed directory")
    loaded_at: dt.datetime | None

    @classmethod
    def of(
        cls, definition: YearDefinition, loaded_by: str | None = None, loaded_at: dt.datetime | None = None
    ) -> NationalYearRead:
        return cls(
            year=definition.year,
            source=definition.source,
            replaces_library=definition.replaces_library,
            holidays=len(definition.holidays),
            makeup_working_days=len(definition.makeup_working_days),
            loaded_by=loaded_by,
            loaded_at=loaded_at,
        )


class LocalDaysRead(LocalDays):
    declared_by: str = Field(description="the tenant's calendar administrator")
    declared_at: dt.datetime


class LibraryRange(BaseModel):
    first: int
    last: int


class CalendarYears(BaseModel):
    covered: list[int] = Field(description="every year deadlines can be computed in")
    library: LibraryRange = Field(description="years of the bundled official calendar data")
    national: list[NationalYearRead] = Field(description="national years loaded by platform operators or seeded")
    local: list[LocalDaysRead] = Field(description="the caller's tenant's local days (none for a platform operator)")


class CalendarYearRead(BaseModel):
    """One year as the caller's tenant counts it: the national calendar and its local days."""

    year: int
    national: YearDefinition
    local: LocalDaysRead | None = Field(description="the caller's tenant's local days of the year, if any")


class StoredYear(BaseModel):
    created: bool = Field(description="false when an earlier loaded definition of the year was replaced")
    loaded: NationalYearRead
    definition: YearDefinition


class StoredLocalDays(BaseModel):
    created: bool = Field(description="false when the tenant's earlier local days of the year were replaced")
    local: LocalDaysRead
