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

from pydantic import BaseModel, Field

from wenze.calendar import LocalDays, YearDefinition
from wenze.events.base import Event
from wenze.events.intake import TargetSnapshot

# Events about the platform rather than a matter (the calendar, interpretation choices) carry
# the nil UUID as their envelope's matter id.
NO_MATTER = uuid.UUID(int=0)


class RuleStep(BaseModel):
    """One level of an escalation chain or one step of a procedure, as the pack names it."""

    step: str
    actor: str | None = None
    joined_by: list[str] = []
    action: str | None = None


class SlipOverride(BaseModel):
    """Who set a slip's handler against the rules' outcome (or before its consultation
    concluded), and why: what later steps show and set aside."""

    by: str
    office: str | None
    reason: str
    previous_handler: str | None
    previous_state: str


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
    # The pack's procedure whose workflow drives the matter; absent from events of slips
    # opened before packs bound several, which follow the pack's first workflow.
    procedure: str | None = None
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
    # Set when ``fixed_by`` is ``override``: a consultation the slip was waiting for no longer
    # decides (review supersedes it and closes its tasks).
    override: SlipOverride | None = None
    # The slip's revision after this routing (it counts the slip's moves): of two routings of one
    # slip, the higher stands, whatever the order of delivery. Absent from earlier events.
    slip_revision: int | None = None


class ConsultationRequested(_RoutingEvent):
    """The pack requires a consultation (会商) before the handler is chosen."""

    name: ClassVar[str] = "consultation_requested"

    slip_id: uuid.UUID
    slip_number: str
    matter_number: str
    summary: str
    relevant_date: dt.date
    targets: list[TargetSnapshot]
    procedure: str | None = None
    lead: str | None
    participants: list[str]
    proposed_handler: str | None
    handler_candidates: list[str]
    approved_by: list[str]
    escalation: list[RuleStep]
    facts: dict[str, Any]
    outcome: dict[str, Any]
    citations: list[str]


class _CalendarEvent(Event):
    """The working-day calendar routing counts deadlines in (ADR 0011), told to the services
    that count deadlines of their own, so every service counts a tenant's days alike (ADR 0031).

    Each event carries the whole state of its year, not a change: applying the latest one by
    its stamp gives the same calendar whatever the order of delivery."""

    service: ClassVar[str] = "routing"
    aggregate: ClassVar[str] = "calendar"

    matter_id: uuid.UUID = NO_MATTER


class CalendarYearLoaded(_CalendarEvent):
    """A platform operator loaded (or loaded again) one national year; its subject's tenant is
    ``platform``, and the year counts for every tenant."""

    name: ClassVar[str] = "year_loaded"

    year: int
    definition: YearDefinition
    loaded_by: str
    loaded_at: dt.datetime


class LocalDaysDeclared(_CalendarEvent):
    """A tenant declared its local days of one year: the whole set, in place of any earlier one
    (a day left out of it was removed)."""

    name: ClassVar[str] = "local_days_declared"

    year: int
    days: LocalDays
    declared_by: str
    declared_at: dt.datetime


class InterpretationReadingChosen(Event):
    """A tenant's administrator chose the reading of an interpretation point of the tenant's
    pack, effective from a date (docs/rules-authoring.md#interpretation-points). It concerns no
    matter: every matter whose relevant date is on or after ``effective_from`` is read so.
    Services that evaluate the point keep a copy (``wenze.rules.readings``)."""

    service: ClassVar[str] = "routing"
    aggregate: ClassVar[str] = "interpretation"
    name: ClassVar[str] = "chosen"

    matter_id: uuid.UUID = NO_MATTER
    point: str
    reading: str
    effective_from: dt.date
    choice_version: int = Field(description="the choice's version for the point: 1 for its first")
    chosen_by: str
    reason: str
