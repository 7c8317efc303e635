"""The outbox relay against real PostgreSQL and JetStream: each event once, even when resent."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from typing import Any

import nats
import pytest
from nats.js import JetStreamContext
from nats.js.api import ConsumerConfig, DeliverPolicy
from sqlalchemy import func, insert, select, text, update
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from wenze.db import create_engine
from wenze.db.base import utcnow
from wenze.db.inbox import InboxRecord, InboxRepository
from wenze.db.outbox import HAND_OVER_LEASE, OUTBOX, OutboxRecord
from wenze.db.uow import HAND_OVER_MAX_ROWS, UnitOfWorkFactory
from wenze.messaging.relay import OutboxRelay
from wenze.messaging.streams import ensure_stream, stream_for

from .support import rejected

pytestmark = pytest.mark.integration


@pytest.fixture
async def engine(database_url: str) -> AsyncIterator[AsyncEngine]:
    """An engine on a schema of its own holding the outbox and inbox tables."""
    schema = f"relay_{uuid.uuid4().hex[:8]}"
    engine = create_engine(database_url, schema=schema)
    async with engine.begin() as conn:
        await conn.execute(text(f'CREATE SCHEMA "{schema}"'))
        await conn.run_sync(lambda c: OutboxRecord.__table__.create(c))
        await conn.run_sync(lambda c: InboxRecord.__table__.create(c))
    yield engine
    await engine.dispose()


@pytest.fixture
async def js(nats_server) -> AsyncIterator[JetStreamContext]:
    nc = await nats.connect(nats_server.url)
    js = nc.jetstream()
    await ensure_stream(js, stream_for("intake"))
    yield js
    await nc.close()


async def test_relay_publishes_once_and_jetstream_drops_resends(engine: AsyncEngine, js: JetStreamContext) -> None:
    before = (await js.stream_info("INTAKE")).state.messages
    events = [rejected() for _ in range(30)]
    async with engine.begin() as conn:
        await conn.execute(insert(OUTBOX), OutboxRecord.rows_for(events))
    relay = OutboxRelay(engine, js, batch_size=7)
    sent = 0
    while batch := await relay.publish_batch():
        sent += batch
    assert sent == 30
    assert (await js.stream_info("INTAKE")).state.messages == before + 30

    # A relay that died after publishing but before marking: the rows go out again.
    async with engine.begin() as conn:
        await conn.execute(update(OutboxRecord).values(published_at=None))
    assert await relay.publish_batch() == 7
    assert (await js.stream_info("INTAKE")).state.messages == before + 30, "duplicates reached the stream"

    # The inbox recognises an event a consumer has already applied.
    async with engine.begin() as conn:
        async with AsyncSession(bind=conn) as session:
            inbox = InboxRepository(session)
            assert not await inbox.seen(str(events[0].event_id), "routing")
            inbox.record(str(events[0].event_id), "routing", events[0].subject)
            await session.flush()
            assert await inbox.seen(str(events[0].event_id), "routing")
            assert not await inbox.seen(str(events[0].event_id), "reporting")


async def test_each_message_carries_the_trace_of_the_request_that_caused_it(
    engine: AsyncEngine, js: JetStreamContext
) -> None:
    # Two requests, two traces, relayed in one batch.
    traceparents = [f"00-{uuid.uuid4().hex}-{uuid.uuid4().hex[:16]}-01" for _ in range(2)]
    rows = [
        {**row, "headers": {"traceparent": header}}
        for row, header in zip(
            OutboxRecord.rows_for([rejected(tenant="hubei") for _ in traceparents]), traceparents, strict=True
        )
    ]
    # Only what this test relays: the session's stream also holds other tests' Hubei events.
    subscription = await js.pull_subscribe(
        "intake.hubei.>", durable=None, config=ConsumerConfig(deliver_policy=DeliverPolicy.NEW)
    )
    async with engine.begin() as conn:
        await conn.execute(insert(OUTBOX), rows)
    assert await OutboxRelay(engine, js).publish_batch() == 2

    messages = await subscription.fetch(2, timeout=5)
    seen = {m.headers["Nats-Msg-Id"]: m.headers["traceparent"] for m in messages}
    assert seen == {row["id"]: row["headers"]["traceparent"] for row in rows}


class _CountingRelay(OutboxRelay):
    """Counts the rows its claim sent; once idle, its claim polls only once a minute, so within
    a test it claims only when a commit wakes it."""

    claimed = 0

    async def publish_batch(self) -> int:
        sent = await super().publish_batch()
        self.claimed += sent
        return sent


async def _running_relay(engine: AsyncEngine, js: JetStreamContext, units: UnitOfWorkFactory[None]) -> _CountingRelay:
    relay = _CountingRelay(engine, js, units=units, idle_poll_seconds=60)
    while await relay.publish_batch():  # what other tests left
        pass
    relay.claimed = 0
    return relay


async def _marked(engine: AsyncEngine, ids: list[str], timeout: float = 10) -> bool:
    """Whether every row of ``ids`` is marked published within ``timeout`` seconds (checked at least once)."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        async with engine.connect() as conn:
            unmarked = await conn.scalar(
                select(func.count()).select_from(OUTBOX).where(OUTBOX.c.id.in_(ids), OUTBOX.c.published_at.is_(None))
            )
        if unmarked == 0:
            return True
        if asyncio.get_running_loop().time() >= deadline:
            return False
        await asyncio.sleep(0.05)


