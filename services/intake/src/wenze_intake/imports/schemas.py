from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from wenze.http.types import Name


class ImportJobRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    state: Literal["queued", "running", "completed", "failed"]
    format: Literal["jsonl", "csv", "xlsx"]
    filename: str | None
    file_bytes: int
    total_rows: int | None = Field(
        description="rows in the file, counted when the job starts "
        "(null while queued, or for a file that cannot be read)"
    )
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


class ImportAcceptanceCreate(BaseModel):
    """One collective study's acceptance (受理) of every matter of an import that awaits it."""

    model_config = ConfigDict(extra="forbid")

    participants: list[Name] = Field(min_length=1, max_length=50)
    study_date: dt.date


class ImportAcceptanceRead(BaseModel):
    job_id: str
    accepted: int = Field(description="matters of the import accepted by this request")
    awaiting: int = Field(
        description="matters of the import you may read that still await acceptance: "
        "their targets' levels or units are outside your office's authority"
    )
