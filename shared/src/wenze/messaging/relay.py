"""Outbox relay: publishes unpublished outbox rows to JetStream, at least once.

Rows are claimed with ``FOR UPDATE SKIP LOCKED`` (several relays can run side by side),
published, and marked in the same transaction. A crash between publish and commit leaves
the rows unmarked; they are sent again with the same ``Nats-Msg-Id`` and JetStream's
duplicate window drops the copies.
"""

from __future__ import annotations

import asyncio

import structlog
from nats.js import JetStreamContext
from opentelemetry import trace
from opentelemetry.trace import SpanKind
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker

from wenze.db.base import utcnow
from wenze.messaging.outbox import OutboxRecord, OutboxRepository
from wenze.messaging.tracing import context_from_headers, current_trace_headers

log = structlog.get_logger(__name__)
tracer = trace.get_tracer("wenze.messaging")


class OutboxRelay:
    def __init__(
        self,
        engine: AsyncEngine,
        js: JetStreamContext,
        *,
        batch_size: int = 500,
        idle_poll_seconds: float = 0.5,
    ):
        self._sessions = async_sessionmaker(engine, expire_on_commit=False)
        self._js = js
        self._batch_size = batch_size
        self._idle_poll = idle_poll_seconds
        self._wake = asyncio.Event()

    def wake(self) -> None:
        """Called after a commit in the same process so events go out without polling delay."""
        self._wake.set()

    async def run(self, stop: asyncio.Event) -> None:
        log.info("outbox relay started")
        while not stop.is_set():
            try:
                sent = await self.publish_batch()
            except Exception:  # noqa: BLE001 - the relay must outlive NATS or DB outages
                log.exception("outbox relay batch failed; retrying")
                sent = 0
                await asyncio.sleep(1)
            if sent == 0:
                self._wake.clear()
                waiters = [asyncio.ensure_future(self._wake.wait()), asyncio.ensure_future(stop.wait())]
                await asyncio.wait(waiters, timeout=self._idle_poll, return_when=asyncio.FIRST_COMPLETED)
                for w in waiters:
                    w.cancel()

    async def publish_batch(self) -> int:
        async with self._sessions() as session, session.begin():
            records = await OutboxRepository(session).claim_unpublished(self._batch_size)
            if not records:
                return 0
            await asyncio.gather(*(self._publish(r) for r in records))
            await session.execute(
                update(OutboxRecord)
                .where(OutboxRecord.id.in_([r.id for r in records]))
                .values(published_at=utcnow())
            )
        return len(records)

    async def _publish(self, record: OutboxRecord) -> None:
        parent = context_from_headers(record.headers)
        with tracer.start_as_current_span(
            f"{record.subject} publish",
            context=parent,
            kind=SpanKind.PRODUCER,
            attributes={"messaging.system": "nats", "messaging.destination.name": record.subject,
                        "messaging.message.id": record.id},
        ):
            headers = {**current_trace_headers(), "Nats-Msg-Id": record.id}
            await self._js.publish(record.subject, record.payload.encode(), headers=headers)
