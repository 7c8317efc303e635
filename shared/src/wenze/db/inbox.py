"""Idempotent consumers: the event id is recorded in the same transaction as the effect."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from sqlalchemy import String, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from wenze.db.base import Base, UUIDStr, among, insert_new_rows, utcnow


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
        stmt = select(InboxRecord.event_id).where(
            among(self.session, InboxRecord.event_id, event_ids), InboxRecord.consumer == consumer
        )
        return {str(e) for e in (await self.session.scalars(stmt)).all()}

    async def claim_many(self, consumer: str, events: Sequence[tuple[str, str]]) -> set[str]:
        """Record ``(event_id, subject)`` pairs as handled by ``consumer`` in this transaction, and
        return the ids it had not handled before: the check and the record in one statement.

        A copy being handled elsewhere at the same moment holds its row until that transaction
        ends; this statement waits for it and then finds the id taken, so the event is not
        handled twice (recording after the work found the clash only at commit)."""
        rows = dict(events)
        if not rows:
            return set()
        now = utcnow()
        params = [
            {"event_id": event_id, "consumer": consumer, "subject": subject, "received_at": now}
            for event_id, subject in rows.items()
        ]
        return {str(event_id) for event_id, _ in await insert_new_rows(self.session, InboxRecord, params)}

    def record(self, event_id: str, consumer: str, subject: str) -> None:
        self.session.add(InboxRecord(event_id=event_id, consumer=consumer, subject=subject))
