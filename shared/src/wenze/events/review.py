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
    # The 会商表's number as review gave it when the consultation opened (added compatibly:
    # events published before carry none), so that the form shows the one number.
    number: str | None = None


class JointReviewConcluded(_ReviewEvent):
    """The joint review (会审) of a case's recommendations reached consensus (or an escalation
    level decided) and was approved; the case goes on to its decision."""

    aggregate: ClassVar[str] = "joint_review"
    name: ClassVar[str] = "concluded"

    joint_review_id: uuid.UUID
    slip_id: uuid.UUID
    # The 会审表's number, given when the joint review opened; none where the pack numbers
    # no joint reviews.
    number: str | None
    decided_at_level: str
    approved_by: list[str]


class TargetsIdentified(_ReviewEvent):
    """An investigation of a matter without a known target has identified who is accountable."""

    aggregate: ClassVar[str] = "investigation"
    name: ClassVar[str] = "targets_identified"

    investigation_id: uuid.UUID
    slip_id: uuid.UUID
    targets: list[TargetSnapshot]


class StepRecorded(_ReviewEvent):
    """A step of a matter's review went onto its timeline (a case opened, an approval, findings,
    a recommendation, a signature, a hearing, a decision, a task handed over): what the other
    services need to show where the matter is without asking review."""

    aggregate: ClassVar[str] = "timeline"
    name: ClassVar[str] = "recorded"

    # What the step belongs to: ``case``, ``consultation``, ``joint_review`` or ``task``.
    kind: str
    case_id: uuid.UUID | None
    subject_id: uuid.UUID | None
    # Review's timeline action, e.g. ``start_approved``, ``findings_recorded``, ``signed``.
    action: str
    office: str | None
    # The case's state once the step is done, where the step belongs to a case.
    case_state: str | None
    citations: list[str]


class DecidedMeasure(BaseModel):
    target: TargetSnapshot
    measures: list[str]
    responsibility: str | None = None
    # What services counting decisions per organisation need (intake's counted triggers):
    # the party organisation or unit the target belongs to (the target's unit unless the
    # decision names it), whether the target sits on its leading group, and the party
    # sanction decided, a code of the pack's ``party_sanctions`` vocabulary.
    organisation: str | None = None
    leading_group_member: bool = False
    party_sanction: str | None = None


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
    # The decision disposes of a major disciplinary or criminal case (重大违纪违法案件).
    major_case: bool = False
