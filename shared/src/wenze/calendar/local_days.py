"""A tenant's local working-day changes: the overlay on the national calendar.

The national calendar (the State Council's notice, loaded by a platform operator) holds for
every tenant. A tenant whose rule pack needs a local change (a day its offices do not work
although the nation does, or one they work although the nation does not) declares it as
:class:`LocalDays` of one year; deadlines of that tenant count it, no other tenant's do.
"""

from __future__ import annotations

import datetime as dt

from pydantic import BaseModel, ConfigDict, Field, model_validator

from wenze.calendar.year_definition import DayName, SourceCitation, date_list_problems


class LocalDay(BaseModel):
    """One date that differs locally, with the reason it does (a local holiday's name, say)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    date: dt.date
    name: DayName


class LocalDays(BaseModel):
    """One tenant's local changes to one year of the national calendar."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    year: int = Field(ge=1900, le=9999)
    days_off: tuple[LocalDay, ...] = Field(default=(), description="national working days the tenant does not work")
    working_days: tuple[LocalDay, ...] = Field(default=(), description="national days off the tenant works")
    # The local notice the changes come from, kept for audit trails.
    source: SourceCitation | None = None

    @model_validator(mode="after")
    def _check_consistency(self) -> LocalDays:
        problems = date_list_problems(
            self.year,
            [d.date for d in self.days_off],
            [d.date for d in self.working_days],
            ("day off", "days off"),
            ("working day", "working days"),
        )
        if problems:
            raise ValueError(f"invalid local days for {self.year}: " + "; ".join(problems))
        return self

    @property
    def off_dates(self) -> frozenset[dt.date]:
        return frozenset(d.date for d in self.days_off)

    @property
    def working_dates(self) -> frozenset[dt.date]:
        return frozenset(d.date for d in self.working_days)

    def name_of(self, day: dt.date) -> str | None:
        return next((d.name for d in (*self.days_off, *self.working_days) if d.date == day), None)
