"""Events produced by the routing service (stream ``ROUTING``, subjects ``routing.>``).

A routing slip (分办单) is the routing service's aggregate. Each slip routes one matter, or one
target of it where the tenant's pack routes per target. Its events carry the facts the rules
were given and their whole outcome with citations, so later steps build on the same facts
(and on an override's handler) without evaluating the routing again.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any, ClassVar

from pydantic import BaseModel

from wenze.events.base import Event
from wenze.events.intake import TargetSnapshot


class RuleStep(BaseModel):
    """One level of an escalation chain or one step of a procedure, as the pack names it."""

    step: str
    actor: str | None = None
    joined_by: list[str] = []
    action: str | None = None


class _RoutingEvent(Event):
    service: ClassVar[str] = "routing"
    aggregate: ClassVar[str] = "slip"


class MatterRouted(_RoutingEvent):
    """The handler is fixed (by the rules, after a consultation, or by an override)."""

    name: ClassVar[str] = "routed"

    slip_id: uuid.UUID
    slip_number: str
    matter_number: str
    summary: str
    relevant_date: dt.date
    targets: list[TargetSnapshot]
    handler: str | None
    cc: list[str]
    investigated_by: str | None
    investigated_with: list[str]
    reclassify_after_investigation: bool
    joint_review_required: bool
    start_approved_by: list[str]
    decided_by: list[str]
    fixed_by: str
    facts: dict[str, Any]
    outcome: dict[str, Any]
    citations: list[str]


class ConsultationRequested(_RoutingEvent):
    """The pack requires a consultation (会商) before the handler is chosen."""

    name: ClassVar[str] = "consultation_requested"

    slip_id: uuid.UUID
    slip_number: str
    matter_number: str
    summary: str
    relevant_date: dt.date
    targets: list[TargetSnapshot]
    lead: str | None
    participants: list[str]
    proposed_handler: str | None
    handler_candidates: list[str]
    approved_by: list[str]
    escalation: list[RuleStep]
    facts: dict[str, Any]
    outcome: dict[str, Any]
    citations: list[str]
