from __future__ import annotations

import json
import re
import struct
import time
import zipfile
from pathlib import Path

import pytest
from openpyxl import Workbook

from wenze_intake.imports.parsers import (
    Headings,
    ImportFileTooLarge,
    ImportFileUnreadable,
    ImportLimits,
    RowUnreadable,
    count_rows,
    csv_encoding,
    iter_rows,
    sniff_format,
)


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


# -- bounded reading of untrusted files ----------------------------------------------------------

SHEET = "xl/worksheets/sheet1.xml"
FLAT_HEADER = ["source", "summary", "facts", "target_kind", "target_name"]


def flat_record(i: int) -> list[str]:
    return ["city_government", f"摘要{i}", "事实", "person", f"张{i}"]


def workbook_file(path: Path, rows: list[list], *, edit_sheet=None) -> Path:
    """An XLSX file made by openpyxl; ``edit_sheet`` rewrites the worksheet's XML afterwards,
    as a hand-made or hostile file would have it."""
    workbook = Workbook()
    sheet = workbook.active
    for row in rows:
        sheet.append(row)
    workbook.save(path)
    if edit_sheet is not None:
        with zipfile.ZipFile(path) as source:
            parts = {info.filename: source.read(info) for info in source.infolist()}
        parts[SHEET] = edit_sheet(parts[SHEET].decode()).encode()
        with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as target:
            for name, data in parts.items():
                target.writestr(name, data)
    return path


def declare_whole_sheet_and_append_empty_rows(count: int, then: str):
    def edit(xml: str) -> str:
        xml = re.sub(r'<dimension ref="[^"]*"\s*/>', '<dimension ref="A1:XFD1048576"/>', xml)
        empty = "".join(f'<row r="{n}"/>' for n in range(3, 3 + count))
        last = 3 + count
        tail = f'<row r="{last}"><c r="B{last}" t="inlineStr"><is><t>{then}</t></is></c></row>'
        return xml.replace("</sheetData>", empty + tail + "</sheetData>")

    return edit


def append_cell_of(text: str):
    """A row with one inline-string cell (openpyxl itself cuts strings to Excel's 32,767 characters)."""

    def edit(xml: str) -> str:
        row = f'<row r="2"><c r="B2" t="inlineStr"><is><t>{text}</t></is></c></row>'
        return xml.replace("</sheetData>", row + "</sheetData>")

    return edit


def test_xlsx_declared_dimension_and_empty_rows_cost_little(tmp_path: Path) -> None:
    """A sheet declaring A1:XFD1048576 with 12,000 empty rows: each empty row used to be padded
    to 16,384 cells and scanned (about 10 s of processor time); now it costs next to nothing."""
    path = workbook_file(
        tmp_path / "wide.xlsx",
        [FLAT_HEADER, flat_record(1)],
        edit_sheet=declare_whole_sheet_and_append_empty_rows(12_000, "乙"),
    )
    started = time.process_time()
    rows = list(iter_rows(path, "xlsx", ImportLimits(max_empty_rows=20_000)))
    assert time.process_time() - started < 2.0
    assert [r["summary"] for r in rows] == ["摘要1", "乙"]


def test_xlsx_reading_stops_after_a_long_run_of_empty_rows(tmp_path: Path) -> None:
    path = workbook_file(
        tmp_path / "gap.xlsx",
        [FLAT_HEADER, flat_record(1)],
        edit_sheet=declare_whole_sheet_and_append_empty_rows(5_000, "乙"),
    )
    rows = list(iter_rows(path, "xlsx", ImportLimits(max_empty_rows=1_000)))
    assert [r["summary"] for r in rows] == ["摘要1"]


def test_xlsx_unpacking_beyond_the_limit_is_refused_before_reading(tmp_path: Path) -> None:
    path = workbook_file(tmp_path / "big.xlsx", [FLAT_HEADER], edit_sheet=append_cell_of("x" * 300_000))
    assert path.stat().st_size < 20_000  # the one long cell compresses to almost nothing
    with pytest.raises(ImportFileTooLarge) as refused:
        list(iter_rows(path, "xlsx", ImportLimits(max_unpacked_bytes=200_000)))
    assert "unpacks to" in refused.value.reason and "200,000" in refused.value.reason


