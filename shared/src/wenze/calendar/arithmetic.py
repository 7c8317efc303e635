"""Calendar arithmetic that needs no holiday data.

None of these functions consult the working-day calendar, so they work for any year.
"""

from __future__ import annotations

import calendar as _stdlib_calendar
import datetime as dt


def days_in_month(year: int, month: int) -> int:
    return _stdlib_calendar.monthrange(year, month)[1]


def add_calendar_days(start: dt.date, n: int) -> dt.date:
    """``start`` plus ``n`` calendar days; "within 15 days from receipt" of 2026-03-02 is
    ``add_calendar_days(date(2026, 3, 2), 15) == date(2026, 3, 17)``."""
    return start + dt.timedelta(days=n)


def add_months(start: dt.date, n: int) -> dt.date:
    """Same day ``n`` months later, clamped to the month's last day (01-31 + 1 → 02-28/29)."""
    index = start.year * 12 + (start.month - 1) + n
    year, month0 = divmod(index, 12)
    month = month0 + 1
    return dt.date(year, month, min(start.day, days_in_month(year, month)))


def add_years(start: dt.date, n: int) -> dt.date:
    """Same day ``n`` years later; 29 February becomes 28 February in common years."""
    return add_months(start, 12 * n)


def month_end(start: dt.date) -> dt.date:
    """Last day of ``start``'s month (``start`` itself when it is the last day)."""
    return start.replace(day=days_in_month(start.year, start.month))


def next_day_of_month(start: dt.date, day: int) -> dt.date:
    """The first date on or after ``start`` that is the ``day``-th of its month.

    "On or after": a start falling on the ``day``-th is due that same day, since a
    "by the 28th" deadline has not passed on the 28th. Months shorter than ``day`` use
    their last day (``day=31`` in April → 30 April; ``day=30`` in February → 28/29 Feb).
    """
    if not 1 <= day <= 31:
        raise ValueError(f"day of month must be between 1 and 31, got {day}")
    this_month = start.replace(day=min(day, days_in_month(start.year, start.month)))
    if this_month >= start:
        return this_month
    following = add_months(start.replace(day=1), 1)
    return following.replace(day=min(day, days_in_month(following.year, following.month)))
