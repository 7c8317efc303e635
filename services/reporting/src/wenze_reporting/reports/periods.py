"""Reporting periods: calendar months, the pack's monthly cut-off, half-years."""

from __future__ import annotations

import calendar
import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from wenze.problems import invalid
from wenze.rules import RulePack, RulesError
from wenze.rules.readings import ReadingChoice, readings_in_force

FIRST_YEAR = 2000
LAST_YEAR = 2100


@dataclass(frozen=True)
class Period:
    start: dt.date
    end: dt.date


def month_start(year: int, month: int) -> dt.date:
    if not FIRST_YEAR <= year <= LAST_YEAR:
        raise invalid("year", f"must be between {FIRST_YEAR} and {LAST_YEAR}", code="year_out_of_range")
    if not 1 <= month <= 12:
        raise invalid("month", "must be between 1 and 12", code="month_out_of_range")
    return dt.date(year, month, 1)


def calendar_month(year: int, month: int) -> Period:
    start = month_start(year, month)
    return Period(start, start.replace(day=calendar.monthrange(year, month)[1]))


def previous_month(start: dt.date) -> dt.date:
    return (start - dt.timedelta(days=1)).replace(day=1)


def half_year(year: int, half: int) -> Period:
    if half not in (1, 2):
        raise invalid("half", "must be 1 (January to June) or 2 (July to December)", code="half_out_of_range")
    first = month_start(year, 1 if half == 1 else 7)
    return Period(first, calendar_month(year, 6 if half == 1 else 12).end)


def previous_half_year(year: int, half: int) -> tuple[int, int]:
    return (year, 1) if half == 2 else (year - 1, 2)


def reporting_duties(
    pack: RulePack,
    start: dt.date,
    choices: Sequence[ReadingChoice],
    *,
    half_year_start: dt.date | None = None,
) -> Any:
    """The pack's reporting decision for the period starting ``start``, read under the tenant's
    ``choices`` of interpretation points in force on ``start``; ``None`` where the pack binds
    none or its rules are not in force then (the report's figures stand without it)."""
    decision = pack.workflow_decision("reporting")
    if decision is None:
        return None
    inputs = pack.decision(decision).inputs
    facts: dict[str, Any] = {}
    if "month_start" in inputs:
        facts["month_start"] = start
    if "half_year_start" in inputs:
        facts["half_year_start"] = half_year_start or start.replace(month=1 if start.month <= 6 else 7)
    try:
        return pack.evaluate(decision, facts, on=start, readings=readings_in_force(choices, start))
    except RulesError:
        return None


def cut_off_window(pack: RulePack, year: int, month: int, choices: Sequence[ReadingChoice]) -> tuple[Period, str]:
    """The period the monthly figures cover: up to the pack's day-of-month due date (the 28th
    for Kunshan, 五.1), from the day after the previous month's; the calendar month where the
    pack sets no such day."""
    start = month_start(year, month)
    this = _day_of_month_due(pack, start, choices)
    before = _day_of_month_due(pack, previous_month(start), choices)
    if this is None or before is None:
        return calendar_month(year, month), "自然月"
    return Period(before + dt.timedelta(days=1), this), f"每月{this.day}日截止"


def _day_of_month_due(pack: RulePack, start: dt.date, choices: Sequence[ReadingChoice]) -> dt.date | None:
    evaluation = reporting_duties(pack, start, choices)
    if evaluation is None:
        return None
    due = evaluation.outcome.get("monthly_figures_due")
    if isinstance(due, dict) and due.get("kind") == "day_of_month" and due.get("due"):
        return dt.date.fromisoformat(str(due["due"]))
    return None
