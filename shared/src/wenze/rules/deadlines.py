"""Deadline outputs: a ``wenze.calendar.DeadlineSpec`` written as data, plus the fact it runs from.

In a pack a deadline is ``{kind: working_days, amount: 3, from: decided_on}``; evaluation
computes the due date with the official working-day calendar when the starting fact is
known, and otherwise returns the rule alone so a service can compute it later.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from wenze.rules.errors import CalendarUnavailableError, DeadlineUncomputableError

KINDS = ("working_days", "calendar_days", "months", "years", "day_of_month", "month_end")
SPEC_FIELDS = ("kind", "amount", "day", "roll_to_working_day")


def parse(raw: Mapping[str, Any]) -> dict[str, Any]:
    """Check a deadline written in a pack; returns the DeadlineSpec fields."""
    if not isinstance(raw, Mapping):
        raise TypeError("a deadline is a mapping {kind, amount|day, from}")
    kind = raw["kind"]
    if kind not in KINDS:
        raise ValueError(f"kind {kind!r} is not one of {KINDS}")
    if kind in ("working_days", "calendar_days", "months", "years") and not isinstance(raw.get("amount"), int):
        raise ValueError(f"{kind} needs an integer amount")
    if kind == "day_of_month" and not isinstance(raw.get("day"), int):
        raise ValueError("day_of_month needs day: 1..31")
    if not isinstance(raw.get("from"), str):
        raise ValueError("a deadline says which date fact it runs `from`")
    unknown = set(raw) - {*SPEC_FIELDS, "from"}
    if unknown:
        raise ValueError(f"unknown deadline fields {sorted(unknown)}")
    return {k: raw[k] for k in SPEC_FIELDS if k in raw}


_default: Any = None


def default_calendar() -> Any:
    """The platform calendar (official Chinese working days plus loaded years), built once."""
    global _default
    if _default is None:
        try:
            from wenze import calendar as wcal
        except ImportError as exc:  # pragma: no cover - the calendar ships with the library
            raise CalendarUnavailableError(f"wenze.calendar cannot be imported: {exc}") from exc
        _default = wcal.load_calendar()
    return _default


def evaluate(raw: Mapping[str, Any], env: Mapping[str, Any], calendar: Any = None) -> dict[str, Any]:
    fields = {k: raw[k] for k in SPEC_FIELDS if k in raw}
    start = env.get(raw["from"])
    result: dict[str, Any] = {**fields, "from": raw["from"], "start": None, "due": None}
    if isinstance(start, date):
        from wenze.calendar import CalendarError, CalendarYearMissing, DeadlineSpec

        spec = DeadlineSpec(**fields)
        result["start"] = start.isoformat()
        try:
            due = spec.compute(start, calendar if calendar is not None else default_calendar())
        except CalendarYearMissing as exc:
            # Surfaced as a rules error so the explanation, API and CLI report it like any
            # other refusal to guess, still naming the missing year.
            raise DeadlineUncomputableError(str(exc), year=exc.year, start=start.isoformat()) from exc
        except CalendarError as exc:
            raise DeadlineUncomputableError(str(exc), start=start.isoformat()) from exc
        result["due"] = due.isoformat()
    return result
