from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from wenze.http.types import Code, Name, Sha256Hex, ShortText, Text
from wenze.persons import IdentityNumber
from wenze_intake.matters.models import MatterState

Summary = Annotated[str, Text(2_000)]
Facts = Annotated[str, Text(50_000)]


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")


class PersonTarget(_In):
    kind: Literal["person"]
    name: Name
    post: ShortText | None = None
    unit: ShortText | None = None
    cadre_level: Code = Field(description="a cadre level of the tenant's vocabulary, e.g. city_managed")
    sector: Code | None = Field(default=None, description="e.g. town, department, soe")
    party_member: bool | None = None
    proposed_form: Code | None = Field(
        default=None, description="the form proposed for this target, where it differs from the matter's proposed_form"
    )
    identity_number: IdentityNumber | None = Field(
        default=None,
        description="the person's resident identity number (公民身份号码, 18 characters, GB 11643 check digit); "
        "never stored: intake keeps only the person reference derived from it",
    )


class OrganisationTarget(_In):
    kind: Literal["organisation"]
    name: Name
    org_level: Code | None = Field(default=None, description="e.g. township_section_party_org")
    sector: Code | None = None
    proposed_form: Code | None = Field(
        default=None, description="the form proposed for this target, where it differs from the matter's proposed_form"
    )


class UnknownTarget(_In):
    """A matter whose accountable persons are not yet known; the sector decides who investigates."""

    kind: Literal["unknown"]
    sector: Code
    unit: ShortText | None = None


TargetIn = Annotated[PersonTarget | OrganisationTarget | UnknownTarget, Field(discriminator="kind")]


class AttachmentRef(_In):
    """Metadata of a file uploaded beforehand to ``POST /v1/attachments`` (matched by sha256)."""

    name: Name
    size: int = Field(ge=0, le=2**31 - 1)
    media_type: Annotated[str, Field(pattern=r"^[\w.+-]+/[\w.+-]+$", max_length=127)]
    sha256: Sha256Hex


class DuplicateOverride(_In):
    reason: Annotated[str, Text(1_000)]


class MatterCreate(_In):
    source: Code = Field(description="intake source code from GET /v1/sources")
    source_reference: ShortText | None = Field(
        default=None, description="the transferring document's number or the sender's reference"
    )
    summary: Summary
    facts: Facts
    targets: list[TargetIn] = Field(min_length=1, max_length=100)
    proposed_form: Code | None = None
    key_supervised: bool = False
    relevant_date: dt.date | None = Field(
        default=None, description="the date the rules are judged by; defaults to the day received"
    )
    attachments: list[AttachmentRef] = Field(default_factory=list, max_length=50)
    duplicate_override: DuplicateOverride | None = Field(
        default=None, description="submit although the source reference is already registered"
    )


class TargetRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    kind: str
    name: str | None
    post: str | None
    unit: str | None
    cadre_level: str | None
    sector: str | None
    party_member: bool | None
    org_level: str | None
    proposed_form: str | None = None
    person_ref: str | None = Field(
        default=None, description="the person's reference derived from their identity number; none when not given"
    )


class AttachmentRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    name: str
    size: int
    media_type: str
    sha256: str


class AcceptanceRead(BaseModel):
    outcome: Literal["accepted", "not_accepted", "transferred"]
    reason: str | None
    transferred_to: str | None
    participants: list[str]
    study_date: dt.date
    decided_by: str
    decided_at: dt.datetime


class MatterRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    tenant: str
    number: str
    state: MatterState
    source: str
    source_reference: str | None
    summary: str
    facts: str
    proposed_form: str | None
    key_supervised: bool
    relevant_date: dt.date
    received_at: dt.datetime
    submitted_by: str
    submitter_office: str | None = Field(
        default=None, description="the office the submitter acted for; null for an integrator's submission"
    )
    duplicate_of: str | None
    duplicate_override_reason: str | None
    acceptance: AcceptanceRead | None
    targets: list[TargetRead]
    attachments: list[AttachmentRead]


class MatterPage(BaseModel):
    items: list[MatterRead]
    next_cursor: str | None = Field(description="pass as ?cursor= for the next page; null at the end")


class AcceptanceCreate(_In):
    """The intake office's collective-study outcome (受理)."""

    outcome: Literal["accepted", "not_accepted", "transferred"]
    reason: Annotated[str, Text(2_000)] | None = Field(default=None, description="required unless accepted")
    transferred_to: ShortText | None = Field(default=None, description="required when transferred")
    participants: list[Name] = Field(min_length=1, max_length=50)
    study_date: dt.date


class TimelineEntryRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    at: dt.datetime
    actor: str
    action: str
    state: str
    detail: dict


class MatterFilters(BaseModel):
    number: Annotated[str, Text(80)] | None = Field(default=None, description="the registration number, exactly")
    state: MatterState | None = None
    source: Code | None = None
    received_from: dt.date | None = None
    received_to: dt.date | None = None
    target_name: Name | None = None
    cadre_level: Code | None = None
    q: Annotated[str, Text(100)] | None = Field(default=None, description="substring of summary, facts or target names")
