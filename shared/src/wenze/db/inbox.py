"""Idempotent consumers: the event id is recorded in the same transaction as the effect."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import String, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from wenze.db.base import Base, UUIDStr, utcnow


class InboxRecord(Base):
    __tablename__ = "inbox"

    event_id: Mapped[str] = mapped_column(UUIDStr, primary_key=True)
    consumer: Mapped[str] = mapped_column(String(100), primary_key=True)
    subject: Mapped[str] = mapped_column(String(200))
    received_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class InboxRepository:
    def __init__(self, session: AsyncSession):
        self.session = session

    async def seen(self, event_id: str, consumer: str) -> bool:
        stmt = select(InboxRecord.event_id).where(InboxRecord.event_id == event_id, InboxRecord.consumer == consumer)
        return (await self.session.scalar(stmt)) is not None

    async def seen_many(self, event_ids: list[str], consumer: str) -> set[str]:
        """Which of ``event_ids`` this consumer has already handled, in one query."""
        stmt = select(InboxRecord.event_id).where(InboxRecord.event_id.in_(event_ids), InboxRecord.consumer == consumer)
        return {str(e) for e in (await self.session.scalars(stmt)).all()}

    def record(self, event_id: str, consumer: str, subject: str) -> None:
        self.session.add(InboxRecord(event_id=event_id, consumer=consumer, subject=subject))
