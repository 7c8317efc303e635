"""Declarative deadline specifications, as written in rule packs, and computed deadlines."""

from __future__ import annotations

import datetime as dt
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field, model_validator

from wenze.calendar.arithmetic import (
    add_calendar_days,
    add_months,
    add_years,
    month_end,
    next_day_of_month,
)
from wenze.calendar.working_calendar import WorkingCalendar


class DeadlineKind(StrEnum):
    WORKING_DAYS = "working_days"
    CALENDAR_DAYS = "calendar_days"
    MONTHS = "months"
    YEARS = "years"
    DAY_OF_MONTH = "day_of_month"
    MONTH_END = "month_end"


_SHIFT_KINDS = frozenset(
    {DeadlineKind.WORKING_DAYS, DeadlineKind.CALENDAR_DAYS, DeadlineKind.MONTHS, DeadlineKind.YEARS}
)


class DeadlineSpec(BaseModel):
    """How a deadline follows from its start date.

    * ``working_days``: ``amount`` working days after start (see ``WorkingCalendar``).
    * ``calendar_days`` / ``months`` / ``years``: start shifted by ``amount`` units; months
      and years clamp to the month end.
    * ``day_of_month``: the first ``day``-th of a month on or after start; ``amount`` (default
      0) skips that many further months, so ``day=28, amount=1`` is "the 28th of the month
      after the next 28th".
    * ``month_end``: the end of start's month; ``amount`` (default 0) months later.

    ``roll_to_working_day`` (default False) moves a due date that is not a working day to
    the next working day. It is opt-in because most disciplinary rules count calendar days
    strictly and only some documents say a deadline falling on a holiday is extended; it
    has no meaning for ``working_days`` and is rejected there.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    kind: DeadlineKind
    amount: int | None = None
    day: int | None = Field(default=None, ge=1, le=31)
    roll_to_working_day: bool = False

    @model_validator(mode="after")
    def _check_fields(self) -> DeadlineSpec:
        if self.kind in _SHIFT_KINDS and self.amount is None:
            raise ValueError(f"a {self.kind.value} deadline needs an amount")
        if self.kind in (DeadlineKind.DAY_OF_MONTH, DeadlineKind.MONTH_END):
            if self.amount is not None and self.amount < 0:
                raise ValueError(f"a {self.kind.value} deadline cannot have a negative amount")
        if self.kind is DeadlineKind.DAY_OF_MONTH and self.day is None:
            raise ValueError("a day_of_month deadline needs a day (1-31)")
        if self.kind is not DeadlineKind.DAY_OF_MONTH and self.day is not None:
            raise ValueError(f"day only applies to day_of_month deadlines, not {self.kind.value}")
        if self.kind is DeadlineKind.WORKING_DAYS and self.roll_to_working_day:
            raise ValueError("roll_to_working_day does not apply to working_days deadlines")
        return self

    def _unrolled(self, start: dt.date, calendar: WorkingCalendar) -> dt.date:
        amount = self.amount or 0
        match self.kind:
            case DeadlineKind.WORKING_DAYS:
                return calendar.add_working_days(start, amount)
            case DeadlineKind.CALENDAR_DAYS:
                return add_calendar_days(start, amount)
            case DeadlineKind.MONTHS:
                return add_months(start, amount)
            case DeadlineKind.YEARS:
                return add_years(start, amount)
            case DeadlineKind.DAY_OF_MONTH:
                assert self.day is not None
                first = next_day_of_month(start, self.day)
                return next_day_of_month(add_months(first.replace(day=1), amount), self.day)
            case DeadlineKind.MONTH_END:
                return month_end(add_months(start.replace(day=1), amount))

    def compute(self, start: dt.date, calendar: WorkingCalendar) -> dt.date:
        return self.deadline(start, calendar).due

    def deadline(self, start: dt.date, calendar: WorkingCalendar) -> Deadline:
        due = self._unrolled(start, calendar)
        rolled_from: dt.date | None = None
        if self.roll_to_working_day:
            rolled = calendar.next_working_day(due)
            if rolled != due:
                rolled_from, due = due, rolled
        return Deadline(due=due, kind=self.kind, spec=self, start=start, rolled_from=rolled_from)


class Deadline(BaseModel):
    """A computed deadline: the due date (last day allowed, inclusive) and how it arose."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    due: dt.date
    kind: DeadlineKind
    spec: DeadlineSpec
    start: dt.date
    # The unrolled due date when roll_to_working_day moved it, for explanations.
    rolled_from: dt.date | None = None

    def is_overdue(self, on: dt.date) -> bool:
        return on > self.due
