from __future__ import annotations

import datetime as dt
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from wenze_sanction_execution.persons.models import Purpose


class PersonRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    kind: str
    name: str
    unit: str
    post: str | None
    cadre_level: str | None


class BarRead(BaseModel):
    """One after-effect period that holds on the asked date."""

    purpose: Purpose
    until: dt.date | None = Field(description="the first day it no longer holds; empty when another regulation sets it")
    period_set_by: str | None
    decision_number: str
    starts_on: dt.date
    rule: str
    description: str
    citations: list[str]
    interpretations: list[dict[str, Any]] = Field(
        default_factory=list,
        description="the interpretation points the period depended on: point, question, reading, "
        "label, whether it is the pack's default, the articles concerned",
    )


class EligibilityRead(BaseModel):
    """May the person be promoted, appointed to an equivalent post, or given appraisal honours on ``date``?"""

    person_id: str
    date: dt.date
    purpose: Purpose = Field(serialization_alias="for")
    eligible: bool
    until: dt.date | None = Field(
        description="when not eligible: the first day the person is (concurrent periods: the latest end); "
        "empty when a period's length is set by another regulation"
    )
    reason: str
    bars: list[BarRead]
    citations: list[str]
    interpretations: list[dict[str, Any]] = Field(
        default_factory=list,
        description="the interpretation points the periods that hold depended on: point, question, reading, "
        "label, whether it is the pack's default, the articles concerned",
    )


class HistoryEntry(BaseModel):
    """One decided measure in the person's accountability record, for the recidivism factors."""

    decision_id: str
    decision_number: str
    matter_number: str
    measure: str
    decided_on: dt.date
    state: str
    execution_id: str


class HistoryRead(BaseModel):
    person: PersonRead
    entries: list[HistoryEntry]
