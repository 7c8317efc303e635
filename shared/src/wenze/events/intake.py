"""Events produced by the intake service (stream ``INTAKE``, subjects ``intake.>``)."""

from __future__ import annotations

import datetime as dt
from typing import ClassVar, Literal

from pydantic import BaseModel

from wenze.events.base import Event


class TargetSnapshot(BaseModel):
    kind: Literal["person", "organisation", "unknown"]
    name: str | None = None
    post: str | None = None
    unit: str | None = None
    cadre_level: str | None = None
    sector: str | None = None
    party_member: bool | None = None
    org_level: str | None = None
    # The form proposed for this target, where the targets of one matter differ; a target
    # without one takes the matter's ``proposed_form``.
    proposed_form: str | None = None
    # A person's stable reference, derived by intake from their identity number (which is
    # never carried; wenze.persons, ADR 0044); none where the matter did not give one.
    person_ref: str | None = None


class _IntakeMatterEvent(Event):
    service: ClassVar[str] = "intake"
    aggregate: ClassVar[str] = "matter"


class MatterReceived(_IntakeMatterEvent):
    name: ClassVar[str] = "received"

    number: str
    source: str
    source_reference: str | None
    summary: str
    key_supervised: bool
    proposed_form: str | None
    targets: list[TargetSnapshot]


class MatterAccepted(_IntakeMatterEvent):
    name: ClassVar[str] = "accepted"

    number: str
    source: str
    summary: str
    facts: str
    key_supervised: bool
    proposed_form: str | None
    targets: list[TargetSnapshot]
    relevant_date: dt.date
    study_date: dt.date
    participants: list[str]
    accepted_by: str


class MatterRejected(_IntakeMatterEvent):
    """Not accepted after study, or transferred to another body; only accepted matters move on."""

    name: ClassVar[str] = "rejected"

    number: str
    outcome: Literal["not_accepted", "transferred"]
    reason: str
    transferred_to: str | None
    study_date: dt.date
    participants: list[str]
    decided_by: str
