"""Reading bulk files row by row: JSON Lines, CSV and XLSX.

JSON Lines rows are matter objects as ``POST /v1/matters`` takes them. CSV and XLSX rows
are flat: the matter's scalar fields as columns, and either a ``targets`` column holding a
JSON array of targets or one target in ``target_*`` columns (``target_kind``,
``target_name``, ``target_post``, ``target_unit``, ``target_cadre_level``,
``target_sector``, ``target_party_member``, ``target_org_level``, ``target_identity_number``).

Columns are named by the matter's field (``source``, ``target_name``...) or by its heading
in the tenant's pack (vocabulary ``matter_fields``, e.g. 线索来源, 对象名称): a header
naming anything else refuses the file once, listing the headings it accepts. CSV is read as
UTF-8 (with or without BOM) and, failing that, as GB18030 (which GBK, Excel's usual Chinese
export, is a part of); a file that is neither is refused. Dates are read as ``YYYY-MM-DD``,
``YYYY/MM/DD`` or ``YYYY年M月D日``.

A file is untrusted: every size that reading it could make grow (rows, columns, one value,
one line, what a workbook unpacks to, a run of empty rows) is bounded by
:class:`ImportLimits`. What is wrong with one row is that row's :class:`RowUnreadable`;
what makes the whole file unreadable is :class:`ImportFileUnreadable`. Both carry a reason
in the words of the person who made the file, never an exception's text.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import re
import struct
import zipfile
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from itertools import islice
from pathlib import Path
from typing import Any
from xml.etree import ElementTree
from xml.parsers import expat

import orjson
from openpyxl import load_workbook

FORMATS = {
    "application/x-ndjson": "jsonl",
    "application/jsonl": "jsonl",
    "application/json-lines": "jsonl",
    "text/csv": "csv",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": "xlsx",
}
EXTENSIONS = {"jsonl": ".jsonl", "csv": ".csv", "xlsx": ".xlsx"}
FORMAT_NAMES = {"jsonl": "JSON Lines", "csv": "CSV", "xlsx": "XLSX"}

_TARGET_COLUMNS = (
    "kind",
    "name",
    "post",
    "unit",
    "cadre_level",
    "sector",
    "party_member",
    "org_level",
    "identity_number",
)
# Every column a flat file may have, by the field's own name.
COLUMNS = (
    "source",
    "source_reference",
    "summary",
    "facts",
    "proposed_form",
    "key_supervised",
    "relevant_date",
    "targets",
    *(f"target_{name}" for name in _TARGET_COLUMNS),
)
# The vocabulary of a pack that gives each column its heading in the tenant's language.
HEADINGS_VOCABULARY = "matter_fields"
_DATES = (
    re.compile(r"(\d{4})([-/.])(\d{1,2})\2(\d{1,2})"),
    re.compile(r"(\d{4})(年)\s*(\d{1,2})\s*月\s*(\d{1,2})\s*日"),
)
_NOT_A_DATE = "is not a date (write it as YYYY-MM-DD, YYYY/MM/DD or YYYY年M月D日)"
_TRUE = {"true", "1", "yes", "y", "是"}
_FALSE = {"false", "0", "no", "n", "否"}
_NOT_UTF8 = "is not valid UTF-8 text"
_YES_NO = "is not a yes/no value (use 是/否, yes/no, true/false or 1/0)"

_ZIP_MAGIC = b"PK\x03\x04"
_XLS_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # the OLE2 container of old .xls workbooks
_ZIP_END = b"PK\x05\x06"
_ZIP_END_SIZE = 22
_ZIP_COMMENT_MAX = 65_535
# A workbook's directory lists a few dozen parts; a bigger one is only there to make the
# reader spend time and memory before the first cell.
_ZIP_DIRECTORY_MAX_BYTES = 1024 * 1024
_READ_CHUNK = 1024 * 1024
# CSV decoded with surrogateescape carries each undecodable byte as one of these.
_UNDECODABLE = re.compile("[\udc80-\udcff]")


@dataclass(frozen=True)
class ImportLimits:
    """How much of a file an import reads; the settings ``WENZE_INTAKE_IMPORT_MAX_*``."""

    max_rows: int = 1_000_000
    max_columns: int = 200
    max_value_chars: int = 131_072
    max_line_bytes: int = 1024 * 1024
    max_unpacked_bytes: int = 128 * 1024 * 1024
    max_empty_rows: int = 1_000


DEFAULT_LIMITS = ImportLimits()


class RowUnreadable(Exception):
    """A row that cannot even be turned into a matter object (bad JSON, bad boolean...)."""

    def __init__(self, field: str, reason: str, code: str):
        super().__init__(f"{field}: {reason}")
        self.field = field
        self.reason = reason
        # The reason's stable name, as a refused field carries it (wenze.problems.invalid).
        self.code = code


class ImportFileUnreadable(Exception):
    """The file as a whole cannot be read, or not past some row; ``reason`` is one sentence."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


