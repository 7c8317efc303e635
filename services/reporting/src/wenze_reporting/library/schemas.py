from __future__ import annotations

import datetime as dt

from pydantic import BaseModel, ConfigDict, Field

from wenze_reporting.reports.schemas import Stamp


class MarkCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: str = Field(min_length=1, max_length=2000, description="why the case is typical (for the notice's editor)")


class LibraryTarget(BaseModel):
    kind: str
    kind_label: str
    name: str | None
    post: str | None
    unit: str | None
    level: str | None
    level_label: str
    measures: list[str]
    measure_labels: list[str]


class LibraryCase(BaseModel):
    decision_id: str
    decision_number: str
    matter_number: str
    summary: str | None
    decided_by: str
    decided_by_label: str
    decided_on: dt.date
    simplified_procedure: bool
    targets: list[LibraryTarget]
    citations: list[str]
    typical: bool


class CaseLibrary(BaseModel):
    """The month's decided cases (案例库), entered once a month (昆纪办发〔2019〕19号 五.3)."""

    stamp: Stamp
    cases: list[LibraryCase]


class MarkRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    decision_id: str
    state: str
    reason: str
    marked_by: str
    marked_at: dt.datetime
    changed_by: str | None
    changed_at: dt.datetime | None


class NoticeDraft(BaseModel):
    """A draft of the public notice naming the period's typical cases (典型案例通报): for an
    editor to complete and sign, never sent by the platform itself."""

    stamp: Stamp
    title: str
    text: str
    cases: int


class AnonymisedCase(BaseModel):
    """A case for training: no names, numbers, posts or units; the summary with them masked."""

    case: int
    decided_on_month: str
    decided_by_label: str
    summary: str
    targets: list[dict[str, object]]
    citations: list[str]
    typical: bool


class AnonymisedExport(BaseModel):
    stamp: Stamp
    cases: list[AnonymisedCase]
