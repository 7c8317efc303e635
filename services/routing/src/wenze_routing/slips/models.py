from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import Any

from sqlalchemy import Date, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from wenze.db.base import Base, UsernameStr, UUIDStr, utcnow
from wenze.db.states import StateMachine
from wenze.events import TargetSnapshot
from wenze.ids import new_id
from wenze_routing.slips.errors import SlipStateConflict


class SlipState(StrEnum):
    IN_CONSULTATION = "in_consultation"
    """The pack requires a consultation (会商) before the handler is fixed."""
    ROUTED = "routed"
    """The handler (or, for a matter without a known target, the investigating office) is fixed."""
    AWAITING_HANDLER = "awaiting_handler"
    """The rules name no handler; an office holding ``routing:override`` names one."""
    RECLASSIFIED = "reclassified"
    """The investigation identified the targets; each is routed on a child slip."""


OPEN = (SlipState.IN_CONSULTATION, SlipState.ROUTED, SlipState.AWAITING_HANDLER)

SLIPS = StateMachine[SlipState](
    "routing slip",
    SlipState,
    {
        "conclude_consultation": (SlipState.IN_CONSULTATION, SlipState.ROUTED),
        # Again and again if need be: a routed slip may be overridden, an overridden one too.
        "override": (OPEN, SlipState.ROUTED),
        "reclassify": (OPEN, SlipState.RECLASSIFIED),
    },
    refusal=SlipStateConflict,
)


class RoutingSlip(Base):
    """A routing slip (分办单): one matter, or one of its targets where the pack routes per target."""

    __tablename__ = "slips"

    id: Mapped[str] = mapped_column(UUIDStr, primary_key=True, default=new_id)
    tenant: Mapped[str] = mapped_column(String(40))
    number: Mapped[str] = mapped_column(String(80))
    matter_id: Mapped[str] = mapped_column(UUIDStr)
    matter_number: Mapped[str] = mapped_column(String(80))
    # Set on slips made after an investigation identified the targets of a targetless matter.
    parent_slip_id: Mapped[str | None] = mapped_column(UUIDStr)
    state: Mapped[str] = mapped_column(String(30))
    # Counts the slip's moves: a move that keeps the state (an override of a routed slip)
    # must still fail when another request moved the slip first.
    revision: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    source: Mapped[str] = mapped_column(String(60))
    # The pack's procedure whose workflow routes and reviews the matter; none on slips opened
    # before packs bound several (they follow the pack's first workflow).
    procedure: Mapped[str | None] = mapped_column(String(60))
    summary: Mapped[str] = mapped_column(Text)
    facts: Mapped[str] = mapped_column(Text)
    relevant_date: Mapped[dt.date] = mapped_column(Date)
    targets: Mapped[list] = mapped_column()
    rule_facts: Mapped[dict] = mapped_column()
    outcome: Mapped[dict] = mapped_column()
    explanation: Mapped[list] = mapped_column()
    citations: Mapped[list] = mapped_column()
    opinion: Mapped[str] = mapped_column(Text)
    handler: Mapped[str | None] = mapped_column(String(60))
    cc: Mapped[list] = mapped_column(default=list)
    fixed_by: Mapped[str | None] = mapped_column(String(20))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    __table_args__ = (
        UniqueConstraint("tenant", "number", name="uq_slips_tenant_number"),
        Index("ix_slips_tenant_matter", "tenant", "matter_id"),
        Index("ix_slips_tenant_state", "tenant", "state", "created_at"),
    )


class NewSlip:
    """A slip a routed batch opens, as the row inserted for it (every column of ``slips``): read
    by attribute as a ``RoutingSlip`` is, by the events, the access rows and the audit entry, but
    without an ORM object's instrumentation, which cost more per slip than the rules did.
    ``snapshots``: its targets as the event gave them, for the events, without reading them back
    from their JSON form."""

    __slots__ = ("row", "snapshots")

    def __init__(self, row: dict[str, Any], snapshots: list[TargetSnapshot]):
        self.row = row
        self.snapshots = snapshots

    def __getattr__(self, name: str) -> Any:
        try:
            return self.row[name]
        except KeyError:
            raise AttributeError(name) from None


class SlipAccess(Base):
    """One fact about a slip that decides who reads it (``wenze.auth.access``): an office party
    to it, or a level or unit of its targets. Kept as rows, one per fact, so that lists filter
    in SQL on either database the platform runs on."""

    __tablename__ = "slip_access"

    slip_id: Mapped[str] = mapped_column(ForeignKey("slips.id", ondelete="CASCADE"), primary_key=True)
    facet: Mapped[str] = mapped_column(String(10), primary_key=True)
    value: Mapped[str] = mapped_column(String(500), primary_key=True)
    tenant: Mapped[str] = mapped_column(String(40))

    __table_args__ = (Index("ix_slip_access_tenant_facet_value", "tenant", "facet", "value"),)


class SlipEvent(Base):
    """The slip's timeline: who did what, when, and the articles that required it."""

    __tablename__ = "slip_timeline"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    slip_id: Mapped[str] = mapped_column(ForeignKey("slips.id", ondelete="CASCADE"), index=True)
    at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    actor: Mapped[str] = mapped_column(UsernameStr)
    office: Mapped[str | None] = mapped_column(String(60))
    action: Mapped[str] = mapped_column(String(40))
    state: Mapped[str] = mapped_column(String(30))
    detail: Mapped[dict] = mapped_column(default=dict)
    citations: Mapped[list] = mapped_column(default=list)
