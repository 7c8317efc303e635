"""The reports as the page shows them: reporting's JSON turned into titled tables. Reporting has
already put the pack's labels on every code; the figures' own headings are the platform's."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from wenze.reports import TOTAL_LABELS
from wenze_console.reports.schemas import ReportQuery
from wenze_console.web import TenantPage

COUNTS: dict[str, str] = {
    "by_source": "按线索来源",
    "by_form": "按建议问责形态",
    "by_measure": "按问责措施",
    "by_measure_group": "按措施类别",
    "by_cadre_level": "按干部层级（人次）",
    "by_unit": "按单位",
}


@dataclass
class Table:
    title: str
    headings: list[str]
    rows: list[list[Any]]
    css: str = ""


@dataclass
class ReportView:
    stamp: dict[str, Any]
    tables: list[Table] = field(default_factory=list)


def _counts(title: str, counts: list[dict[str, Any]], heading: str = "数量") -> Table:
    return Table(title, ["项目", heading], [[c["label"], c["count"]] for c in counts])


def _figures(figures: dict[str, Any]) -> list[Table]:
    totals = figures["totals"]
    tables = [
        Table("合计", ["项目", "数量"], [[label, totals.get(key, 0)] for key, label in TOTAL_LABELS.items()], "totals")
    ]
    tables += [_counts(title, figures.get(key) or []) for key, title in COUNTS.items()]
    tables.append(
        Table(
            "各承办部门",
            ["承办部门", "分办", "作出决定", "期末未办结"],
            [[o["label"], o["routed"], o["decided"], o["open_at_end"]] for o in figures.get("by_office") or []],
            "offices",
        )
    )
    return tables


def _half_year(report: dict[str, Any]) -> list[Table]:
    previous = f"上一半年（{report['previous_period_start']} 至 {report['previous_period_end']}）"
    trend = Table(
        "与上一半年比较",
        ["项目", "本期", previous, "增减", "增减幅度"],
        [
            [
                t["label"],
                t["current"],
                t["previous"],
                f"{t['change']:+d}",
                "—" if t["change_percent"] is None else f"{t['change_percent']:+.1f}%",
            ]
            for t in report["trend"]
        ],
        "trend",
    )
    overdue = Table(
        "逾期未履行的期限",
        ["事项编号", "部门", "期限", "到期日", "依据"],
        [
            [d["matter_number"], d["office_label"], d["label"], d["due_on"], "；".join(d["citations"])]
            for d in report["overdue_deadlines"]
        ],
    )
    backlogs = Table(
        "未办结事项较多的承办部门",
        ["承办部门", "未办结", "最早分办日期"],
        [[b["label"], b["open"], b["oldest_routed_on"] or ""] for b in report["backlogs"]],
    )
    return [
        trend,
        *_figures(report["figures"]),
        overdue,
        _counts("各部门逾期数", report["overdue_by_office"]),
        backlogs,
    ]


def _statistics(report: dict[str, Any]) -> list[Table]:
    totals = Table(
        "合计",
        ["项目", "数量"],
        [
            ["作出问责决定的事项", report["matters"]],
            ["问责人次（个人）", report["persons"]],
            ["问责党组织（个）", report["organisations"]],
        ],
        "totals",
    )
    groups = [g["label"] for g in report["persons_by_group"]]
    by_level = Table(
        "按干部层级",
        ["干部层级", "人次", *groups],
        [
            [
                level["label"],
                level["persons"],
                *[next((g["count"] for g in level["by_group"] if g["label"] == name), 0) for name in groups],
            ]
            for level in report["by_level"]
        ],
    )
    return [totals, _counts("按措施类别（人次）", report["persons_by_group"], "人次"), by_level]


def report_view(page: TenantPage, query: ReportQuery) -> ReportView:
    with page.reporting() as reporting:
        report = reporting.report(query.kind, query.params())
    if query.kind == "half-year":
        tables = _half_year(report)
    elif query.kind == "statistics":
        tables = _statistics(report)
    else:
        tables = _figures(report["figures"])
    return ReportView(report["stamp"], tables)
