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
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker
from sqlalchemy.orm import Session

from wenze.messaging.outbox import OutboxRepository

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
        self._sessions = async_sessionmaker(engine, expire_on_commit=False)
        self._js = js
        self._batch_size = batch_size
        self._idle_poll = idle_poll_seconds
        self._ack_timeout = ack_timeout_seconds
        self._wake = asyncio.Event()
        self._engine = engine.sync_engine

    def _after_commit(self, session: Session) -> None:
        bind = session.bind
        if bind is not None and getattr(bind, "engine", bind) is self._engine:
            self._wake.set()

    def close(self) -> None:
        if event.contains(Session, "after_commit", self._after_commit):
            event.remove(Session, "after_commit", self._after_commit)

    def wake(self) -> None:
        """Called after a commit in the same process so events go out without polling delay."""
        self._wake.set()

    async def run(self, stop: asyncio.Event) -> None:
        log.info("outbox relay started")
        # Woken by any commit on this engine in this process (the worker's consumers write
        # outbox rows without going through the API's unit-of-work hook), not only by
        # polling: otherwise an event waits up to ``idle_poll_seconds`` before it goes out.
        event.listen(Session, "after_commit", self._after_commit)
        try:
            await self._run(stop)
        finally:
            self.close()

    async def _run(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            try:
                sent = await self.publish_batch()
            except Exception:
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
            outbox = OutboxRepository(session)
            rows = await outbox.claim_unpublished(self._batch_size)
            if not rows:
                return 0
            # One producer span per batch (OpenTelemetry's convention for batch sends). Each
            # message carries the trace context stored with its row, that of the request that
            # caused the event, so its consumers continue that request's trace. A span per
            # message was more than half of a busy relay's time.
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
        return len(rows)