def test_xlsx_part_larger_than_it_declares_is_damaged_not_read_on(tmp_path: Path) -> None:
    path = workbook_file(tmp_path / "lying.xlsx", [FLAT_HEADER, *[flat_record(i) for i in range(200)]])
    data = bytearray(path.read_bytes())
    # Declare the worksheet 100 bytes long, in its local header and in the central directory.
    name = SHEET.encode()
    for signature, size_at, name_at in ((b"PK\x03\x04", 22, 30), (b"PK\x01\x02", 24, 46)):
        at = data.find(signature)
        while at >= 0 and data[at + name_at : at + name_at + len(name)] != name:
            at = data.find(signature, at + 1)
        struct.pack_into("<I", data, at + size_at, 100)
    path.write_bytes(bytes(data))
    with pytest.raises(ImportFileUnreadable) as refused:
        list(iter_rows(path, "xlsx"))
    assert "damaged" in refused.value.reason


def test_xlsx_too_many_columns_or_rows(tmp_path: Path) -> None:
    wide = workbook_file(tmp_path / "wide.xlsx", [[f"c{i}" for i in range(30)], ["x"] * 30])
    with pytest.raises(ImportFileTooLarge) as refused:
        list(iter_rows(wide, "xlsx", ImportLimits(max_columns=20)))
    assert refused.value.reason == "the header row has 30 columns; an import reads at most 20"
    long = workbook_file(tmp_path / "long.xlsx", [FLAT_HEADER, *[flat_record(i) for i in range(12)]])
    rows = iter_rows(long, "xlsx", ImportLimits(max_rows=10))
    assert len([next(rows) for _ in range(10)]) == 10
    with pytest.raises(ImportFileTooLarge, match="more than 10 rows"):
        next(rows)


def test_xlsx_cell_longer_than_the_limit_refuses_its_row(tmp_path: Path) -> None:
    path = workbook_file(
        tmp_path / "cell.xlsx", [FLAT_HEADER, flat_record(1), ["city_government", "摘要", "长" * 5_000], flat_record(3)]
    )
    first, long, third = iter_rows(path, "xlsx", ImportLimits(max_value_chars=4_000))
    assert first["summary"] == "摘要1" and third["summary"] == "摘要3"
    assert isinstance(long, RowUnreadable) and (long.field, long.reason) == ("facts", "is longer than 4,000 characters")


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (b"source,summary\ncity_government,x\n", "not an XLSX workbook"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(600), "Excel 97–2003 (.xls)"),
        (b"PK\x03\x04" + bytes(100), "damaged"),
    ],
)
def test_a_file_that_is_not_a_workbook_fails_with_one_sentence(tmp_path: Path, content: bytes, expected: str) -> None:
    path = tmp_path / "not.xlsx"
    path.write_bytes(content)
    with pytest.raises(ImportFileUnreadable) as refused:
        list(iter_rows(path, "xlsx"))
    assert expected in refused.value.reason
    assert_users_terms(refused.value.reason)


def test_csv_value_beyond_the_field_limit_refuses_only_its_row(tmp_path: Path) -> None:
    path = tmp_path / "long.csv"
    long_value = "长" * 140_000
    path.write_text(
        f"source,summary,facts\ncity_government,一,事实\ncity_government,二,{long_value}\ncity_government,三,事实\n",
        encoding="utf-8",
    )
    first, long, third = iter_rows(path, "csv")
    assert (first["summary"], third["summary"]) == ("一", "三")
    assert isinstance(long, RowUnreadable) and long.reason == "a value in this row is longer than 131,072 characters"


def test_csv_row_with_bad_utf8_refuses_only_that_row(tmp_path: Path) -> None:
    path = tmp_path / "bytes.csv"
    path.write_bytes(
        "source,summary,facts\ncity_government,一,事实\n".encode()
        + b"city_government,\xe4\xb8,facts\n"
        + "city_government,三,事实\n".encode()
    )
    first, bad, third = iter_rows(path, "csv")
    assert (first["summary"], third["summary"]) == ("一", "三")
    assert isinstance(bad, RowUnreadable) and (bad.field, bad.reason) == ("summary", "is not valid UTF-8 text")


KS_HEADINGS = Headings({"source": "来源", "summary": "问题摘要", "facts": "基本事实", "relevant_date": "认定日期"})


def test_gbk_csv_with_the_packs_headings_and_slashed_dates_is_read(tmp_path: Path) -> None:
    """What Excel saves as "CSV" on a Chinese Windows: GBK, headings in Chinese."""
    path = tmp_path / "gbk.csv"
    path.write_bytes(
        "来源,问题摘要,基本事实,认定日期\r\n"
        "city_government,摘要,事实,2026/5/1\r\n"
        "city_government,摘要二,事实,2026年4月30日\r\n".encode("gbk")
    )
    assert csv_encoding(path) == ("gb18030", True)
    first, second = iter_rows(path, "csv", headings=KS_HEADINGS)
    assert first == {"source": "city_government", "summary": "摘要", "facts": "事实", "relevant_date": "2026-05-01"}
    assert (second["summary"], second["relevant_date"]) == ("摘要二", "2026-04-30")
    assert count_rows(path, "csv") == 2


