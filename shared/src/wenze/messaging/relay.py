"""Outbox relay: publishes unpublished outbox rows to JetStream, at least once.

Rows are claimed with ``FOR UPDATE SKIP LOCKED`` (several relays can run side by side),
published, and marked in the same transaction. A crash between publish and commit leaves
the rows unmarked; they are sent again with the same ``Nats-Msg-Id`` and JetStream's
duplicate window drops the copies.

A unit of work of the relay's own process hands the rows of a small commit straight to it
(``send_committed``): they are published as soon as the commit returns, without waiting for
a claim, and marked afterwards in batches. Should the process die in between, the rows are
still unmarked and the claim sends them again, as after any crash.

The relay serves every tenant: it reads the outbox in system scope (``wenze.db.tenancy``).
"""

from __future__ import annotations

import asyncio
from contextlib import AbstractContextManager
from typing import Any

import structlog
from nats.js import JetStreamContext
from opentelemetry import trace
from opentelemetry.trace import Span, SpanKind
from sqlalchemy import Connection, event
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker

from wenze.db.outbox import NOTHING_TO_CLAIM, OutboxRepository
from wenze.db.tenancy import TenantSession, open_in_scope, system_scope
from wenze.db.uow import UnitOfWorkFactory
from wenze.messaging.backoff import until_it_works

log = structlog.get_logger(__name__)
tracer = trace.get_tracer("wenze.messaging")

# Handed-over sends whose acknowledgements may wait at once before commits go to the claim.
_MAX_WAITING_SENDS = 1000
# How long the marking of handed-over rows gathers sends before one update marks them all.
# With commits a few milliseconds apart, marking each send on its own added a transaction per
# commit, on the worker's event loop and in PostgreSQL, beside the consumers' own (ADR 0049).
# A handed-over row's lease (``HAND_OVER_LEASE``) is far longer, so no claim takes a row while
# it waits to be marked.
MARK_EVERY_SECONDS = 0.25


