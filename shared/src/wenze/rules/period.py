"""Periods of force: the dates between which a document, rule, intake source or numbering
pattern applies.

A period is half-open, ``[start, end)``: ``end`` is the first day no longer covered, which is
how a repeal reads (the old document stops the day the new one takes force). Either side may
be open (``None``): a document whose start is not known has been in force "since ever".
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any


def as_date(value: Any) -> date | None:
    """A date written in a pack or passed as a fact: an ISO string, a date, or ``None``."""
    if value is None or isinstance(value, date):
        return value
    return date.fromisoformat(str(value))


@dataclass(frozen=True, slots=True)
class Period:
    start: date | None = None
    end: date | None = None

    @classmethod
    def from_iso(cls, start: Any, end: Any) -> Period:
        return cls(as_date(start), as_date(end))

    @property
    def is_empty(self) -> bool:
        return self.start is not None and self.end is not None and self.start >= self.end

    @property
    def boundaries(self) -> tuple[date, ...]:
        """The days on which the period opens or closes; none for an open side."""
        return tuple(d for d in (self.start, self.end) if d is not None)

    def contains(self, on: date) -> bool:
        return (self.start is None or on >= self.start) and (self.end is None or on < self.end)

    def intersection(self, other: Period) -> Period:
        """The days in both; an open side only stays open where both are open."""
        start = max((d for d in (self.start, other.start) if d is not None), default=None)
        end = min((d for d in (self.end, other.end) if d is not None), default=None)
        return Period(start, end)

    def overlaps(self, other: Period) -> bool:
        return not self.intersection(other).is_empty

    def __str__(self) -> str:
        return f"[{self.start or '…'}, {self.end or '…'})"


# The counting windows the platform can count in (``counted_triggers``' ``window``).
WINDOW_KINDS = ("calendar_year", "rolling_year")


def counting_window(kind: str, on: date) -> Period:
    """The window a decision made ``on`` is counted in (``counted_triggers``' ``window``).

    ``calendar_year`` (年度): 1 January to 31 December of the year of ``on``.
    ``rolling_year``: the twelve months ending on ``on``, from the day after its date a year
    earlier (for 29 February, from 1 March a year earlier)."""
    if kind == "calendar_year":
        return Period(date(on.year, 1, 1), date(on.year + 1, 1, 1))
    if kind == "rolling_year":
        return Period(_year_before(on) + timedelta(days=1), on + timedelta(days=1))
    raise ValueError(f"unknown counting window {kind!r}")


def _year_before(on: date) -> date:
    try:
        return on.replace(year=on.year - 1)
    except ValueError:  # 29 February: the year before has none
        return date(on.year - 1, 2, 28)