def test_gb18030_only_characters_are_read(tmp_path: Path) -> None:
    # 䶮 is outside GBK: GB18030 encodes it in four bytes.
    path = tmp_path / "gb18030.csv"
    path.write_bytes("summary,facts\n刘䶮,事实\n".encode("gb18030"))
    [row] = iter_rows(path, "csv")
    assert row["summary"] == "刘䶮"


def test_csv_in_neither_utf8_nor_gb18030_fails_with_one_sentence(tmp_path: Path) -> None:
    path = tmp_path / "latin1.csv"
    path.write_bytes("source,summary,facts\ncity_government,café,faits\ncity_government,Ærø,faits\n".encode("latin-1"))
    with pytest.raises(ImportFileUnreadable) as refused:
        list(iter_rows(path, "csv"))
    assert refused.value.reason.startswith("the file is neither UTF-8 nor GBK/GB18030 text")
    assert_users_terms(refused.value.reason)
    assert count_rows(path, "csv") is None


def test_utf8_csv_with_one_damaged_row_stays_utf8(tmp_path: Path) -> None:
    """Bytes of GB18030 are nearly anything: a UTF-8 file is never re-read as GB18030 because
    one of its rows is damaged."""
    path = tmp_path / "mostly.csv"
    path.write_bytes("summary,facts\n一,事实\n二,事实\n".encode() + "三,事实\n".encode("gbk") + "四,事实\n".encode())
    assert csv_encoding(path) == ("utf-8-sig", False)
    rows = list(iter_rows(path, "csv"))
    assert [r["summary"] for r in rows if isinstance(r, dict)] == ["一", "二", "四"]
    assert isinstance(rows[2], RowUnreadable) and rows[2].reason == "is not valid UTF-8 text"


def test_unknown_column_refuses_the_header_once_with_the_accepted_headings(tmp_path: Path) -> None:
    path = tmp_path / "unknown.csv"
    path.write_text("来源,问题摘要,备注\n" + "city_government,摘要,某\n" * 50, encoding="utf-8")
    with pytest.raises(ImportFileUnreadable) as refused:
        next(iter_rows(path, "csv", headings=KS_HEADINGS))
    reason = refused.value.reason
    assert reason.startswith("the header row has columns this import does not know: 备注;")
    assert "source (来源)" in reason and "summary (问题摘要)" in reason and "target_name" in reason
    assert_users_terms(reason)


def test_a_field_named_twice_refuses_the_header(tmp_path: Path) -> None:
    path = tmp_path / "twice.csv"
    path.write_text("summary,问题摘要\n一,二\n", encoding="utf-8")
    with pytest.raises(ImportFileUnreadable) as refused:
        list(iter_rows(path, "csv", headings=KS_HEADINGS))
    assert refused.value.reason.startswith("the header row names these fields more than once: summary")


def test_xlsx_headings_in_chinese_and_dates_as_text(tmp_path: Path) -> None:
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["问题摘要", "认定日期"])
    sheet.append(["甲", "2026/04/30"])
    sheet.append([None, None])
    sheet.append(["乙", "2026年13月1日"])
    path = tmp_path / "a.xlsx"
    workbook.save(path)
    first, second = iter_rows(path, "xlsx", headings=KS_HEADINGS)
    assert first == {"summary": "甲", "relevant_date": "2026-04-30"}
    assert isinstance(second, RowUnreadable) and second.field == "relevant_date"
    assert "YYYY/MM/DD" in second.reason
    assert count_rows(path, "xlsx") == 2


def test_count_rows_counts_what_iter_rows_yields(tmp_path: Path) -> None:
    path = tmp_path / "a.jsonl"
    path.write_text('{"summary": "一"}\n\n[1]\n{bad\n{"summary": "二"}\n', encoding="utf-8")
    assert count_rows(path, "jsonl") == len(list(iter_rows(path, "jsonl"))) == 4
    long = tmp_path / "long.csv"
    long.write_text(f"summary,facts\n一,事实\n\n二,{'长' * 140_000}\n三,事实\n", encoding="utf-8")
    assert count_rows(long, "csv") == len(list(iter_rows(long, "csv"))) == 3
    assert count_rows(long, "csv", ImportLimits(max_rows=2)) == 2


