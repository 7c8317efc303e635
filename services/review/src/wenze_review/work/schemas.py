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


class WorkTargetRead(BaseModel):
    """Who a task's matter concerns, as far as a list of work shows them."""

    name: str | None = None
    post: str | None = None
    unit: str | None = None


class WorkItemRead(BaseModel):
    """An open task with what a list of work shows of its matter, so the list is one call."""

    id: str
    kind: str
    office: str
    capability: str
    matter_id: str
    case_id: str | None
    subject_id: str
    target_index: int | None
    citations: list[str] = Field(description="the articles requiring the task")
    due: dt.date | None
    state: str
    assignee: str | None
    created_at: dt.datetime
    matter_number: str | None = Field(description="as review holds it from routing; null if it holds no subject")
    summary: str | None
    targets: list[WorkTargetRead]


class WorkQueuePage(BaseModel):
    items: list[WorkItemRead]
    total: int = Field(description="the open tasks of the caller's office it may read, over every page")
    limit: int
    offset: int
