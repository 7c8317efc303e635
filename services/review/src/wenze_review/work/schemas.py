from __future__ import annotations

import datetime as dt

from pydantic import BaseModel, ConfigDict, Field

from wenze.http.types import Username


class ReassignCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    username: Username = Field(description="a user of the task's office")


class TaskRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    kind: str
    office: str
    capability: str
    matter_id: str
    case_id: str | None
    subject_id: str
    target_index: int | None
    citations: list[str]
    due: dt.date | None
    state: str
    assignee: str | None
    created_at: dt.datetime
    closed_at: dt.datetime | None
    closed_by: str | None
    history: list[dict]


class TimelineEntryRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    at: dt.datetime
    actor: str
    office: str | None
    action: str
    case_id: str | None
    subject_id: str | None
    citations: list[str]
    detail: dict