def test_csv_targets_nested_too_deeply_refuses_its_row(tmp_path: Path) -> None:
    path = tmp_path / "deep.csv"
    path.write_text(f'summary,targets\n一,"{"[" * 5_000}{"]" * 5_000}"\n二,[]\n', encoding="utf-8")
    deep, second = iter_rows(path, "csv")
    assert isinstance(deep, RowUnreadable) and deep.field == "targets"
    assert deep.reason.endswith("is nested more than 1,024 levels deep")
    assert second == {"summary": "二", "targets": []}


def test_jsonl_bad_lines_are_refused_in_the_users_terms(tmp_path: Path) -> None:
    path = tmp_path / "bad.jsonl"
    path.write_bytes(
        b'{"summary": "\xe4\xb8"}\n'
        + ("[" * 5_000 + "]" * 5_000).encode()
        + b"\n"
        + b'{"summary": "x" ' * 10
        + b"\n"
        + b'{"summary": "'
        + b"x" * 30_000
        + b'"}\n'
        + '{"summary": "一"}\n'.encode()
    )
    bad_bytes, deep, broken, long, good = iter_rows(path, "jsonl", ImportLimits(max_line_bytes=20_000))
    assert bad_bytes.reason == "is not valid UTF-8 text (byte 14 of the line)"
    assert deep.reason == "is nested more than 1,024 levels deep"
    assert broken.reason == "not valid JSON (at character 17)"
    assert long.reason == "the line is longer than 20,000 bytes"
    assert good == {"summary": "一"}
    for row in (bad_bytes, deep, broken, long):
        assert_users_terms(row.reason)


@pytest.mark.parametrize("fmt", ["csv", "jsonl"])
def test_a_workbook_sent_as_text_fails_with_one_sentence(tmp_path: Path, fmt: str) -> None:
    path = workbook_file(tmp_path / "book.xlsx", [FLAT_HEADER, flat_record(1)])
    with pytest.raises(ImportFileUnreadable) as refused:
        list(iter_rows(path, fmt))
    assert refused.value.reason.startswith("the file is a ZIP archive (an XLSX workbook?)")


def assert_users_terms(reason: str) -> None:
    """No exception class or library message: what is wrong, in the words of the file's maker."""
    for leak in ("Error", "Exception", "Traceback", "BadZipFile", "codec", "errno", "line 1 column"):
        assert leak not in reason, reason


def test_json_lines_in_another_encoding_fail_with_one_sentence(tmp_path: Path) -> None:
    path = tmp_path / "gbk.jsonl"
    path.write_bytes('{"summary": "安全"}\n{"summary": "事实"}\n'.encode("gbk"))
    with pytest.raises(ImportFileUnreadable) as refused:
        list(iter_rows(path, "jsonl"))
    assert refused.value.reason.startswith("the file is not UTF-8 text")


def test_count_rows_of_a_workbook_reads_the_active_sheet_without_its_cells(tmp_path: Path) -> None:
    workbook = Workbook()
    workbook.active.append(["summary"])
    workbook.active.append(["not this sheet"])
    chosen = workbook.create_sheet("线索")
    chosen.append(["summary", "facts"])
    for n in range(7):
        chosen.append([f"摘要{n}", "事实"])
    chosen.append([None, None])
    chosen.append(["末行", None])
    workbook.active = 1
    path = tmp_path / "two sheets.xlsx"
    workbook.save(path)
    assert count_rows(path, "xlsx") == len(list(iter_rows(path, "xlsx"))) == 8
    damaged = tmp_path / "damaged.xlsx"
    damaged.write_bytes(path.read_bytes()[:-200])
    assert count_rows(damaged, "xlsx") is None


def test_an_identity_number_in_a_number_cell_refuses_its_row_and_as_text_is_read(tmp_path: Path) -> None:
    header = ["source", "summary", "facts", "target_kind", "target_name", "公民身份号码"]
    path = workbook_file(
        tmp_path / "numbers.xlsx",
        [header, [*flat_record(1), 320583198506150030], [*flat_record(2), "11010519491231002X"]],
    )
    as_number, as_text = iter_rows(path, "xlsx", headings=Headings({"target_identity_number": "公民身份号码"}))
    assert isinstance(as_number, RowUnreadable) and as_number.field == "target_identity_number"
    assert "format the column as text" in as_number.reason and "3205831985" not in as_number.reason
    assert isinstance(as_text, dict) and as_text["targets"][0]["identity_number"] == "11010519491231002X"
