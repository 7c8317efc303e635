"""A report as JSON, CSV (one table: section, code, label, value) or XLSX (one formatted sheet
per section, the stamp first)."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet
from pydantic import BaseModel

from wenze.reports import TOTAL_LABELS
from wenze_reporting.reports.schemas import Stamp

MEDIA_TYPES = {
    "json": "application/json",
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
# Section titles of every list a report may hold, in the order they are written.
SECTIONS: dict[str, str] = {
    "totals": "总体情况",
    "by_source": "按来源",
    "by_form": "按形态",
    "by_measure": "按问责措施",
    "by_measure_group": "按措施类别",
    "by_cadre_level": "按干部层级（个人）",
    "by_unit": "按单位",
    "by_office": "按承办部门",
    "trend": "与上半年比较",
    "overdue_deadlines": "逾期未办结的期限",
    "overdue_by_office": "逾期期限（按部门）",
    "backlogs": "积压事项（按承办部门）",
    "persons_by_group": "问责人数（按措施类别）",
    "by_level": "按干部层级与措施类别",
    "months": "月度趋势",
    "cases": "案例",
}
COLUMN_LABELS = {
    "code": "代码",
    "label": "名称",
    "count": "数量",
    "routed": "分办",
    "decided": "作出决定",
    "open_at_end": "期末未办结",
    "key": "指标",
    "current": "本期",
    "previous": "上期",
    "change": "增减",
    "change_percent": "增减（%）",
    "matter_number": "事项编号",
    "office": "部门代码",
    "office_label": "部门",
    "duty": "职责",
    "due_on": "期限",
    "citations": "依据",
    "open": "未办结",
    "oldest_routed_on": "最早分办日期",
    "persons": "人数",
    "by_group": "按措施类别",
    "month": "月份",
    "received": "收到",
    "accepted": "受理",
}
HEADER_FILL = PatternFill("solid", fgColor="1F4E79")
HEADER_FONT = Font(bold=True, color="FFFFFF")
TITLE_FONT = Font(bold=True, size=14)
THIN = Side(style="thin", color="BFBFBF")
CELL_BORDER = Border(left=THIN, right=THIN, top=THIN, bottom=THIN)


def sections(report: BaseModel) -> Iterator[tuple[str, list[dict[str, Any]]]]:
    """Every table of ``report`` as rows of plain values: totals first, then each list."""
    data = report.model_dump(mode="json")
    figures = data.pop("figures", None)
    data.pop("stamp", None)
    if figures is not None:
        totals = figures.pop("totals")
        yield "totals", [{"key": k, "label": TOTAL_LABELS[k], "count": v} for k, v in totals.items()]
        data = {**figures, **data}
    scalars = {k: v for k, v in data.items() if not isinstance(v, (list, dict))}
    if scalars and figures is None:
        yield "totals", [{"key": k, "label": k, "count": v} for k, v in scalars.items()]
    for name in SECTIONS:
        value = data.get(name)
        if isinstance(value, list):
            yield name, [_flat(row) for row in value]


def _flat(row: Any) -> dict[str, Any]:
    if not isinstance(row, dict):
        return {"value": row}
    flat: dict[str, Any] = {}
    for key, value in row.items():
        if isinstance(value, list) and value and isinstance(value[0], dict) and "label" in value[0]:
            for item in value:
                flat[f"{key}:{item['label']}"] = item.get("count")
        elif isinstance(value, list):
            flat[key] = "；".join(str(v) for v in value)
        elif isinstance(value, dict):
            flat[key] = "；".join(f"{k}={v}" for k, v in value.items())
        else:
            flat[key] = value
    return flat


def stamp_rows(stamp: Stamp) -> list[tuple[str, str]]:
    rows = [
        ("报表", stamp.title),
        ("单位", stamp.tenant_title),
        ("统计期间", f"{stamp.period_start.isoformat()} 至 {stamp.period_end.isoformat()}"),
        ("截止口径", stamp.cut_off),
        ("统计范围", stamp.scope),
        ("规则包", f"{stamp.rule_pack} {stamp.rule_pack_version}"),
        ("适用文件", "；".join(stamp.documents)),
    ]
    for applied in stamp.interpretations:
        source = "默认" if applied.default else "本单位选定"
        rows.append(
            (
                "解释要点",
                f"{applied.point}：{applied.label}（{source}，自 {applied.in_force_from.isoformat()}；"
                f"依据 {'；'.join(applied.citations)}）",
            )
        )
    for duty in stamp.duties:
        due = duty.due.isoformat() if duty.due else "—"
        rows.append(("报送要求", f"{duty.label}（期限 {due}；依据 {'；'.join(duty.citations)}）"))
    return rows


def to_json(report: BaseModel) -> bytes:
    return report.model_dump_json(indent=2).encode("utf-8")


def to_csv(report: BaseModel) -> bytes:
    """One table: the stamp as ``stamp`` rows, then ``section, column, row, value`` so every
    section fits in four columns whatever its own columns are."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["section", "section_label", "row", "column", "column_label", "value"])
    stamp = getattr(report, "stamp", None)
    if isinstance(stamp, Stamp):
        for n, (label, value) in enumerate(stamp_rows(stamp), start=1):
            writer.writerow(["stamp", "报表信息", n, label, label, value])
    for name, rows in sections(report):
        for n, row in enumerate(rows, start=1):
            for column, value in row.items():
                writer.writerow(
                    [name, SECTIONS[name], n, column, _column_label(column), "" if value is None else value]
                )
    # A BOM, so spreadsheet programs open the Chinese labels as UTF-8.
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def to_xlsx(report: BaseModel) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = "报表信息"
    stamp = getattr(report, "stamp", None)
    if isinstance(stamp, Stamp):
        sheet["A1"] = f"{stamp.tenant_title} {stamp.title}"
        sheet["A1"].font = TITLE_FONT
        for n, (label, value) in enumerate(stamp_rows(stamp), start=3):
            sheet.cell(row=n, column=1, value=label).font = Font(bold=True)
            sheet.cell(row=n, column=2, value=value).alignment = Alignment(wrap_text=True, vertical="top")
        sheet.column_dimensions["A"].width = 14
        sheet.column_dimensions["B"].width = 90
    for name, rows in sections(report):
        _table(workbook.create_sheet(SECTIONS[name][:31]), SECTIONS[name], rows)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def _table(sheet: Worksheet, title: str, rows: list[dict[str, Any]]) -> None:
    sheet["A1"] = title
    sheet["A1"].font = TITLE_FONT
    columns: list[str] = []
    for row in rows:
        columns += [c for c in row if c not in columns and c != "code"]
    if not columns:
        columns = ["label", "count"]
    for index, column in enumerate(columns, start=1):
        cell = sheet.cell(row=3, column=index, value=_column_label(column))
        cell.fill = HEADER_FILL
        cell.font = HEADER_FONT
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
        cell.border = CELL_BORDER
    if not rows:
        sheet.cell(row=4, column=1, value="本期无数据")
    for r, row in enumerate(rows, start=4):
        for c, column in enumerate(columns, start=1):
            value = row.get(column)
            cell = sheet.cell(row=r, column=c, value=value)
            cell.border = CELL_BORDER
            if isinstance(value, int | float):
                cell.number_format = "#,##0.0" if isinstance(value, float) else "#,##0"
                cell.alignment = Alignment(horizontal="right")
    for index, column in enumerate(columns, start=1):
        values = [_column_label(column)] + [str(row.get(column, "")) for row in rows]
        width = max(_display_width(v) for v in values) + 2
        sheet.column_dimensions[get_column_letter(index)].width = min(max(width, 8), 60)
    sheet.freeze_panes = "A4"


def _column_label(column: str) -> str:
    if ":" in column:
        key, label = column.split(":", 1)
        return f"{COLUMN_LABELS.get(key, key)}：{label}"
    return COLUMN_LABELS.get(column, column)


def _display_width(text: str) -> int:
    # A CJK character takes two columns of a spreadsheet's default font.
    return sum(2 if ord(ch) > 0x2E80 else 1 for ch in text)
