from __future__ import annotations

import datetime as dt
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, model_validator

from wenze.http.types import Name, ShortText
from wenze.persons import IdentityNumber
from wenze_sanction_execution.persons.models import EffectState, IdentifiedBy, Purpose


class PersonRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    kind: str
    name: str
    unit: str = Field(description="the unit the latest decision names")
    post: str | None
    cadre_level: str | None
    identified_by: IdentifiedBy = Field(
        description="person_ref: by the reference derived from the identity number given at intake, one record "
        "across units and posts; name_and_unit: no number was given, so by kind, name and unit as decisions name them"
    )


class _Query(BaseModel):
    model_config = ConfigDict(extra="forbid")


class PersonSearch(_Query):
    """Who to look for: an identity number (hashed on arrival, never stored or returned), a
    person id, or a name and unit."""

    identity_number: IdentityNumber | None = None
    person_id: str | None = Field(default=None, max_length=36)
    name: Name | None = None
    unit: ShortText | None = None
    limit: int = Field(default=50, ge=1, le=200)


class EligibilityQuery(_Query):
    """Whose eligibility on which day for what: the person by identity number or by id, one of the two."""

    identity_number: IdentityNumber | None = None
    person_id: str | None = Field(default=None, max_length=36)
    date: dt.date = Field(description="the day of the promotion, appointment or award")
    purpose: Purpose = Field(alias="for")

    @model_validator(mode="after")
    def _one_person(self) -> EligibilityQuery:
        if (self.identity_number is None) == (self.person_id is None):
            raise ValueError("give the person either by identity_number or by person_id, one of the two")
        return self


class _PeriodRead(BaseModel):
    """What a bar and an after-effect say alike of one after-effect period."""

    purpose: Purpose
    starts_on: dt.date
    until: dt.date | None = Field(description="the first day it no longer holds; empty when another regulation sets it")
    period_set_by: str | None
    rule: str
    description: str
    citations: list[str]
    interpretations: list[dict[str, Any]] = Field(
        default_factory=list,
        description="the interpretation points the period depended on: point, question, reading, "
        "label, whether it is the pack's default, the articles concerned",
    )


class BarRead(_PeriodRead):
    """One after-effect period that holds on the asked date."""

    decision_number: str


class AfterEffectRead(_PeriodRead):
    """One after-effect period a decision set for a person, whether it holds today or not."""

    model_config = ConfigDict(from_attributes=True)

    state: EffectState = Field(description="active, or lifted when an appeal revoked or varied the decision")


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
