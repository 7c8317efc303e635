"""The reports page's query: which report, for which period, read from the URL's parameters so a
page can be linked to and reloaded."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from starlette.datastructures import QueryParams

# What reporting serves, in the order the page offers it, with its name in the interface.
KINDS: dict[str, str] = {
    "monthly": "月报",
    "month-end": "月末汇总",
    "half-year": "半年分析",
    "statistics": "干部层级统计",
}
CHARTS: dict[str, str] = {
    "monthly-trend": "月度趋势（截至所选月份的十二个月）",
    "measures-by-level": "各层级干部问责人次及措施类别（所选月份所在半年）",
    "backlog-by-office": "各承办部门未办结事项（所选月份所在半年）",
}
EXPORTS: dict[str, str] = {"xlsx": "Excel 工作簿", "csv": "CSV 表格"}
CHART_FORMATS = ("png", "svg")
# Reporting refuses years outside these; the console says so before asking it.
FIRST_YEAR = 2000
LAST_YEAR = 2100


class QueryRefused(Exception):
    """A parameter of the page's URL does not fit: the field and why, in the interface's words."""

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(f"{field}: {reason}")
        self.field = field
        self.reason = reason


def year_param(raw: str | None, default: int) -> int:
    if raw in (None, ""):
        return default
    if not raw.isdigit() or not FIRST_YEAR <= int(raw) <= LAST_YEAR:
        raise QueryRefused("年份", f"须为 {FIRST_YEAR} 至 {LAST_YEAR} 之间的整数")
    return int(raw)


def bounded_param(raw: str | None, default: int, field: str, low: int, high: int) -> int:
    if raw in (None, ""):
        return default
    if not raw.isdigit() or not low <= int(raw) <= high:
        raise QueryRefused(field, f"须为 {low} 至 {high} 之间的整数")
    return int(raw)


def _date(raw: str | None, default: dt.date, field: str) -> dt.date:
    if raw in (None, ""):
        return default
    try:
        return dt.date.fromisoformat(raw)
    except ValueError:
        raise QueryRefused(field, "须为日期（年-月-日）") from None


@dataclass(frozen=True)
class ReportQuery:
    kind: str
    year: int
    month: int
    half: int
    start: dt.date
    end: dt.date

    @classmethod
    def parse(cls, params: QueryParams, today: dt.date) -> ReportQuery:
        kind = params.get("kind") or "monthly"
        if kind not in KINDS:
            raise QueryRefused("报表", "须为" + "、".join(KINDS.values()) + "之一")
        year = year_param(params.get("year"), today.year)
        month = bounded_param(params.get("month"), today.month, "月份", 1, 12)
        half = bounded_param(params.get("half"), 1 if today.month <= 6 else 2, "半年", 1, 2)
        start = _date(params.get("start"), dt.date(today.year, 1, 1), "起始日期")
        end = _date(params.get("end"), today, "截止日期")
        if kind == "statistics" and end < start:
            raise QueryRefused("截止日期", "不得早于起始日期")
        return cls(kind, year, month, half, start, end)

    def params(self) -> dict[str, Any]:
        """What reporting's endpoint of this kind takes."""
        if self.kind == "half-year":
            return {"year": self.year, "half": self.half}
        if self.kind == "statistics":
            return {"start": self.start.isoformat(), "end": self.end.isoformat()}
        return {"year": self.year, "month": self.month}

    def chart_month(self) -> tuple[int, int]:
        """The month the charts are drawn up to: the one asked, the half-year's last, or the
        statistics period's last."""
        if self.kind == "half-year":
            return self.year, 6 if self.half == 1 else 12
        if self.kind == "statistics":
            return self.end.year, self.end.month
        return self.year, self.month


def chart_request(chart: str, params: QueryParams) -> tuple[int, int, str]:
    """The year, month and format of a chart's URL."""
    if chart not in CHARTS:
        raise QueryRefused("图表", "没有这个图表")
    fmt = params.get("format") or "png"
    if fmt not in CHART_FORMATS:
        raise QueryRefused("格式", "须为 png 或 svg")
    year = year_param(params.get("year"), 0) if params.get("year") else None
    month = bounded_param(params.get("month"), 0, "月份", 1, 12) if params.get("month") else None
    if year is None or month is None:
        raise QueryRefused("年份" if year is None else "月份", "必须填写")
    return year, month, fmt


def export_format(params: QueryParams) -> str:
    fmt = params.get("format") or ""
    if fmt not in EXPORTS:
        raise QueryRefused("格式", "须为 xlsx 或 csv")
    return fmt
