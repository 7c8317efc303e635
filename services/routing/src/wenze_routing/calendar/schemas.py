"""What the calendar API returns. A year is written as a ``wenze.calendar.YearDefinition``."""

from __future__ import annotations

from pydantic import BaseModel, Field

from wenze.calendar import YearDefinition


class LoadedYear(BaseModel):
    year: int
    source: str | None = Field(default=None, description="the notice the dates were taken from")
    replaces_library: bool
    holidays: int
    makeup_working_days: int
    file: str = Field(description="file name under the calendar directory")

    @classmethod
    def of(cls, definition: YearDefinition, file: str) -> LoadedYear:
        return cls(
            year=definition.year,
            source=definition.source,
            replaces_library=definition.replaces_library,
            holidays=len(definition.holidays),
            makeup_working_days=len(definition.makeup_working_days),
            file=file,
        )


class LibraryRange(BaseModel):
    first: int
    last: int


class CalendarYears(BaseModel):
    covered: list[int] = Field(description="every year deadlines can be computed in")
    library: LibraryRange = Field(description="years of the bundled official calendar data")
    loaded: list[LoadedYear] = Field(description="years loaded by tenant administrators")


class StoredYear(BaseModel):
    created: bool = Field(description="false when an earlier loaded definition of the year was replaced")
    loaded: LoadedYear
    definition: YearDefinition
