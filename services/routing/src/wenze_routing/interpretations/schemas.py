from __future__ import annotations

import datetime as dt
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from wenze.rules.models import PointArticle, Reading


class ReadingChoiceCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reading: str = Field(min_length=1, max_length=80, description="one of the point's readings")
    effective_from: dt.date = Field(
        description="the first relevant date read so: matters whose relevant date is earlier keep the reading before"
    )
    reason: str = Field(min_length=1, max_length=4000, description="why the commission follows this reading")


class ReadingChoiceRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    point: str
    version: int
    reading: str
    effective_from: dt.date
    reason: str
    chosen_by: str
    chosen_at: dt.datetime


class ReadingInForce(BaseModel):
    reading: str
    label: str
    default: bool = Field(description="the pack's default, no choice being in force")
    since: dt.date | None = Field(default=None, description="the choice's effective date; none for the default")
    version: int | None = None


class PointRead(BaseModel):
    id: str
    question: str
    articles: list[PointArticle]
    readings: list[Reading]
    default: str
    default_reason: str
    last_reviewed: dt.date
    affects: list[str]
    note: str
    on: dt.date = Field(description="the date `in_force` answers for")
    in_force: ReadingInForce
    choices: list[ReadingChoiceRead] = Field(description="every choice recorded for the point, oldest first")


class PointsRead(BaseModel):
    tenant: str
    on: dt.date
    points: list[PointRead]
    readings: dict[str, Any] = Field(description="point → the reading in force on `on`")
