"""The outbox relay against real PostgreSQL and JetStream: each event once, even when resent."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import nats
import pytest
from nats.js import JetStreamContext
from nats.js.api import ConsumerConfig, DeliverPolicy
from sqlalchemy import insert, text, update
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from wenze.db import create_engine
from wenze.db.inbox import InboxRecord, InboxRepository
from wenze.db.outbox import OUTBOX, OutboxRecord
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