class ImportFileTooLarge(ImportFileUnreadable):
    """The file is beyond one of the :class:`ImportLimits`."""


class Headings:
    """The headings a flat file's columns may have: each field's name, and its label in the
    tenant's pack (``{field: label}``, the pack's vocabulary ``matter_fields``)."""

    def __init__(self, labels: Mapping[str, str] | None = None):
        self.labels = {field: label for field, label in (labels or {}).items() if field in COLUMNS}
        self._by_label = {label.strip(): field for field, label in self.labels.items()}

    def accepted(self) -> str:
        return ", ".join(f"{field} ({self.labels[field]})" if field in self.labels else field for field in COLUMNS)

    def fields_of(self, header: list[str]) -> list[str]:
        """The header's headings as field names; a heading that names no field refuses the
        whole file (once, rather than once per row), with the headings it would accept."""
        fields = [column if column in COLUMNS or not column else self._by_label.get(column, "") for column in header]
        unknown = [column for column, field in zip(header, fields, strict=True) if column and not field]
        if unknown:
            raise ImportFileUnreadable(
                f"the header row has columns this import does not know: {', '.join(unknown)}; name each column "
                f"by a field or by its heading (in parentheses): {self.accepted()}"
            )
        repeated = sorted({field for field in fields if field and fields.count(field) > 1})
        if repeated:
            raise ImportFileUnreadable(
                f"the header row names these fields more than once: {', '.join(repeated)}; keep one column for each"
            )
        return fields


def iter_rows(
    path: Path, fmt: str, limits: ImportLimits = DEFAULT_LIMITS, headings: Headings | None = None
) -> Iterator[dict[str, Any] | RowUnreadable]:
    """Yield each data row as a matter dict, or the reason it could not be read.

    Raises :class:`ImportFileUnreadable` when the file cannot be read at all, or (XLSX) not
    past some row, and :class:`ImportFileTooLarge` at the first row beyond ``max_rows``."""
    headings = headings or Headings()
    if fmt == "jsonl":
        _refuse_zip(path, fmt)
        rows = _jsonl_rows(path, limits)
    elif fmt == "csv":
        _refuse_zip(path, fmt)
        rows = _csv_rows(path, limits, headings, *csv_encoding(path))
    elif fmt == "xlsx":
        rows = _xlsx_rows(path, limits, headings)
    else:
        raise ValueError(f"unknown import format {fmt}")
    yield from islice(rows, limits.max_rows)
    if next(rows, None) is not None:
        raise ImportFileTooLarge(
            f"the file has more than {limits.max_rows:,} rows, the most one import reads; "
            f"the first {limits.max_rows:,} were processed, split the rest into another file"
        )


def count_rows(path: Path, fmt: str, limits: ImportLimits = DEFAULT_LIMITS) -> int | None:
    """How many rows :func:`iter_rows` yields (the rows it reads, at most ``max_rows``), found
    by reading the file without checking a row; ``None`` when the file cannot be read (its
    job then fails, reading it, with the reason).

    Exact for text; for a workbook, the rows of the first sheet holding a value, counted in its
    XML without the cells being read (a sixth of the time openpyxl takes): never fewer than
    are read, more where values lie beyond the header's columns or after the run of empty rows
    that ends the data."""
    try:
        if fmt == "jsonl":
            counted = sum(1 for _ in _jsonl_lines(path, limits.max_line_bytes))
        elif fmt == "csv":
            counted = _count_csv(path, limits)
        elif fmt == "xlsx":
            counted = _count_sheet(path, limits)
        else:
            raise ValueError(f"unknown import format {fmt}")
    except ImportFileUnreadable:
        return None
    return min(counted, limits.max_rows)


# -- text formats -----------------------------------------------------------------------------


