from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from wenze.events.intake import TargetSnapshot
from wenze.http.types import Code, ShortText, Text
from wenze.persons import IdentityNumber
from wenze_review.deliberations.schemas import ApprovalRead


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")


class IdentifiedTarget(TargetSnapshot):
    """A target the investigation identified, as the findings name it."""

    identity_number: IdentityNumber | None = Field(
        default=None,
        description="a person's resident identity number (公民身份号码, 18 characters, GB 11643 check digit); "
        "never stored: review keeps only the person reference derived from it, as intake does",
    )
    person_ref: str | None = Field(
        default=None,
        description="the reference a target of this case already carries (as the matter shows it), "
        "for a person the matter already identified",
    )


class FindingsCreate(_In):
    findings: Annotated[str, Text(50_000)]
    evidence: list[ShortText] = Field(
        default_factory=list, max_length=200, description="references to the evidence gathered"
    )
    identified_targets: list[IdentifiedTarget] | None = Field(
        default=None,
        max_length=100,
        description="required when the case is reclassified after investigation; refused otherwise",
    )


class RecommendationCreate(_In):
    """The handling office's preliminary recommendation (初步问责建议) for one target."""

    target_index: int = Field(ge=0, description="position of the target in the case's targets")
    statement: Annotated[str, Text(20_000)] = Field(description="the established circumstances, as written")
    circumstances: list[Code] = Field(
        default_factory=list, max_length=50, description="codes of the pack's catalogue of circumstances"
    )
    legal_basis: Annotated[str, Text(5_000)]
    severity: Code | None = Field(default=None, description="a code of the pack's severities, where it grades them")
    mitigating: list[Code] = Field(default_factory=list, max_length=50)
    aggravating: list[Code] = Field(default_factory=list, max_length=50)
    proposed_measures: list[Code] = Field(
        max_length=20,
        description="may be empty where the pack finds no responsibility (e.g. a recorded dissent); "
        "the pack's recommendation step decides whether the proposal stands",
    )
    responsibility_kind: Code | None = None
    duty_holder: Code | None = None
    role: Code | None = None
    collective_decision: bool = False
    recorded_dissent: bool = False
    dissent: Annotated[str, Text(5_000)] | None = Field(default=None, description="the dissent as recorded, if any")
    occurred_on: dt.date | None = None


class Argument(_In):
    argument: Annotated[str, Text(5_000)]
    accepted: bool
    reason: Annotated[str, Text(5_000)]


class HearingCreate(_In):
    target_index: int = Field(ge=0)
    held_on: dt.date
    arguments: list[Argument] = Field(default_factory=list, max_length=100)


class CaseApprovalCreate(_In):
    stage: Literal["start", "decision"] = Field(
        description="`start`: before the investigation (start_approved_by); `decision`: before the decision"
    )
    comment: Annotated[str, Text(2_000)] | None = None


class TargetMeasures(_In):
    target_index: int = Field(ge=0)
    measures: list[Code] = Field(max_length=20, description="empty when the pack permits no measure for this target")
    responsibility: Code | None = None
    party_sanction: Code | None = Field(
        default=None, description="the party disciplinary sanction decided, a code of the pack's party_sanctions"
    )
    leading_group_member: bool = Field(
        default=False, description="the target sits on the leading group of its party organisation"
    )
    organisation: ShortText | None = Field(
        default=None,
        description="the party organisation or unit the target belongs to, when it is not the target's unit",
    )


class DecisionCreate(_In):
    decided_on: dt.date
    announced_on: dt.date | None = None
    simplified: bool = False
    facts_clear: bool
    measures: list[TargetMeasures] = Field(min_length=1, max_length=100)
    major_case: bool = Field(
        default=False, description="the decision disposes of a major disciplinary or criminal case (重大违纪违法案件)"
    )


class DecisionCopyCreate(_In):
    """The deciding office has copied the decision materials to the offices the rules name."""

    copied_on: dt.date = Field(description="the day the materials were sent")


class InvestigationRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    office: str | None
    joined_by: list[str]
    state: Literal["pending", "open", "completed"]
    findings: str | None
    evidence: list[str]
    identified_targets: list[dict]
    completed_by: str | None
    completed_at: dt.datetime | None


class RecommendationRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    target_index: int
    content: dict
    outcome: dict
    explanation: list[dict]
    factors: dict | None
    citations: list[str]
    recorded_by: str
    office: str
    recorded_at: dt.datetime


class HearingRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    target_index: int
    held_on: dt.date
    arguments: list[dict]
    recorded_by: str
    office: str
    recorded_at: dt.datetime


class CaseApprovalRead(ApprovalRead):
    stage: str


class DecisionRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    number: str
    decided_by: str
    decided_on: dt.date
    announced_on: dt.date | None
    simplified: bool
    facts_clear: bool
    major_case: bool
    measures: list[dict]
    citations: list[str]
    recorded_by: str
    recorded_at: dt.datetime


class CaseRead(BaseModel):
    id: str
    matter_id: str
    slip_id: str
    slip_number: str
    matter_number: str
    summary: str
    relevant_date: dt.date
    targets: list[dict]
    procedure: str | None = Field(default=None, description="the pack's procedure whose workflow drives the case")
    handler: str | None
    cc: list[str]
    investigated_by: str | None
    investigated_with: list[str]
    reclassify_after_investigation: bool
    joint_review_required: bool
    start_approved_by: list[str]
    decided_by: list[str]
    fixed_by: str
    citations: list[str]
    state: Literal[
        "awaiting_start_approval",
        "investigating",
        "recommending",
        "joint_review",
        "deciding",
        "decided",
        "reclassified",
    ]
    requirements: dict | None
    joint_review_id: str | None
    investigation: InvestigationRead | None
    recommendations: list[RecommendationRead]
    hearings: list[HearingRead]
    approvals: list[CaseApprovalRead]
    decision: DecisionRead | None
    created_at: dt.datetime
