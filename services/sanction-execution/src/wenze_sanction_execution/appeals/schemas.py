from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from wenze.http.types import Code
from wenze_sanction_execution.appeals.models import AppealState


class AppealCreate(BaseModel):
    """An appeal received from the person a decision concerns."""

    model_config = ConfigDict(extra="forbid")

    decision_id: str = Field(max_length=36)
    person_id: str = Field(max_length=36)
    filed_on: dt.date = Field(description="the day the written appeal was lodged")
    received_on: dt.date | None = Field(
        default=None,
        description="the day the person received the decision; by default the day it was announced, else decided",
    )
    heard_by: Code | None = Field(
        default=None, description="where the pack names several bodies, the one the appeal is addressed to"
    )


class AppealOutcome(BaseModel):
    model_config = ConfigDict(extra="forbid")

    outcome: Literal["upheld", "varied", "revoked"]
    decided_on: dt.date
    measures: list[Code] = Field(
        default_factory=list, max_length=20, description="the measures as varied; only with outcome varied"
    )


class AppealRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    decision_id: str
    decision_number: str
    matter_number: str
    person_id: str
    received_on: dt.date
    filed_on: dt.date
    last_day: dt.date | None
    heard_by: list[str]
    suspends_execution: bool
    state: AppealState
    outcome: str | None
    measures: list[str] | None
    decided_on: dt.date | None
    citations: list[str]
    interpretations: list[dict[str, Any]] = Field(
        default_factory=list,
        description="the interpretation points the appeal's terms depended on: point, question, reading, label, "
        "whether it is the pack's default, the articles concerned",
    )
