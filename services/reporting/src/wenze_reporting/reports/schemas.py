"""The reports as data: every export and chart is drawn from these models.

A report holds no moment of its own making: the same read model and the same period give the
same report, byte for byte, which is what a rebuild from the streams is checked against.
"""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import BaseModel, Field

ReportKind = Literal["monthly", "month_end", "half_year", "statistics"]
ExportFormat = Literal["json", "csv", "xlsx"]
ChartName = Literal["monthly-trend", "measures-by-level", "backlog-by-office"]
ChartFormat = Literal["png", "svg"]


class Count(BaseModel):
    code: str | None
    label: str
    count: int


class Duty(BaseModel):
    """A reporting duty the pack sets for the period: what is owed, by when, under which article."""

    label: str
    due: dt.date | None
    citations: list[str]


class StampedReading(BaseModel):
    """An interpretation point of the pack and the reading the period's figures were read under."""

    point: str
    question: str
    reading: str
    label: str
    default: bool = Field(description="whether the reading is the pack's default rather than the tenant's choice")
    in_force_from: dt.date = Field(
        description="the period's first day, or the later day within it the reading took over"
    )
    citations: list[str]


class Stamp(BaseModel):
    """What a report was computed from: tenant, period, the rules in force, whose view."""

    tenant: str
    tenant_title: str
    kind: ReportKind
    title: str
    period_start: dt.date
    period_end: dt.date
    cut_off: str
    rule_pack: str
    rule_pack_version: str
    documents: list[str]
    duties: list[Duty]
    interpretations: list[StampedReading] = Field(
        default_factory=list, description="the tenant's readings of the pack's interpretation points for the period"
    )
    scope: str


class Totals(BaseModel):
    received: int = 0
    accepted: int = 0
    rejected: int = 0
    routed: int = 0
    consultations: int = 0
    decided: int = 0
    persons: int = 0
    organisations: int = 0
    measures: int = 0


class OfficeFigures(BaseModel):
    code: str | None
    label: str
    routed: int
    decided: int
    open_at_end: int


class Figures(BaseModel):
    totals: Totals
    by_source: list[Count]
    by_form: list[Count]
    by_measure: list[Count]
    by_measure_group: list[Count]
    by_cadre_level: list[Count]
    by_unit: list[Count]
    by_office: list[OfficeFigures]


class PeriodReport(BaseModel):
    """The monthly figures (月报) or the month-end summary."""

    stamp: Stamp
    figures: Figures


class Trend(BaseModel):
    key: str
    label: str
    current: int
    previous: int
    change: int
    change_percent: float | None


class OverdueDeadline(BaseModel):
    matter_number: str
    office: str
    office_label: str
    duty: str
    label: str
    due_on: dt.date
    citations: list[str]


class Backlog(BaseModel):
    code: str | None
    label: str
    open: int
    oldest_routed_on: dt.date | None


class HalfYearReport(BaseModel):
    """The half-year analysis: the period's figures against the previous half-year's, missed
    deadlines, and the offices left with open matters."""

    stamp: Stamp
    figures: Figures
    previous_period_start: dt.date
    previous_period_end: dt.date
    previous: Totals
    trend: list[Trend]
    overdue_deadlines: list[OverdueDeadline]
    overdue_by_office: list[Count]
    backlogs: list[Backlog]


class LevelFigures(BaseModel):
    code: str | None
    label: str
    persons: int
    by_group: list[Count]


class StatisticsReport(BaseModel):
    """The figures the Hubei report gives: matters, persons, party and government sanctions
    against organisational measures, by cadre level."""

    stamp: Stamp
    matters: int
    persons: int
    organisations: int
    persons_by_group: list[Count]
    by_level: list[LevelFigures]


class MonthPoint(BaseModel):
    month: str
    received: int
    accepted: int
    decided: int


class MonthlyTrend(BaseModel):
    stamp: Stamp
    months: list[MonthPoint]


AnyReport = PeriodReport | HalfYearReport | StatisticsReport
