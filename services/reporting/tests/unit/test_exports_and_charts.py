"""Exports and charts of a report, with no database: an XLSX with formatted sheets, a CSV and
JSON that say the same, and PNG and SVG charts drawn with a CJK font."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json

import pytest
from openpyxl import load_workbook

from wenze_reporting.reports import charts, exports
from wenze_reporting.reports.schemas import (
    Backlog,
    Count,
    Figures,
    HalfYearReport,
    LevelFigures,
    MonthlyTrend,
    MonthPoint,
    OfficeFigures,
    PeriodReport,
    Stamp,
    StatisticsReport,
    Totals,
)

STAMP = Stamp(
    tenant="kunshan",
    tenant_title="昆山市纪委监委问责工作规则",
    kind="monthly",
    title="问责工作月报（承办部门月度数据）",
    period_start=dt.date(2026, 3, 1),
    period_end=dt.date(2026, 3, 28),
    cut_off="每月28日截止",
    rule_pack="kunshan",
    rule_pack_version="sha256:0123456789abcdef",
    documents=["昆纪办发〔2019〕19号"],
    duties=[],
    scope="全部问责事项",
)


def period_report(*, empty: bool = False) -> PeriodReport:
    if empty:
        return PeriodReport(
            stamp=STAMP,
            figures=Figures(
                totals=Totals(),
                by_source=[],
                by_form=[],
                by_measure=[],
                by_measure_group=[],
                by_cadre_level=[],
                by_unit=[],
                by_office=[],
            ),
        )
    return PeriodReport(
        stamp=STAMP,
        figures=Figures(
            totals=Totals(received=12, accepted=10, rejected=2, routed=9, decided=4, persons=5, measures=6),
            by_source=[Count(code="inspection", label="市委巡察机构等移送", count=12)],
            by_form=[Count(code="form_1", label="第一种形态", count=10)],
            by_measure=[Count(code="removal_from_post", label="免职", count=6)],
            by_measure_group=[Count(code="organisational", label="组织处理", count=6)],
            by_cadre_level=[Count(code="city_managed", label="市管干部", count=5)],
            by_unit=[Count(code="玉山镇", label="玉山镇", count=5)],
            by_office=[OfficeFigures(code="case_trial_office", label="案件审理室", routed=9, decided=4, open_at_end=5)],
        ),
    )


@pytest.mark.parametrize("empty", [False, True])
def test_the_xlsx_has_a_formatted_sheet_per_section(empty: bool) -> None:
    workbook = load_workbook(io.BytesIO(exports.to_xlsx(period_report(empty=empty))))
    assert workbook.sheetnames[0] == "报表信息"
    assert "按承办部门" in workbook.sheetnames
    info = workbook["报表信息"]
    assert "昆山市纪委监委问责工作规则" in info["A1"].value
    assert any(row[1].value == "kunshan sha256:0123456789abcdef" for row in info.iter_rows(min_row=3))
    offices = workbook["按承办部门"]
    assert offices["A3"].font.bold and offices["A3"].fill.fgColor.rgb.endswith("1F4E79")
    assert offices.freeze_panes == "A4"
    if empty:
        assert offices["A4"].value == "本期无数据"
    else:
        assert [c.value for c in offices[3]] == ["名称", "分办", "作出决定", "期末未办结"]
        assert [c.value for c in offices[4]] == ["案件审理室", 9, 4, 5]
        assert offices["B4"].number_format == "#,##0"


def test_csv_and_json_say_the_same() -> None:
    report = period_report()
    rows = list(csv.DictReader(io.StringIO(exports.to_csv(report).decode("utf-8-sig"))))
    received = next(r for r in rows if r["section"] == "totals" and r["column"] == "count" and r["row"] == "1")
    assert received["value"] == "12"
    assert any(r["section"] == "stamp" and "sha256:0123456789abcdef" in r["value"] for r in rows)
    data = json.loads(exports.to_json(report))
    assert data["figures"]["totals"]["received"] == 12
    assert data["stamp"]["rule_pack_version"] == "sha256:0123456789abcdef"


def test_charts_need_and_find_a_cjk_font() -> None:
    assert charts.cjk_family() is not None, "install a CJK font: make fonts"


@pytest.mark.parametrize("fmt", ["png", "svg"])
def test_charts_render_as_png_and_svg(fmt: str) -> None:
    trend = MonthlyTrend(
        stamp=STAMP,
        months=[MonthPoint(month=f"2026-{m:02d}", received=m, accepted=m - 1, decided=m // 2) for m in range(1, 13)],
    )
    statistics = StatisticsReport(
        stamp=STAMP,
        matters=3,
        persons=3,
        organisations=0,
        persons_by_group=[
            Count(code="sanction", label="党纪政务处分", count=1),
            Count(code="organisational", label="组织处理", count=2),
        ],
        by_level=[
            LevelFigures(
                code="city_managed",
                label="市管干部",
                persons=3,
                by_group=[
                    Count(code="sanction", label="党纪政务处分", count=1),
                    Count(code="organisational", label="组织处理", count=2),
                ],
            )
        ],
    )
    half = HalfYearReport(
        stamp=STAMP,
        figures=period_report().figures,
        previous_period_start=dt.date(2025, 7, 1),
        previous_period_end=dt.date(2025, 12, 31),
        previous=Totals(),
        trend=[],
        overdue_deadlines=[],
        overdue_by_office=[],
        backlogs=[Backlog(code="case_trial_office", label="案件审理室", open=5, oldest_routed_on=dt.date(2026, 1, 5))],
    )
    for body in (
        charts.monthly_trend(trend, fmt),  # type: ignore[arg-type]
        charts.measures_by_level(statistics, fmt),  # type: ignore[arg-type]
        charts.backlog_by_office(half, fmt),  # type: ignore[arg-type]
    ):
        if fmt == "png":
            assert body.startswith(b"\x89PNG")
        else:
            text = body.decode("utf-8")
            assert text.lstrip().startswith("<?xml") and "<svg" in text
            # Text is drawn as glyph outlines, and no creation date makes two runs differ.
            assert "<dc:date>" not in text
    assert charts.monthly_trend(trend, fmt) == charts.monthly_trend(trend, fmt)  # type: ignore[arg-type]
