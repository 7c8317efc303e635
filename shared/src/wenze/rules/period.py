"""Periods of force: the dates between which a document, rule, intake source or numbering
pattern applies.

A period is half-open, ``[start, end)``: ``end`` is the first day no longer covered, which is
how a repeal reads (the old document stops the day the new one takes force). Either side may
be open (``None``): a document whose start is not known has been in force "since ever".
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
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
