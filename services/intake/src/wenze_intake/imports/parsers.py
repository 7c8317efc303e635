"""Reading bulk files row by row: JSON Lines, CSV and XLSX.

JSON Lines rows are matter objects as ``POST /v1/matters`` takes them. CSV and XLSX rows
are flat: the matter's scalar fields as columns, and either a ``targets`` column holding a
JSON array of targets or one target in ``target_*`` columns (``target_kind``,
``target_name``, ``target_post``, ``target_unit``, ``target_cadre_level``,
``target_sector``, ``target_party_member``, ``target_org_level``).
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

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

_TARGET_COLUMNS = ("kind", "name", "post", "unit", "cadre_level", "sector", "party_member", "org_level")
_TRUE = {"true", "1", "yes", "y", "是"}
_FALSE = {"false", "0", "no", "n", "否"}


class RowUnreadable(Exception):
    """A row that cannot even be turned into a matter object (bad JSON, bad boolean...)."""

    def __init__(self, field: str, reason: str):
        super().__init__(f"{field}: {reason}")
        self.field = field
        self.reason = reason


def iter_rows(path: Path, fmt: str) -> Iterator[dict[str, Any] | RowUnreadable]:
    """Yield each data row as a matter dict, or the reason it could not be read."""
    if fmt == "jsonl":
        yield from _jsonl_rows(path)
    elif fmt == "csv":
        with path.open(encoding="utf-8-sig", newline="") as handle:
            for record in csv.DictReader(handle):
                yield _flat_row({k: v for k, v in record.items() if k is not None})
    elif fmt == "xlsx":
        workbook = load_workbook(path, read_only=True, data_only=True)
        try:
            rows = workbook.active.iter_rows(values_only=True)
            header = [str(c).strip() if c is not None else "" for c in next(rows, ())]
            for values in rows:
                if all(v is None for v in values):
                    continue
                yield _flat_row(dict(zip(header, values, strict=False)))
        finally:
            workbook.close()
    else:
        raise ValueError(f"unknown import format {fmt}")


def _jsonl_rows(path: Path) -> Iterator[dict[str, Any] | RowUnreadable]:
    with path.open("rb") as handle:
        for raw in handle:
            line = raw.strip()
            if not line:
                continue
            try:
                value = orjson.loads(line)
            except orjson.JSONDecodeError as exc:  # invalid UTF-8 included
                yield RowUnreadable("row", f"not valid JSON: {exc}")
                continue
            yield value if isinstance(value, dict) else RowUnreadable("row", "a line must hold one JSON object")


def _flat_row(record: dict[str, Any]) -> dict[str, Any] | RowUnreadable:
    row: dict[str, Any] = {}
    target: dict[str, Any] = {}
    for column, value in record.items():
        column = (column or "").strip()
        if value is None or (isinstance(value, str) and not value.strip()):
            continue
        if hasattr(value, "date") and column == "relevant_date":
            value = value.date().isoformat()  # XLSX gives datetimes for date cells
        if column == "targets":
            try:
                row["targets"] = json.loads(value)
            except json.JSONDecodeError as exc:
                return RowUnreadable("targets", f"not a JSON array: {exc}")
        elif column.startswith("target_") and column[7:] in _TARGET_COLUMNS:
            target[column[7:]] = value
        elif column == "key_supervised":
            parsed = _boolean(value)
            if parsed is None:
                return RowUnreadable("key_supervised", f"not a yes/no value: {value!r}")
            row["key_supervised"] = parsed
        elif column:
            row[column] = value if not isinstance(value, (int, float)) or column in ("size",) else str(value)
    if "party_member" in target:
        parsed = _boolean(target["party_member"])
        if parsed is None:
            return RowUnreadable("target_party_member", f"not a yes/no value: {target['party_member']!r}")
        target["party_member"] = parsed
    if target and "targets" not in row:
        row["targets"] = [target]
    return row


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
