"""Events produced by the review service (stream ``REVIEW``, subjects ``review.>``)."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import ClassVar

from pydantic import BaseModel

from wenze.events.base import Event
from wenze.events.intake import TargetSnapshot


class _ReviewEvent(Event):
    service: ClassVar[str] = "review"


class ConsultationConcluded(_ReviewEvent):
    """The consultation reached consensus (or an escalation level decided) and was approved."""

    aggregate: ClassVar[str] = "consultation"
    name: ClassVar[str] = "concluded"

    consultation_id: uuid.UUID
    slip_id: uuid.UUID
    handler: str
    decided_at_level: str
    approved_by: list[str]


class TargetsIdentified(_ReviewEvent):
    """An investigation of a matter without a known target has identified who is accountable."""

    aggregate: ClassVar[str] = "investigation"
    name: ClassVar[str] = "targets_identified"

    investigation_id: uuid.UUID
    slip_id: uuid.UUID
    targets: list[TargetSnapshot]


class DecidedMeasure(BaseModel):
    target: TargetSnapshot
    measures: list[str]
    responsibility: str | None = None


class DecisionMade(_ReviewEvent):
    """A written accountability decision (问责决定) was made by the competent body."""

    aggregate: ClassVar[str] = "decision"
    name: ClassVar[str] = "made"

    decision_id: uuid.UUID
    number: str
    matter_number: str
    decided_by: str
    decided_on: dt.date
    announced_on: dt.date | None
    simplified_procedure: bool
    measures: list[DecidedMeasure]
    citations: list[str]
