from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from wenze.http.types import ShortText
from wenze_sanction_execution.executions.models import DeadlineState, ExecutionState, StepState
from wenze_sanction_execution.persons.schemas import AfterEffectRead


class StepRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    code: str
    position: int
    action: str
    actor: str | None
    joined_by: list[str]
    state: StepState
    completed_on: dt.date | None
    completed_by: str | None
    completed_office: str | None
    note: str | None
    numbering: str | None = Field(description="the pack's numbering kind of the document this step issues")
    document_number: str | None = Field(description="the number the document got when the step was done")
    citations: list[str]


class Light(StrEnum):
    GREEN = "green"
    """On time: not yet within its lead time."""
    YELLOW = "yellow"
    """Due soon: within its lead time."""
    RED = "red"
    """Overdue."""


class DeadlineRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    execution_id: str
    matter_number: str
    office: str
    duty: str
    label: str
    due_on: dt.date
    remind_on: dt.date
    state: DeadlineState
    met_on: dt.date | None
    citations: list[str]
    interpretations: list[dict[str, Any]] = Field(
        default_factory=list,
        description="the interpretation points its due date depended on: point, question, reading, "
        "label, whether it is the pack's default, the articles concerned",
    )


class OpenDeadlineRead(DeadlineRead):
    light: Light = Field(description="green on time, yellow within the reminder lead time, red overdue")
    days_left: int = Field(description="calendar days from the tenant's today to the due date; negative when overdue")


class ExecutionDeadlineRead(DeadlineRead):
    """A deadline as its execution shows it: with the light of the office's list while it is open."""

    light: Light | None = Field(
        default=None, description="while it is open: green on time, yellow within the lead time, red overdue"
    )
    days_left: int | None = Field(default=None, description="while it is open: calendar days to the due date")


class ExecutionRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    decision_id: str
    decision_number: str
    matter_id: str
    matter_number: str
    person_id: str
    target: dict[str, Any]
    measure: str
    office: str
    decided_on: dt.date
    announced_on: dt.date | None
    state: ExecutionState
    citations: list[str]
    interpretations: list[dict[str, Any]] = Field(
        default_factory=list,
        description="the interpretation points the execution's plan depended on: point, question, reading, "
        "label, whether it is the pack's default, the articles concerned",
    )
    steps: list[StepRead] = Field(default_factory=list)
    deadlines: list[ExecutionDeadlineRead] = Field(default_factory=list)
    after_effects: list[AfterEffectRead] = Field(
        default_factory=list,
        description="the after-effect periods its decision set for its person (shared by the person's "
        "executions of that decision)",
    )
    created_at: dt.datetime
    updated_at: dt.datetime


class StepCompletion(BaseModel):
    """A step done: on which day, with an optional note (the record of the talk, the letter's number)."""

    model_config = ConfigDict(extra="forbid")

    completed_on: dt.date
    note: ShortText | None = None
