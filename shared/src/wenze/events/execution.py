"""Events produced by the sanction-execution service (stream ``SANCTION_EXECUTION``).

An execution record carries out one measure of one decision for one target; its deadlines
are stored and fired by the service's scheduler, ahead of time (``deadline.due``) and when
passed (``deadline.missed``), each exactly once.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable, Mapping
from typing import Any, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field

from wenze.events.base import Event
from wenze.events.intake import TargetSnapshot


class ReadingApplied(BaseModel):
    """An interpretation point an outcome depended on and the reading it was read under
    (docs/rules-authoring.md#interpretation-points), as the events carrying that outcome name it
    beside its citations: the point's question and the reading's label as the pack gives them."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    point: str
    question: str
    reading: str
    label: str
    default: bool = Field(description="the pack's default rather than a reading the tenant chose")
    citations: list[str] = Field(default_factory=list, description="the articles the point concerns")

    @classmethod
    def from_stored(cls, applied: Mapping[str, Any]) -> ReadingApplied:
        """From an evaluation's applied interpretation as the services store it (its JSON form)."""
        return cls(
            point=applied["point"],
            question=" ".join(str(applied["question"]).split()),
            reading=applied["reading"],
            label=applied["label"],
            default=bool(applied["default"]),
            citations=[f"{c['document']} {c['article']}" for c in applied.get("citations", [])],
        )

    @classmethod
    def all_from_stored(cls, stored: Iterable[Mapping[str, Any]]) -> list[ReadingApplied]:
        return [cls.from_stored(applied) for applied in stored]


class _ExecutionEvent(Event):
    service: ClassVar[str] = "sanction-execution"


class ExecutionOpened(_ExecutionEvent):
    """A decided measure for one target is to be carried out, with the steps the pack prescribes."""

    aggregate: ClassVar[str] = "execution"
    name: ClassVar[str] = "opened"

    execution_id: uuid.UUID
    decision_id: uuid.UUID
    decision_number: str
    matter_number: str
    target: TargetSnapshot
    measure: str
    office: str
    steps: list[str]
    citations: list[str]
    # Added compatibly: events published before carry none.
    interpretations: list[ReadingApplied] = Field(
        default_factory=list, description="the interpretation points the outcome depended on, with the reading applied"
    )


class ExecutionCompleted(_ExecutionEvent):
    """Every step of the execution is done (or the measure was revoked on appeal)."""

    aggregate: ClassVar[str] = "execution"
    name: ClassVar[str] = "completed"

    execution_id: uuid.UUID
    decision_id: uuid.UUID
    matter_number: str
    outcome: Literal["carried_out", "revoked"]


class _DeadlineEvent(_ExecutionEvent):
    aggregate: ClassVar[str] = "deadline"

    deadline_id: uuid.UUID
    execution_id: uuid.UUID | None
    matter_number: str
    office: str
    duty: str
    label: str
    due_on: dt.date
    citations: list[str]
    # Added compatibly: events published before carry none.
    interpretations: list[ReadingApplied] = Field(
        default_factory=list, description="the interpretation points the outcome depended on, with the reading applied"
    )


class DeadlineDue(_DeadlineEvent):
    """A deadline comes within its lead time (configured per tenant) and is not yet met."""

    name: ClassVar[str] = "due"


class DeadlineMissed(_DeadlineEvent):
    """A deadline passed without the duty being done."""

    name: ClassVar[str] = "missed"


class AppealFiled(_ExecutionEvent):
    """The person concerned appealed within the pack's window; ``suspends`` follows the pack."""

    aggregate: ClassVar[str] = "appeal"
    name: ClassVar[str] = "filed"

    appeal_id: uuid.UUID
    decision_id: uuid.UUID
    matter_number: str
    target: TargetSnapshot
    filed_on: dt.date
    heard_by: str
    suspends_execution: bool
    citations: list[str]
    # Added compatibly: events published before carry none.
    interpretations: list[ReadingApplied] = Field(
        default_factory=list, description="the interpretation points the outcome depended on, with the reading applied"
    )


class AppealDecided(_ExecutionEvent):
    """The body hearing the appeal upheld, varied or revoked the decision."""

    aggregate: ClassVar[str] = "appeal"
    name: ClassVar[str] = "decided"

    appeal_id: uuid.UUID
    decision_id: uuid.UUID
    matter_number: str
    outcome: Literal["upheld", "varied", "revoked"]
    measures: list[str]
    decided_on: dt.date
    citations: list[str]
    # The person who appealed (added compatibly: events published before carry none), so
    # that services keeping a person's history know whose part of the decision it concerns.
    target: TargetSnapshot | None = None
