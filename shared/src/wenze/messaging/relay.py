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
from opentelemetry import propagate, trace
from opentelemetry.trace import SpanKind
from sqlalchemy import event, update
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker
from sqlalchemy.orm import Session

from wenze.db.base import utcnow
from wenze.messaging.outbox import OutboxRecord, OutboxRepository
from wenze.messaging.tracing import context_from_headers

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
            # Sent without waiting for each acknowledgement, then all acknowledgements are
            # awaited before the rows are marked: a request/reply per message cost more CPU
            # than the publishing itself, and a bulk import relays thousands per second.
            acks = [await self._publish(r) for r in records]
            try:
                await asyncio.wait_for(asyncio.gather(*acks), timeout=self._ack_timeout)
            except BaseException:
                for ack in acks:
                    ack.cancel()
                raise
            # A Core update: the ORM one also matched the new values against every claimed
            # object in the session, for objects that are thrown away after this.
            await session.execute(
                update(OutboxRecord.__table__)
                .where(OutboxRecord.__table__.c.id.in_([r.id for r in records]))
                .values(published_at=utcnow())
            )
        return len(records)

    async def _publish(self, record: OutboxRecord) -> asyncio.Future:
        # Started and ended explicitly rather than made current: nothing runs inside the span
        # but the publish, and attaching a context per message was a measurable share of a
        # busy relay's time.
        span = tracer.start_span(
            f"{record.subject} publish",
            context=context_from_headers(record.headers),
            kind=SpanKind.PRODUCER,
            attributes={"messaging.system": "nats", "messaging.destination.name": record.subject,
                        "messaging.message.id": record.id},
        )
        try:
            headers = {**trace_headers_for(span), "Nats-Msg-Id": record.id}
            ack = await self._js.publish_async(record.subject, record.payload.encode(), headers=headers)
        except BaseException as exc:
            span.record_exception(exc)
            span.end()
            raise
        ack.add_done_callback(lambda _f: span.end())
        return ack


def trace_headers_for(span: trace.Span) -> dict[str, str]:
    """Headers that make ``span`` the parent of whatever the message causes."""
    carrier: dict[str, str] = {}
    propagate.inject(carrier, context=trace.set_span_in_context(span))
    return carrier