def _refuse_zip(path: Path, fmt: str) -> None:
    with path.open("rb") as handle:
        if handle.read(len(_ZIP_MAGIC)) == _ZIP_MAGIC:
            raise ImportFileUnreadable(
                f"the file is a ZIP archive (an XLSX workbook?), not {FORMAT_NAMES[fmt]} text; "
                "send a workbook as application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
            )


def _is_utf8(path: Path) -> bool:
    """Whether the whole file is UTF-8 (the usual case, then read without per-row checks)."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    with path.open("rb") as handle:
        try:
            while chunk := handle.read(_READ_CHUNK):
                decoder.decode(chunk)
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            return False
    return True


def _refuse_other_encoding(path: Path, fmt: str) -> bool:
    """For a file with bytes that are not UTF-8: a file in which no line with non-ASCII text
    is UTF-8 was saved in another encoding and is refused as a whole; in any other, each bad
    row is refused on its own (and ``False`` is returned)."""
    with path.open("rb") as handle:
        for line in handle:
            if line.isascii():
                continue
            try:
                line.decode("utf-8")
            except UnicodeDecodeError:
                continue
            return False
    raise ImportFileUnreadable(
        f"the file is not UTF-8 text (it may have been saved as GBK or another encoding); "
        f"save it as UTF-8 {FORMAT_NAMES[fmt]} and import it again"
    )


def csv_encoding(path: Path) -> tuple[str, bool]:
    """The encoding a CSV file is read in, and whether every byte of it decodes (``False``:
    read as UTF-8, each row with bytes that are not UTF-8 refused on its own).

    UTF-8 is tried strictly first: GB18030 decodes nearly any bytes, so it is taken only for a
    file that is not UTF-8, that decodes as GB18030 from end to end and whose lines with
    non-ASCII text are mostly not UTF-8 (a UTF-8 file with a damaged row stays UTF-8).
    A file that is neither is refused as a whole."""
    if _is_utf8(path):
        return "utf-8-sig", True
    utf8 = other = 0
    with path.open("rb") as handle:
        for line in handle:
            if line.isascii():
                continue
            try:
                line.decode("utf-8")
            except UnicodeDecodeError:
                other += 1
            else:
                utf8 += 1
    if other > utf8 and _decodes(path, "gb18030"):
        return "gb18030", True
    if utf8:
        return "utf-8-sig", False
    raise ImportFileUnreadable(
        "the file is neither UTF-8 nor GBK/GB18030 text (it may have been saved in another encoding); "
        "save it as CSV UTF-8 and import it again"
    )


def _decodes(path: Path, encoding: str) -> bool:
    decoder = codecs.getincrementaldecoder(encoding)()
    with path.open("rb") as handle:
        try:
            while chunk := handle.read(_READ_CHUNK):
                decoder.decode(chunk)
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            return False
    return True


def _jsonl_lines(path: Path, cap: int) -> Iterator[bytes | None]:
    """Each non-blank line, stripped; ``None`` for one longer than ``cap`` bytes (skipped
    without being held in memory)."""
    with path.open("rb") as handle:
        while raw := handle.readline(cap):
            if len(raw) == cap and not raw.endswith(b"\n"):
                while (rest := handle.readline(cap)) and not rest.endswith(b"\n"):
                    pass
                yield None
                continue
            line = raw.strip()
            if line:
                yield line


def _jsonl_rows(path: Path, limits: ImportLimits) -> Iterator[dict[str, Any] | RowUnreadable]:
    cap = limits.max_line_bytes
    # orjson checks each line's UTF-8 itself; the whole file's encoding is looked at only when
    # a line turns out not to be UTF-8, so a good file is read once.
    encoding_checked = False
    for line in _jsonl_lines(path, cap):
        if line is None:
            yield RowUnreadable("row", f"the line is longer than {cap:,} bytes", "line_too_long")
            continue
        try:
            value = orjson.loads(line)
        except orjson.JSONDecodeError as exc:
            problem = _json_problem(line, exc)
            if problem.startswith(_NOT_UTF8) and not encoding_checked:
                encoding_checked = not _refuse_other_encoding(path, "jsonl")
            yield RowUnreadable("row", problem, "not_utf8" if problem.startswith(_NOT_UTF8) else "json_invalid")
            continue
        yield (
            value
            if isinstance(value, dict)
            else RowUnreadable("row", "a line must hold one JSON object", "not_a_json_object")
        )


def _json_problem(text: bytes | str, exc: orjson.JSONDecodeError) -> str:
    if isinstance(text, bytes):
        try:
            text.decode("utf-8")
        except UnicodeDecodeError as bad:
            return f"{_NOT_UTF8} (byte {bad.start + 1} of the line)"
    if exc.msg.startswith("depth limit"):
        return "is nested more than 1,024 levels deep"
    return f"not valid JSON (at character {exc.pos + 1})"


def _csv_rows(
    path: Path, limits: ImportLimits, headings: Headings, encoding: str, clean: bool
) -> Iterator[dict[str, Any] | RowUnreadable]:
    # The module-wide field limit is this process's: imports run in a process of their own.
    csv.field_size_limit(limits.max_value_chars)
    too_long = RowUnreadable(
        "row", f"a value in this row is longer than {limits.max_value_chars:,} characters", "value_too_long"
    )
    errors = "strict" if clean else "surrogateescape"
    with path.open(encoding=encoding, errors=errors, newline="") as handle:
        reader = csv.reader(handle)
        try:
            header = [column.strip().lstrip("\ufeff") for column in next(reader, [])]
        except csv.Error:
            raise ImportFileUnreadable(
                f"the header row has a value longer than {limits.max_value_chars:,} characters"
            ) from None
        _check_header(header, limits)
        if not clean and any(_UNDECODABLE.search(column) for column in header):
            raise ImportFileUnreadable("the header row is not UTF-8 text")
        fields = headings.fields_of(header)
        while True:
            try:
                record = next(reader)
            except StopIteration:
                return
            except csv.Error:
                # Opened with newline="" and not strict, the field limit is the only csv.Error.
                yield too_long
                continue
            if not record:
                continue  # a blank line
            if not clean and (bad := _undecodable_column(header, record)) is not None:
                yield RowUnreadable(bad, _NOT_UTF8, "not_utf8")
                continue
            yield _flat_row(dict(zip(fields, record, strict=False)))


def _count_csv(path: Path, limits: ImportLimits) -> int:
    encoding, _ = csv_encoding(path)
    csv.field_size_limit(limits.max_value_chars)
    counted = 0
    with path.open(encoding=encoding, errors="surrogateescape", newline="") as handle:
        reader = csv.reader(handle)
        try:
            next(reader, None)
        except csv.Error:
            return 0
        while True:
            try:
                record = next(reader)
            except StopIteration:
                return counted
            except csv.Error:
                counted += 1
                continue
            counted += bool(record)


def _undecodable_column(header: list[str], record: list[str]) -> str | None:
    for index, value in enumerate(record):
        if _UNDECODABLE.search(value):
            return header[index] if index < len(header) and header[index] else f"column {index + 1}"
    return None


def _check_header(header: list[str], limits: ImportLimits) -> None:
    if len(header) > limits.max_columns:
        raise ImportFileTooLarge(
            f"the header row has {len(header):,} columns; an import reads at most {limits.max_columns:,}"
        )


# -- XLSX -------------------------------------------------------------------------------------


def check_xlsx_archive(path: Path, limits: ImportLimits) -> None:
    """Refuse a file that is not a ZIP archive, or whose parts would unpack beyond the limit.

    Cheap enough to run when the file is uploaded: it reads the archive's directory, never a
    part. The sizes it checks are the declared ones; reading a part never yields more than its
    declared size (the zip reader stops there and the part then fails its checksum)."""
    size = path.stat().st_size
    with path.open("rb") as handle:
        magic = handle.read(len(_XLS_MAGIC))
        if magic == _XLS_MAGIC:
            raise ImportFileUnreadable("the file is an old Excel 97–2003 (.xls) workbook; save it as .xlsx")
        if not magic.startswith(_ZIP_MAGIC):
            raise ImportFileUnreadable("the file is not an XLSX workbook (an XLSX file is a ZIP archive)")
        handle.seek(max(0, size - _ZIP_END_SIZE - _ZIP_COMMENT_MAX))
        tail = handle.read()
    end = tail.rfind(_ZIP_END)
    if end < 0 or end + _ZIP_END_SIZE > len(tail):
        raise ImportFileUnreadable("the workbook is damaged: its list of parts is missing (was the upload cut short?)")
    (directory_bytes,) = struct.unpack_from("<I", tail, end + 12)
    if directory_bytes > _ZIP_DIRECTORY_MAX_BYTES:
        raise ImportFileTooLarge("the workbook holds far more parts than a spreadsheet has")
    try:
        with zipfile.ZipFile(path) as archive:
            unpacked = sum(info.file_size for info in archive.infolist())
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, struct.error):
        raise ImportFileUnreadable("the workbook is damaged: its list of parts cannot be read") from None
    if unpacked > limits.max_unpacked_bytes:
        raise ImportFileTooLarge(
            f"the workbook unpacks to {unpacked:,} bytes; an import reads at most {limits.max_unpacked_bytes:,}"
        )


_SHEET_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_RELATIONS_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_PACKAGE_RELATIONS_NS = "http://schemas.openxmlformats.org/package/2006/relationships"


def _count_sheet(path: Path, limits: ImportLimits) -> int:
    """The first sheet's rows holding a value, the header's included, less the header."""
    check_xlsx_archive(path, limits)
    try:
        with zipfile.ZipFile(path) as archive:
            with archive.open(_first_sheet(archive)) as sheet:
                return max(_rows_with_values(sheet) - 1, 0)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError, ElementTree.ParseError, expat.ExpatError):
        raise ImportFileUnreadable("the workbook cannot be counted") from None


def _first_sheet(archive: zipfile.ZipFile) -> str:
    """The part holding the sheet openpyxl's ``workbook.active`` reads: the active tab's."""
    workbook = ElementTree.fromstring(archive.read("xl/workbook.xml"))
    view = workbook.find(f"{{{_SHEET_NS}}}bookViews/{{{_SHEET_NS}}}workbookView")
    active = int(view.get("activeTab", "0")) if view is not None else 0
    sheets = workbook.findall(f"{{{_SHEET_NS}}}sheets/{{{_SHEET_NS}}}sheet")
    relation = sheets[min(active, len(sheets) - 1)].get(f"{{{_RELATIONS_NS}}}id")
    relations = ElementTree.fromstring(archive.read("xl/_rels/workbook.xml.rels"))
    for item in relations.findall(f"{{{_PACKAGE_RELATIONS_NS}}}Relationship"):
        if item.get("Id") == relation:
            target = item.get("Target", "")
            return target.lstrip("/") if target.startswith("/") else f"xl/{target}"
    raise KeyError(relation)


def _rows_with_values(sheet: Any) -> int:
    """``<row>`` elements with a cell holding a value (``<v>`` or an inline ``<is>``), read by
    expat from the stream: no element is kept."""
    counted = 0
    in_row = has_value = False

    def start(name: str, _attributes: Any) -> None:
        nonlocal in_row, has_value
        local = name.rpartition(":")[2]
        if local == "row":
            in_row, has_value = True, False
        elif in_row and local in ("v", "is"):
            has_value = True

    def end(name: str) -> None:
        nonlocal in_row, counted
        if name.rpartition(":")[2] == "row":
            counted += has_value
            in_row = False

    parser = expat.ParserCreate()
    parser.StartElementHandler = start
    parser.EndElementHandler = end
    parser.ParseFile(sheet)
    return counted


def _xlsx_rows(path: Path, limits: ImportLimits, headings: Headings) -> Iterator[dict[str, Any] | RowUnreadable]:
    rows = _sheet_rows(path, limits)
    first = next(rows, None)
    if first is None:
        return
    header = [str(c) for c in first]
    fields = headings.fields_of(header)
    for values in rows:
        long_column = next(
            (c for c, v in zip(header, values, strict=False) if type(v) is str and len(v) > limits.max_value_chars),
            None,
        )
        if long_column is not None:
            yield RowUnreadable(
                long_column or "row", f"is longer than {limits.max_value_chars:,} characters", "value_too_long"
            )
            continue
        yield _flat_row(dict(zip(fields, values, strict=False)))


def _sheet_rows(path: Path, limits: ImportLimits) -> Iterator[tuple[Any, ...]]:
    """The first sheet's header (its cells as text, without trailing empty ones), then each
    row that is not empty, as wide as the header."""
    check_xlsx_archive(path, limits)
    try:
        workbook = load_workbook(path, read_only=True, data_only=True)
    except MemoryError:
        raise
    except Exception:
        # openpyxl reports a malformed workbook by whatever exception its parsers meet.
        raise ImportFileUnreadable("the workbook cannot be opened: it is damaged or not an XLSX workbook") from None
    read = 0
    try:
        sheet = workbook.active
        if sheet is None:
            raise ImportFileUnreadable("the workbook has no worksheet")
        # The dimension the sheet declares is not trusted: read rows are padded to it, so a
        # declared A1:XFD1048576 would turn each row into 16,384 cells.
        sheet.reset_dimensions()
        first = next(sheet.iter_rows(max_row=1, values_only=True), ())
        header = [str(c).strip() if c is not None else "" for c in first]
        while header and not header[-1]:
            header.pop()
        _check_header(header, limits)
        width = len(header)
        if not width:
            return
        yield tuple(header)
        empty_run = 0
        for values in sheet.iter_rows(min_row=2, max_col=width, values_only=True):
            read += 1
            if values.count(None) == width:
                empty_run += 1
                if empty_run >= limits.max_empty_rows:
                    return  # a run this long ends the data, whatever the sheet declares
                continue
            empty_run = 0
            yield values
    except (ImportFileUnreadable, MemoryError):
        raise
    except Exception:
        raise ImportFileUnreadable(
            f"the sheet cannot be read past its row {read + 1}: the workbook is damaged"
        ) from None
    finally:
        workbook.close()


# -- flat rows --------------------------------------------------------------------------------


def _flat_row(record: dict[str, Any]) -> dict[str, Any] | RowUnreadable:
    row: dict[str, Any] = {}
    target: dict[str, Any] = {}
    for column, value in record.items():
        column = (column or "").strip()
        if value is None or (isinstance(value, str) and not value.strip()):
            continue
        if column == "relevant_date":
            value = _date(value)
            if value is None:
                return RowUnreadable("relevant_date", _NOT_A_DATE, "date_parsing")
        if column == "targets":
            if not isinstance(value, str):
                return RowUnreadable("targets", "is not a JSON array of targets", "targets_not_a_list")
            try:
                row["targets"] = orjson.loads(value)
            except orjson.JSONDecodeError as exc:
                return RowUnreadable(
                    "targets", f"is not a JSON array of targets: {_json_problem(value, exc)}", "targets_not_a_list"
                )
        elif column == "target_identity_number":
            # A workbook keeps a number cell as a double: 15 significant digits, the last three
            # of the 18 already lost, so the number cannot be read back from it.
            if isinstance(value, (int, float)):
                return RowUnreadable(
                    "target_identity_number",
                    "is a number cell, which keeps only 15 digits; format the column as text and type it again",
                    "identity_number_as_number_cell",
                )
            target["identity_number"] = value
        elif column.startswith("target_") and column[7:] in _TARGET_COLUMNS:
            target[column[7:]] = value
        elif column == "key_supervised":
            parsed = _boolean(value)
            if parsed is None:
                return RowUnreadable("key_supervised", _YES_NO, "bool_parsing")
            row["key_supervised"] = parsed
        elif column:
            row[column] = value if not isinstance(value, (int, float)) or column in ("size",) else str(value)
    if "party_member" in target:
        parsed = _boolean(target["party_member"])
        if parsed is None:
            return RowUnreadable("target_party_member", _YES_NO, "bool_parsing")
        target["party_member"] = parsed
    if target and "targets" not in row:
        row["targets"] = [target]
    return row


def _date(value: Any) -> str | None:
    """A date cell as ISO text: XLSX gives datetimes for date cells, people write
    2026/5/1 or 2026年5月1日 as often as 2026-05-01."""
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    text = str(value).strip()
    match = next((m for pattern in _DATES if (m := pattern.fullmatch(text))), None)
    if match is None:
        return None
    year, _, month, day = match.groups()
    try:
        return dt.date(int(year), int(month), int(day)).isoformat()
    except ValueError:
        return None


def _boolean(value: Any) -> bool | None:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    return True if text in _TRUE else False if text in _FALSE else None


def sniff_format(content_type: str | None, filename: str | None) -> str | None:
    media = (content_type or "").split(";")[0].strip().lower()
    if media in FORMATS:
        return FORMATS[media]
    suffix = Path(filename or "").suffix.lower()
    return {".jsonl": "jsonl", ".ndjson": "jsonl", ".csv": "csv", ".xlsx": "xlsx"}.get(suffix)
