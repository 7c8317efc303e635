"""Idempotent consumers: the event id is recorded in the same transaction as the effect."""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Sequence
from typing import Any

from sqlalchemy import String, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from wenze.db.base import ROWS_PER_INSERT, Base, UUIDStr, table_of, utcnow


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
        statement = _claim_statement(self.session.get_bind().dialect.name)
        params = [
            {"event_id": event_id, "consumer": consumer, "subject": subject, "received_at": now}
            for event_id, subject in rows.items()
        ]
        return {str(e) for e in (await self.session.execute(statement, params)).scalars().all()}

    def record(self, event_id: str, consumer: str, subject: str) -> None:
        self.session.add(InboxRecord(event_id=event_id, consumer=consumer, subject=subject))


@functools.cache
def _claim_statement(dialect: str) -> Any:
    """The inbox insert of ``claim_many``, built once per dialect (building it cost as much as
    running it). Parameters go beside the statement, not in it: SQLAlchemy then compiles the
    one-row statement once and repeats its VALUES per page ("insertmanyvalues"), where a list
    in ``values()`` was compiled anew for every batch (docs/adr/0041-set-based-routing.md)."""
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    return (
        insert(table_of(InboxRecord))
        .on_conflict_do_nothing()
        .returning(table_of(InboxRecord).c.event_id)
        .execution_options(insertmanyvalues_page_size=ROWS_PER_INSERT)
    )