@pytest.mark.parametrize("count", [1, HAND_OVER_MAX_ROWS + 1])
async def test_a_commit_of_this_process_is_sent_at_once_and_marked(
    engine: AsyncEngine, js: JetStreamContext, count: int
) -> None:
    # A small commit's rows are handed to the relay and published without a claim; a larger
    # one wakes the claim. Either way each event reaches the stream once and its row is marked.
    units: UnitOfWorkFactory[None] = UnitOfWorkFactory(engine, lambda _session: None)
    relay = await _running_relay(engine, js, units)
    subscription = await js.pull_subscribe(
        "intake.jintan.>", durable=None, config=ConsumerConfig(deliver_policy=DeliverPolicy.NEW)
    )
    stop = asyncio.Event()
    running = asyncio.create_task(relay.run(stop))
    try:
        while units.hand_over is None:
            await asyncio.sleep(0.01)
        await asyncio.sleep(0.3)  # the relay's first claim, which finds nothing, is over
        events = [rejected(tenant="jintan") for _ in range(count)]
        async with units() as uow:
            for e in events:
                uow.publish(e)
            await uow.commit()
        received: list[str] = []
        while len(received) < count:
            received += [m.headers["Nats-Msg-Id"] for m in await subscription.fetch(count - len(received), timeout=10)]
        assert sorted(received) == sorted(str(e.event_id) for e in events)
        assert await _marked(engine, received)
        assert relay.claimed == (0 if count <= HAND_OVER_MAX_ROWS else count)
    finally:
        stop.set()
        await running
    assert units.hand_over is None, "a stopped relay still took commits"


class _MarkCountingRelay(_CountingRelay):
    """Records the rows of each mark it commits."""

    def __init__(self, engine: AsyncEngine, js: JetStreamContext, **options: Any) -> None:
        super().__init__(engine, js, **options)
        self.marks: list[list[str]] = []

    async def _mark(self, ids: list[str]) -> None:
        await super()._mark(ids)
        self.marks.append(ids)


async def test_commits_handed_over_in_quick_succession_are_marked_in_one_update(
    engine: AsyncEngine, js: JetStreamContext
) -> None:
    # Five commits 20 ms apart, as a consumer commits under load: one update marks all five
    # rows, not one transaction per commit beside the consumer's own.
    units: UnitOfWorkFactory[None] = UnitOfWorkFactory(engine, lambda _session: None)
    relay = _MarkCountingRelay(engine, js, units=units, idle_poll_seconds=60, mark_every_seconds=1.0)
    while await relay.publish_batch():  # what other tests left
        pass
    stop = asyncio.Event()
    running = asyncio.create_task(relay.run(stop))
    try:
        while units.hand_over is None:
            await asyncio.sleep(0.01)
        events = [rejected(tenant="jintan") for _ in range(5)]
        for e in events:
            async with units() as uow:
                uow.publish(e)
                await uow.commit()
            await asyncio.sleep(0.02)
        ids = [str(e.event_id) for e in events]
        assert await _marked(engine, ids)
        assert relay.marks == [ids]
    finally:
        stop.set()
        await running


async def test_rows_whose_sending_failed_go_to_the_claim(engine: AsyncEngine, js: JetStreamContext) -> None:
    # Sent to a subject no stream takes, a handed-over row gets no acknowledgement and stays
    # unmarked; the relay's claim takes it up, and sends it once its subject is put right.
    units: UnitOfWorkFactory[None] = UnitOfWorkFactory(engine, lambda _session: None)
    relay = await _running_relay(engine, js, units)
    stop = asyncio.Event()
    running = asyncio.create_task(relay.run(stop))
    event = rejected(tenant="jintan")
    row = {**OutboxRecord.rows_for([event])[0], "subject": "nowhere.jintan.matter.rejected.v1"}
    subscription = await js.pull_subscribe(
        "intake.jintan.>", durable=None, config=ConsumerConfig(deliver_policy=DeliverPolicy.NEW)
    )
    try:
        async with engine.begin() as conn:
            await conn.execute(insert(OUTBOX), [row])
        await relay.send_committed([row])
        await asyncio.sleep(1)
        assert not await _marked(engine, [row["id"]], timeout=0)
        async with engine.begin() as conn:
            await conn.execute(update(OUTBOX).where(OUTBOX.c.id == row["id"]).values(subject=event.subject))
        assert await _marked(engine, [row["id"]])
        assert relay.claimed == 1
        [message] = await subscription.fetch(1, timeout=10)
        assert message.headers["Nats-Msg-Id"] == row["id"]
    finally:
        stop.set()
        await running


async def test_no_other_relay_claims_a_handed_over_row_before_its_lease_ends(
    engine: AsyncEngine, js: JetStreamContext
) -> None:
    other = OutboxRelay(engine, js)
    while await other.publish_batch():  # what other tests left
        pass
    handed: list[dict[str, object]] = []

    async def dies_before_sending(rows: list[dict[str, object]]) -> None:
        handed.extend(rows)

    units: UnitOfWorkFactory[None] = UnitOfWorkFactory(engine, lambda _session: None)
    units.hand_over = dies_before_sending
    async with units() as uow:
        uow.publish(rejected())
        await uow.commit()
    assert len(handed) == 1
    assert await other.publish_batch() == 0, "another relay sent a row whose lease was running"
    # The lease over (its sender gone), any relay sends it.
    async with engine.begin() as conn:
        await conn.execute(update(OUTBOX).values(created_at=utcnow() - HAND_OVER_LEASE))
    assert await other.publish_batch() == 1
