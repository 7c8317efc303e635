"""Transactional outbox.

An event is written as a row in the same transaction as the state change it reports; the
relay publishes unpublished rows with the row id as ``Nats-Msg-Id`` so that a row sent
twice (the relay died between publish and mark) is dropped by JetStream.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any, cast

from sqlalchemy import CursorResult, Delete, Index, Select, String, Text, delete, func, select, text, update
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker
from sqlalchemy.orm import Mapped, mapped_column

from wenze.db.base import Base, UUIDStr, among, table_of, utcnow
from wenze.db.tenancy import TenantSession, open_in_scope, system_scope
from wenze.events.base import Event
from wenze.telemetry.propagation import current_trace_headers


class OutboxRecord(Base):
    __tablename__ = "outbox"

    id: Mapped[str] = mapped_column(UUIDStr, primary_key=True)
    subject: Mapped[str] = mapped_column(String(200))
    payload: Mapped[str] = mapped_column(Text)
    headers: Mapped[dict[str, str]] = mapped_column()
    # When the row was written, and from when a relay may claim it: a row handed straight to
    # the relay of the process that committed it is written a lease later
    # (``HAND_OVER_LEASE``), so that no other process's relay sends it meanwhile.
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    published_at: Mapped[dt.datetime | None] = mapped_column(default=None)

    # Rows waiting to be published, in the order a relay claims them, and rows published, in
    # the order the purge removes them (common_schema).
    __table_args__ = (
        Index(
            "ix_outbox_pending",
            "created_at",
            postgresql_where=text("published_at IS NULL"),
            sqlite_where=text("published_at IS NULL"),
        ),
        Index(
            "ix_outbox_published",
            "published_at",
            postgresql_where=text("published_at IS NOT NULL"),
            sqlite_where=text("published_at IS NOT NULL"),
        ),
    )

    @staticmethod
    def rows_for(events: Sequence[Event]) -> list[dict[str, Any]]:
        """Outbox rows for ``events`` as plain dicts, for one executemany insert.

        Events staged together share one transaction and so one trace context: it is
        captured once, not per row (a bulk import stages hundreds per transaction).
        """
        headers = current_trace_headers()
        now = utcnow()
        return [
            {
                "id": str(e.event_id),
                "subject": e.subject,
                "payload": e.model_dump_json(),
                "headers": headers,
                "created_at": now,
                "published_at": None,
            }
            for e in events
        ]


# The table itself, for the Core statements of the hot paths (insert, claim, mark).
OUTBOX = table_of(OutboxRecord)

# Set in a connection's ``info`` while it commits something with nothing for the relay's claim
# (``commit_without_waking_the_relay``): the relay's engine listener then does not wake it.
NOTHING_TO_CLAIM = "wenze_outbox_nothing_to_claim"
# How long the relay a row was handed to has to send and mark it before any relay may claim
# it: long enough for an acknowledgement, short enough that a row whose sender died goes out
# soon after.
HAND_OVER_LEASE = dt.timedelta(seconds=5)


async def commit_without_waking_the_relay(session: AsyncSession) -> None:
    """Commit ``session``, telling the relay of this process that the commit leaves its claim
    nothing new: rows handed straight to it, or its own marks."""
    # The pooled connection's ``info``, kept: the commit closes the connection.
    info = (await session.connection()).info
    info[NOTHING_TO_CLAIM] = True
    try:
        await session.commit()
    finally:
        info.pop(NOTHING_TO_CLAIM, None)


def claim_statement(limit: int) -> Select[tuple[str, str, str, dict[str, str]]]:
    """A relay's claim: the first ``limit`` rows waiting to be published, locked, skipping
    those another relay holds."""
    return (
        select(OUTBOX.c.id, OUTBOX.c.subject, OUTBOX.c.payload, OUTBOX.c.headers)
        .where(OUTBOX.c.published_at.is_(None), OUTBOX.c.created_at <= utcnow())
        # The order ``ix_outbox_pending`` holds, so that a claim walks the index and stops
        # at ``limit`` rather than read and sort every unpublished row. The id was a
        # tie-break within one commit's rows; being random, it gave no order anyone could
        # rely on.
        .order_by(OUTBOX.c.created_at)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )


def purge_statement(published_before: dt.datetime, limit: int) -> Delete:
    """Up to ``limit`` of the rows published before ``published_before``, oldest first, deleted;
    rows another transaction holds are skipped (another worker's purge), never waited for."""
    oldest = (
        select(OUTBOX.c.id)
        .where(OUTBOX.c.published_at < published_before)
        .order_by(OUTBOX.c.published_at)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    return delete(OUTBOX).where(OUTBOX.c.id.in_(oldest.scalar_subquery()))


class OutboxRepository:
    def __init__(self, session: AsyncSession):
        self.session = session

    async def claim_unpublished(self, limit: int) -> list[tuple[str, str, str, dict[str, str]]]:
        """Up to ``limit`` unpublished rows as ``(id, subject, payload, headers)``, locked until
        the transaction ends and skipped by other relays meanwhile.

        Plain rows rather than ORM objects: the relay only reads them, and loading hundreds
        of instances per batch showed in a busy relay's profile (docs/operations/benchmarks.md)."""
        claimed = (await self.session.execute(claim_statement(limit))).all()
        return cast(list[tuple[str, str, str, dict[str, str]]], claimed)

    async def mark_published(self, ids: list[str]) -> None:
        marked = update(OUTBOX).where(among(self.session, OUTBOX.c.id, ids)).values(published_at=utcnow())
        await self.session.execute(marked)

    async def commit_without_waiting_for_disk(self) -> None:
        """Commit the marks, without waking the relay, and without waiting for PostgreSQL to flush them to disk
        (``synchronous_commit`` off for this transaction only; SQLite commits as always).

        Safe for marks alone, and only for them: a mark lost in a server crash leaves its row
        unpublished, so the relay sends it again with the same ``Nats-Msg-Id`` and JetStream
        drops the copy (its duplicate window outlasts any restart; consumers' inboxes catch
        anything later). The flush cost the relay 4–5 ms a batch (p50; 10–40 ms at p99 on a
        busy machine), during which the rows committed meanwhile waited for the next claim
        (docs/adr/0038-routing-latency.md)."""
        if self.session.get_bind().dialect.name == "postgresql":
            await self.session.execute(text("SET LOCAL synchronous_commit TO OFF"))
        await commit_without_waking_the_relay(self.session)

    async def purge_published(self, published_before: dt.datetime, limit: int) -> int:
        """Delete up to ``limit`` rows published before ``published_before``; how many went."""
        result = cast(CursorResult[Any], await self.session.execute(purge_statement(published_before, limit)))
        return result.rowcount

    async def backlog(self) -> int:
        stmt = select(func.count()).select_from(OutboxRecord).where(OutboxRecord.published_at.is_(None))
        return int(await self.session.scalar(stmt) or 0)


async def purge_published(engine: AsyncEngine, published_before: dt.datetime, *, batch_size: int = 5_000) -> int:
    """Delete every outbox row published before ``published_before``, ``batch_size`` rows a
    transaction (no long lock, no huge transaction after a bulk import); how many went.

    The streams keep the events themselves, and a published row is never sent again: a row is
    kept after publishing only so that an operator can see what went out lately. In system
    scope, as the relay reads the outbox."""
    sessions = async_sessionmaker(engine, sync_session_class=TenantSession)
    purged = 0
    with system_scope("outbox purge"):
        while True:
            async with sessions() as session:
                open_in_scope(session)
                deleted = await OutboxRepository(session).purge_published(published_before, batch_size)
                await commit_without_waking_the_relay(session)
            purged += deleted
            if deleted < batch_size:
                return purged