class OutboxRelay:
    def __init__(
        self,
        engine: AsyncEngine,
        js: JetStreamContext,
        *,
        units: UnitOfWorkFactory[Any] | None = None,
        batch_size: int = 500,
        idle_poll_seconds: float = 0.5,
        ack_timeout_seconds: float = 30.0,
        mark_every_seconds: float = MARK_EVERY_SECONDS,
    ):
        self._sessions = async_sessionmaker(engine, expire_on_commit=False, sync_session_class=TenantSession)
        self._js = js
        self._batch_size = batch_size
        self._idle_poll = idle_poll_seconds
        self._ack_timeout = ack_timeout_seconds
        self._mark_every = mark_every_seconds
        self._wake = asyncio.Event()
        self._engine = engine.sync_engine
        # The units of work whose small commits are handed over (``send_committed``).
        self._units = units
        # Rows handed over and published, waiting for their acknowledgements to be marked.
        self._sent: asyncio.Queue[tuple[list[str], list[asyncio.Future[Any]]]] = asyncio.Queue()

    def _after_commit(self, connection: Connection) -> None:
        if not connection.info.get(NOTHING_TO_CLAIM):
            self._wake.set()

    async def run(self, stop: asyncio.Event) -> None:
        log.info("outbox relay started")
        # Woken by every commit on this engine in this process (the API's requests, the
        # worker's consumers, a bulk import), not only by polling: otherwise an event would
        # wait up to ``idle_poll_seconds`` before it goes out.
        event.listen(self._engine, "commit", self._after_commit)
        marking = asyncio.create_task(self._mark_sent(stop))
        if self._units is not None:
            self._units.hand_over = self.send_committed
        try:
            while not stop.is_set():
                # Cleared before the claim, so a commit while it runs is not missed: a batch
                # short of full took every row committed before it, so the relay waits for the
                # next commit rather than claiming again for nothing. The claim never commits
                # when it finds nothing, and the relay's own marks do not wake it.
                self._wake.clear()
                if await self._publish_until_done() < self._batch_size:
                    await self._idle(stop)
        finally:
            if self._units is not None:
                self._units.hand_over = None
            marking.cancel()
            event.remove(self._engine, "commit", self._after_commit)

    async def send_committed(self, rows: list[dict[str, Any]]) -> None:
        """Publish ``rows`` (``OutboxRecord.rows_for``), which a unit of work of this process
        has just committed a lease ahead (no claim takes them meanwhile), without waiting for
        their acknowledgements: ``_mark_sent`` awaits and marks them. A failure to publish
        leaves them to the claim once their lease is over; it never fails the commit."""
        if self._sent.qsize() > _MAX_WAITING_SENDS:
            return  # acknowledgements are not keeping up (NATS slow or gone): left to the claim
        ids = [row["id"] for row in rows]
        try:
            with _publish_span(len(rows)):
                acks = [await self._publish(row["id"], row["subject"], row["payload"], row["headers"]) for row in rows]
        except Exception:
            log.warning("publishing committed events failed; the relay will send them", exc_info=True)
            return
        self._sent.put_nowait((ids, acks))

    async def _mark_sent(self, stop: asyncio.Event) -> None:
        """Mark the handed-over rows whose acknowledgements came, all sends of a
        ``mark_every_seconds`` at a time. Rows whose acknowledgement failed stay unmarked and
        go to the claim again."""
        while not stop.is_set():
            sends = [await self._sent.get()]
            await asyncio.sleep(self._mark_every)
            while not self._sent.empty():
                sends.append(self._sent.get_nowait())
            acked: list[str] = []
            for ids, acks in sends:
                results = await asyncio.gather(
                    *(asyncio.wait_for(ack, self._ack_timeout) for ack in acks), return_exceptions=True
                )
                acked += [i for i, result in zip(ids, results, strict=True) if not isinstance(result, BaseException)]
            if acked:
                async for attempt in until_it_works(Exception):
                    with attempt:
                        await self._mark(acked)
            if len(acked) < sum(len(ids) for ids, _ in sends):
                self._wake.set()  # the claim sends the rest again

    async def _mark(self, ids: list[str]) -> None:
        with system_scope("outbox relay"):
            async with self._sessions() as session:
                open_in_scope(session)
                outbox = OutboxRepository(session)
                await outbox.mark_published(ids)
                await outbox.commit_without_waiting_for_disk()

    async def _publish(self, row_id: str, subject: str, payload: str, headers: dict[str, str] | None) -> Any:
        return await self._js.publish_async(
            subject, payload.encode(), headers={**(headers or {}), "Nats-Msg-Id": row_id}
        )

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
            with _publish_span(len(rows)):
                # Sent without waiting for each acknowledgement, then all acknowledgements are
                # awaited before the rows are marked: a request/reply per message cost more CPU
                # than the publishing itself, and a bulk import relays thousands per second.
                acks = [await self._publish(*row) for row in rows]
                try:
                    await asyncio.wait_for(asyncio.gather(*acks), timeout=self._ack_timeout)
                except BaseException:
                    for ack in acks:
                        ack.cancel()
                    raise
            await outbox.mark_published([row[0] for row in rows])
            await outbox.commit_without_waiting_for_disk()
        return len(rows)


def _publish_span(count: int) -> AbstractContextManager[Span]:
    """One producer span per batch sent (OpenTelemetry's convention for batch sends). Each
    message carries the trace context stored with its row, that of the request that caused the
    event, so its consumers continue that request's trace. A span per message cost more than
    the publishing (docs/operations/benchmarks.md)."""
    return tracer.start_as_current_span(
        "outbox publish",
        kind=SpanKind.PRODUCER,
        attributes={
            "messaging.system": "nats",
            "messaging.operation.type": "send",
            "messaging.batch.message_count": count,
        },
    )
