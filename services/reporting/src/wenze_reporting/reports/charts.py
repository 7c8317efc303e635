"""Charts of the reports, drawn with matplotlib's Agg backend (no display) as PNG or SVG.

Chinese labels need a CJK font: the platform's own (``wenze.fonts``, fetched by ``make install``)
is registered with matplotlib, else the first of ``CJK_FAMILIES`` that fontconfig knows is
used. Without one the glyphs would be drawn as empty boxes, so a chart is refused instead
(``ChartFontMissing``). SVG text is drawn
as paths, so a browser without the font shows the same picture.
"""

from __future__ import annotations

import io
from functools import cache

import matplotlib

matplotlib.use("Agg")

from matplotlib import font_manager
from matplotlib import pyplot as plt
from matplotlib.figure import Figure

from wenze.fonts import FontMissing, find_font
from wenze.problems import ServiceUnavailable
from wenze_reporting.reports.schemas import (
    ChartFormat,
    HalfYearReport,
    MonthlyTrend,
    StatisticsReport,
)

CJK_FAMILIES = ("Noto Sans CJK SC", "Noto Sans CJK JP", "WenQuanYi Zen Hei", "WenQuanYi Micro Hei", "AR PL UMing CN")
COLOURS = ("#1F4E79", "#C00000", "#7F7F7F", "#548235", "#BF9000")
MEDIA_TYPES = {"png": "image/png", "svg": "image/svg+xml"}


class ChartFontMissing(ServiceUnavailable):
    slug = "chart-font-missing"
    title = "No font with Chinese characters is installed for the charts"


@cache
def cjk_family() -> str | None:
    try:
        path = find_font()
    except FontMissing:
        installed = {f.name for f in font_manager.fontManager.ttflist}
        return next((family for family in CJK_FAMILIES if family in installed), None)
    font_manager.fontManager.addfont(str(path))
    return str(font_manager.FontProperties(fname=str(path)).get_name())


def _figure(width: float = 9.0, height: float = 5.0) -> Figure:
    family = cjk_family()
    if family is None:
        raise ChartFontMissing(
            "install a CJK font (`make install` fetches Debian's fonts-wqy-zenhei) for the reporting service's charts"
        )
    plt.rcParams["font.family"] = [family]
    plt.rcParams["axes.unicode_minus"] = False
    plt.rcParams["svg.fonttype"] = "path"
    # Fixed ids in the SVG: the same figures give the same file.
    plt.rcParams["svg.hashsalt"] = "wenze-reporting"
    return Figure(figsize=(width, height), dpi=110, layout="constrained")


def _save(figure: Figure, fmt: ChartFormat) -> bytes:
    out = io.BytesIO()
    # No creation date in the file: the same figures give the same bytes.
    metadata = {"Date": None} if fmt == "svg" else {}
    figure.savefig(out, format=fmt, metadata=metadata)
    return out.getvalue()


def _title(figure: Figure, text: str, subtitle: str) -> None:
    figure.suptitle(text, fontsize=14, fontweight="bold")
    # The stamp under the title, where no axis label can run into it.
    figure.axes[0].set_title(subtitle, fontsize=8, color="#595959", loc="right")


def _stamp_line(tenant_title: str, start: str, end: str, version: str) -> str:
    return f"{tenant_title}｜{start} 至 {end}｜规则包 {version}"


def monthly_trend(trend: MonthlyTrend, fmt: ChartFormat) -> bytes:
    figure = _figure()
    axes = figure.subplots()
    months = [p.month for p in trend.months]
    for (label, values), colour in zip(
        (
            ("收到", [p.received for p in trend.months]),
            ("受理", [p.accepted for p in trend.months]),
            ("作出问责决定", [p.decided for p in trend.months]),
        ),
        COLOURS,
        strict=False,
    ):
        axes.plot(months, values, marker="o", label=label, color=colour)
    axes.set_xlabel("月份")
    axes.set_ylabel("问责事项（件）")
    axes.tick_params(axis="x", rotation=45)
    axes.grid(axis="y", alpha=0.3)
    axes.legend()
    axes.set_ylim(bottom=0)
    s = trend.stamp
    _title(
        figure,
        f"{s.tenant_title} 问责事项月度趋势",
        _stamp_line(s.tenant_title, str(s.period_start), str(s.period_end), s.rule_pack_version),
    )
    return _save(figure, fmt)


def measures_by_level(statistics: StatisticsReport, fmt: ChartFormat) -> bytes:
    figure = _figure()
    axes = figure.subplots()
    levels = [f.label for f in statistics.by_level]
    groups = [c.label for c in statistics.persons_by_group]
    # Side by side, not stacked: one person may receive measures of several groups.
    width = 0.8 / max(len(groups), 1)
    for index, (group, colour) in enumerate(zip(groups, COLOURS, strict=False)):
        values = [f.by_group[index].count for f in statistics.by_level]
        positions = [x + (index - (len(groups) - 1) / 2) * width for x in range(len(levels))]
        bars = axes.bar(positions, values, width=width, label=group, color=colour)
        axes.bar_label(bars, fontsize=8, padding=2)
    axes.set_xticks(range(len(levels)), levels)
    if not levels:
        axes.text(0.5, 0.5, "本期无问责决定", ha="center", va="center", transform=axes.transAxes, fontsize=12)
    axes.set_xlabel("干部层级")
    axes.set_ylabel("问责人数（人）")
    axes.grid(axis="y", alpha=0.3)
    if levels:
        axes.legend()
    s = statistics.stamp
    _title(
        figure,
        f"{s.tenant_title} 问责措施（按干部层级）",
        _stamp_line(s.tenant_title, str(s.period_start), str(s.period_end), s.rule_pack_version),
    )
    return _save(figure, fmt)


def backlog_by_office(report: HalfYearReport, fmt: ChartFormat) -> bytes:
    figure = _figure()
    axes = figure.subplots()
    backlogs = list(reversed(report.backlogs))
    axes.barh([b.label for b in backlogs], [b.open for b in backlogs], color=COLOURS[0])
    for y, b in enumerate(backlogs):
        axes.text(b.open, y, f" {b.open}", va="center", fontsize=9)
    if not backlogs:
        axes.text(0.5, 0.5, "期末无积压事项", ha="center", va="center", transform=axes.transAxes, fontsize=12)
    axes.set_xlabel("期末已分办未决定（件）")
    axes.grid(axis="x", alpha=0.3)
    s = report.stamp
    _title(
        figure,
        f"{s.tenant_title} 各承办部门积压事项",
        _stamp_line(s.tenant_title, str(s.period_start), str(s.period_end), s.rule_pack_version),
    )
    return _save(figure, fmt)
