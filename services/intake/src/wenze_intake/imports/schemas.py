from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class ImportJobRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    state: Literal["queued", "running", "completed", "failed"]
    format: Literal["jsonl", "csv", "xlsx"]
    filename: str | None
    file_bytes: int
    total_rows: int | None = Field(description="known once the file has been read through")
    processed_rows: int
    registered: int
    refused: int
    created_by: str
    created_at: dt.datetime
    started_at: dt.datetime | None
    finished_at: dt.datetime | None
    failure: str | None = Field(description="why the whole job failed (not a row error)")


class ImportRowErrorRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    row: int = Field(description="1-based data row (JSON Lines: line; CSV/XLSX: row after the header)")
    errors: list[dict]


class ImportRowErrorPage(BaseModel):
    items: list[ImportRowErrorRead]
    next_after: int | None
