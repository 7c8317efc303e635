from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field

from wenze.http.types import Code, Text
from wenze_routing.slips.models import SlipState


class SlipRead(BaseModel):
    """A routing slip (分办单): the matter's source, reason and main facts, the routing opinion,
    handler and copies, the consultation and joint-review needs, and the rules behind them."""

    model_config = ConfigDict(from_attributes=True)

    id: str
    number: str
    matter_id: str
    matter_number: str
    parent_slip_id: str | None
    state: SlipState
    source: str
    procedure: str | None = Field(description="the pack's procedure whose workflow the matter follows")
    summary: str
    facts: str
    relevant_date: dt.date
    targets: list[dict[str, Any]]
    opinion: str
    handler: str | None
    cc: list[str]
    fixed_by: str | None = Field(description="rules, consultation or override")
    outcome: dict[str, Any]
    explanation: list[dict[str, Any]]
    citations: list[str]
    created_at: dt.datetime
    updated_at: dt.datetime


class SlipEventRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    at: dt.datetime
    actor: str
    office: str | None
    action: str
    state: str
    detail: dict[str, Any]
    citations: list[str]


class OverrideCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    handler: Code = Field(description="the office code that will handle the matter")
    reason: Annotated[str, Text(2000)] = Field(description="why the rules' outcome is set aside; kept in the timeline")
