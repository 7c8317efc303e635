from __future__ import annotations

import datetime as dt

from sqlalchemy import Date, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from wenze.db.base import Base, UUIDStr, utcnow
from wenze.ids import new_id


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
    source: Mapped[str] = mapped_column(String(60))
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


class SlipEvent(Base):
    """The slip's timeline: who did what, when, and the articles that required it."""

    __tablename__ = "slip_timeline"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    slip_id: Mapped[str] = mapped_column(ForeignKey("slips.id", ondelete="CASCADE"), index=True)
    at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    actor: Mapped[str] = mapped_column(String(120))
    office: Mapped[str | None] = mapped_column(String(60))
    action: Mapped[str] = mapped_column(String(40))
    state: Mapped[str] = mapped_column(String(30))
    detail: Mapped[dict] = mapped_column(default=dict)
    citations: Mapped[list] = mapped_column(default=list)
