"""Where each matter is now, and every event seen of it: projections of every service's events.

A timeline entry is one event, keyed by its id, so a redelivered event adds nothing. A matter's
progress row is computed again from all its entries whenever one arrives: it depends on the set
of events only, never on the order the streams were read in, which is what lets a rebuild
reproduce it.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from wenze.db.base import Base, UUIDStr
from wenze_reporting.ledger.models import CODE_LENGTH, NUMBER_LENGTH


class TimelineEntry(Base):
    """One event of any service about a matter, described as staff read it."""

    __tablename__ = "report_timeline"
    __table_args__ = (Index("ix_report_timeline_matter", "tenant", "matter_id", "occurred_at"),)

    tenant: Mapped[str] = mapped_column(String(40), primary_key=True)
    event_id: Mapped[str] = mapped_column(UUIDStr, primary_key=True)
    matter_id: Mapped[str] = mapped_column(UUIDStr)
    occurred_at: Mapped[dt.datetime]
    service: Mapped[str] = mapped_column(String(40))
    # The contract, e.g. ``matter.accepted``, ``timeline.recorded``.
    event: Mapped[str] = mapped_column(String(CODE_LENGTH))
    # Review's timeline action, where the event is one of review's steps.
    action: Mapped[str | None] = mapped_column(String(CODE_LENGTH))
    # The stage the matter entered with this event; none for events that do not move it.
    stage: Mapped[str | None] = mapped_column(String(40))
    # The office that acted, and the offices holding the matter after the event.
    office: Mapped[str | None] = mapped_column(String(CODE_LENGTH))
    holders: Mapped[list] = mapped_column(default=list)
    # What the event is about within the matter (an execution, a slip, a deliberation).
    subject_id: Mapped[str | None] = mapped_column(UUIDStr)
    # The words of the entry, with codes already read through the tenant's pack.
    label: Mapped[str] = mapped_column(Text)
    citations: Mapped[list] = mapped_column(default=list)


class MatterProgress(Base):
    """Where one matter is now: its stage since when, and the last event seen of it."""

    __tablename__ = "report_progress"
    __table_args__ = (
        Index("ix_report_progress_stage", "tenant", "stage", "last_event_at"),
        Index("ix_report_progress_last", "tenant", "last_event_at"),
    )

    tenant: Mapped[str] = mapped_column(String(40), primary_key=True)
    matter_id: Mapped[str] = mapped_column(UUIDStr, primary_key=True)
    number: Mapped[str | None] = mapped_column(String(NUMBER_LENGTH))
    summary: Mapped[str | None] = mapped_column(Text)
    stage: Mapped[str | None] = mapped_column(String(40))
    stage_since: Mapped[dt.datetime | None]
    last_event_at: Mapped[dt.datetime]
    events: Mapped[int] = mapped_column(Integer)


class MatterHolder(Base):
    """An office holding a matter now: one row each, so a work view filters on an index."""

    __tablename__ = "report_progress_holders"
    __table_args__ = (Index("ix_report_progress_holders_office", "tenant", "office"),)

    tenant: Mapped[str] = mapped_column(String(40), primary_key=True)
    matter_id: Mapped[str] = mapped_column(UUIDStr, primary_key=True)
    office: Mapped[str] = mapped_column(String(CODE_LENGTH), primary_key=True)


# Emptied by a rebuild, before the ledger's tables, and filled again from the streams.
PROJECTIONS = (MatterHolder, MatterProgress, TimelineEntry)
