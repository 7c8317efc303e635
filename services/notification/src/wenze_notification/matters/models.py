from __future__ import annotations

import datetime as dt

from sqlalchemy import Date, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from wenze.db.base import Base, UUIDStr, utcnow


class KnownMatter(Base):
    """What the other services' events said about a matter: enough to address its notices
    (where it came from, who handles it, who is copied) and to fill its documents."""

    __tablename__ = "known_matters"

    matter_id: Mapped[str] = mapped_column(UUIDStr, primary_key=True)
    tenant: Mapped[str] = mapped_column(String(40))
    number: Mapped[str] = mapped_column(String(80))
    source: Mapped[str | None] = mapped_column(String(80))
    source_reference: Mapped[str | None] = mapped_column(String(200))
    summary: Mapped[str] = mapped_column(Text, default="")
    facts: Mapped[str | None] = mapped_column(Text)
    targets: Mapped[list] = mapped_column(default=list)
    received_on: Mapped[dt.date | None] = mapped_column(Date)
    slip_number: Mapped[str | None] = mapped_column(String(80))
    handler: Mapped[str | None] = mapped_column(String(80))
    cc: Mapped[list] = mapped_column(default=list)
    routing_citations: Mapped[list] = mapped_column(default=list)
    routed_on: Mapped[dt.date | None] = mapped_column(Date)
    consultation: Mapped[dict | None] = mapped_column()
    joint_review: Mapped[dict | None] = mapped_column()
    decision: Mapped[dict | None] = mapped_column()
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
