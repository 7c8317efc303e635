from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from wenze.http.types import Code, Text

OpinionText = Annotated[str, Text(5_000)]
Comment = Annotated[str, Text(2_000)]


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")


class SignatureCreate(_In):
    """A participant office's opinion (会商/会审意见) and signature."""

    opinion: Literal["agree", "other"] = Field(description="agree with the proposal, or give another opinion")
    handler: Code | None = Field(default=None, description="consultations: the handler another opinion names")
    text: OpinionText | None = Field(default=None, description="the opinion as written; required for `other`")


class ApprovalCreate(_In):
    comment: Comment | None = None


class EscalationCreate(_In):
    """What the current escalation level concluded."""

    outcome: Literal["decided", "no_agreement"]
    handler: Code | None = Field(default=None, description="consultations: the handler decided on")
    text: OpinionText = Field(description="the level's reasoning or minutes")


class SignatureRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    office: str
    username: str
    opinion: str
    handler: str | None
    text: str | None
    signed_at: dt.datetime


class ApprovalRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    office: str
    username: str
    comment: str | None
    approved_at: dt.datetime


class EscalationRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    level: int
    step: str
    actor: str | None
    outcome: str
    handler: str | None
    text: str
    username: str
    office: str
    recorded_at: dt.datetime


class DeliberationRead(BaseModel):
    id: str
    kind: Literal["consultation", "joint_review"]
    number: str | None
    matter_id: str
    slip_id: str
    case_id: str | None
    matter_number: str
    summary: str
    state: Literal["signing", "approving", "escalated", "deadlocked", "concluded", "superseded"]
    lead: str | None
    participants: list[str]
    proposed_handler: str | None
    handler_candidates: list[str]
    approved_by: list[str]
    escalation: list[dict]
    current_level: dict | None = Field(description="the escalation level now deciding, with its index")
    handler: str | None
    decided_at_level: str | None
    citations: list[str]
    signatures: list[SignatureRead]
    approvals: list[ApprovalRead]
    levels: list[EscalationRead]
    awaiting_signatures: list[str]
    awaiting_approvals: list[str]
    created_at: dt.datetime
    concluded_at: dt.datetime | None
