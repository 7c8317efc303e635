"""Outbox relay: publishes unpublished outbox rows to JetStream, at least once.

Rows are claimed with ``FOR UPDATE SKIP LOCKED`` (several relays can run side by side),
published, and marked in the same transaction. A crash between publish and commit leaves
the rows unmarked; they are sent again with the same ``Nats-Msg-Id`` and JetStream's
duplicate window drops the copies.

The relay serves every tenant: it reads the outbox in system scope (``wenze.db.tenancy``).
"""

from __future__ import annotations

import asyncio

import structlog
from nats.js import JetStreamContext
from opentelemetry import trace
from opentelemetry.trace import SpanKind
from sqlalchemy import Connection, event
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker

from wenze.db.outbox import OutboxRepository
from wenze.db.tenancy import TenantSession, open_in_scope, system_scope
from wenze.messaging.backoff import until_it_works

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
        ack_timeout_seconds: float = 30.0,
    ):
        self._sessions = async_sessionmaker(engine, expire_on_commit=False, sync_session_class=TenantSession)
        self._js = js
        self._batch_size = batch_size
        self._idle_poll = idle_poll_seconds
        self._ack_timeout = ack_timeout_seconds
        self._wake = asyncio.Event()
        self._engine = engine.sync_engine

    def _after_commit(self, _connection: Connection) -> None:
        self._wake.set()

    async def run(self, stop: asyncio.Event) -> None:
        log.info("outbox relay started")
        # Woken by every commit on this engine in this process (the API's requests, the
        # worker's consumers, a bulk import), not only by polling: otherwise an event would
        # wait up to ``idle_poll_seconds`` before it goes out.
        event.listen(self._engine, "commit", self._after_commit)
        try:
            while not stop.is_set():
                # Cleared before the claim, so a commit while it runs is not missed; the claim
                # itself never commits when it finds nothing, so it does not wake the relay.
                self._wake.clear()
                if await self._publish_until_done() == 0:
                    await self._idle(stop)
        finally:
            event.remove(self._engine, "commit", self._after_commit)

    async def _publish_until_done(self) -> int:
        """One batch, retried with jittered exponential backoff while the database or NATS fails."""
        async for attempt in until_it_works(Exception):
            with attempt:
                return await self.publish_batch()
        raise AssertionError("retry_context ends only by returning or raising")

    async def _idle(self, stop: asyncio.Event) -> None:
        waiters = [asyncio.ensure_future(self._wake.wait()), asyncio.ensure_future(stop.wait())]
        await asyncio.wait(waiters, timeout=self._idle_poll, return_when=asyncio.FIRST_COMPLETED)
        for waiter in waiters:
            waiter.cancel()

    async def publish_batch(self) -> int:
        with system_scope("outbox relay"):
            return await self._publish_batch()

    async def _publish_batch(self) -> int:
        async with self._sessions() as session:
            open_in_scope(session)
            outbox = OutboxRepository(session)
            rows = await outbox.claim_unpublished(self._batch_size)
            if not rows:
                await session.rollback()
                return 0
            # One producer span per batch (OpenTelemetry's convention for batch sends). Each
            # message carries the trace context stored with its row, that of the request that
            # caused the event, so its consumers continue that request's trace. A span per
            # message cost more than the publishing (docs/operations/benchmarks.md).
            with tracer.start_as_current_span(
                "outbox publish",
                kind=SpanKind.PRODUCER,
                attributes={
                    "messaging.system": "nats",
                    "messaging.operation.type": "send",
                    "messaging.batch.message_count": len(rows),
                },
            ):
                # Sent without waiting for each acknowledgement, then all acknowledgements are
                # awaited before the rows are marked: a request/reply per message cost more CPU
                # than the publishing itself, and a bulk import relays thousands per second.
                acks = [
                    await self._js.publish_async(
                        subject, payload.encode(), headers={**(headers or {}), "Nats-Msg-Id": row_id}
                    )
                    for row_id, subject, payload, headers in rows
                ]
                try:
                    await asyncio.wait_for(asyncio.gather(*acks), timeout=self._ack_timeout)
                except BaseException:
                    for ack in acks:
                        ack.cancel()
                    raise
            await outbox.mark_published([row[0] for row in rows])
            await outbox.commit_without_waiting_for_disk()
        return len(rows)
