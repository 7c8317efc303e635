from __future__ import annotations

import json
from pathlib import Path

from openpyxl import Workbook

from wenze_intake.imports.parsers import RowUnreadable, iter_rows, sniff_format


def test_sniff_format_by_content_type_then_suffix() -> None:
    assert sniff_format("application/x-ndjson; charset=utf-8", None) == "jsonl"
    assert sniff_format("text/csv", "x.bin") == "csv"
    assert sniff_format(None, "clues.XLSX") == "xlsx"
    assert sniff_format("application/octet-stream", "clues.ndjson") == "jsonl"
    assert sniff_format("application/pdf", "a.pdf") is None


def test_jsonl_rows_and_unreadable_lines(tmp_path: Path) -> None:
    path = tmp_path / "a.jsonl"
    path.write_text('{"summary": "一"}\n\n[1]\n{bad\n{"summary": "二"}\n', encoding="utf-8")
    rows = list(iter_rows(path, "jsonl"))
    assert rows[0] == {"summary": "一"}
    assert isinstance(rows[1], RowUnreadable) and "one JSON object" in rows[1].reason
    assert isinstance(rows[2], RowUnreadable) and rows[2].reason.startswith("not valid JSON")
    assert rows[3] == {"summary": "二"}
    assert len(rows) == 4  # the blank line is not a row


def test_csv_flat_columns_become_one_target(tmp_path: Path) -> None:
    path = tmp_path / "a.csv"
    path.write_text(
        "\ufeffsource,summary,key_supervised,target_kind,target_name,target_party_member,relevant_date\n"
        "city_government,摘要,是,person,张三,否,2026-05-01\n"
        "city_government,摘要,maybe,person,李四,是,\n",
        encoding="utf-8",
    )
    first, second = iter_rows(path, "csv")
    assert first == {
        "source": "city_government",
        "summary": "摘要",
        "key_supervised": True,
        "relevant_date": "2026-05-01",
        "targets": [{"kind": "person", "name": "张三", "party_member": False}],
    }
    assert isinstance(second, RowUnreadable) and second.field == "key_supervised"


def test_csv_targets_column_holds_json(tmp_path: Path) -> None:
    targets = [{"kind": "unknown", "sector": "town"}, {"kind": "organisation", "name": "某镇党委"}]
    path = tmp_path / "a.csv"
    with path.open("w", encoding="utf-8", newline="") as handle:
        import csv

        writer = csv.writer(handle)
        writer.writerow(["summary", "targets"])
        writer.writerow(["摘要", json.dumps(targets, ensure_ascii=False)])
        writer.writerow(["摘要", "[not json"])
    good, bad = iter_rows(path, "csv")
    assert good["targets"] == targets
    assert isinstance(bad, RowUnreadable) and bad.field == "targets"


def test_xlsx_skips_empty_rows_and_converts_dates(tmp_path: Path) -> None:
    import datetime as dt

    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["summary", "relevant_date", "target_name", "target_kind"])
    sheet.append(["甲", dt.datetime(2026, 4, 30), "王五", "person"])
    sheet.append([None, None, None, None])
    sheet.append(["乙", None, None, None])
    path = tmp_path / "a.xlsx"
    workbook.save(path)
    rows = list(iter_rows(path, "xlsx"))
    assert rows == [
        {"summary": "甲", "relevant_date": "2026-04-30", "targets": [{"name": "王五", "kind": "person"}]},
        {"summary": "乙"},
    ]
