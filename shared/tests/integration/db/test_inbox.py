"""The inbox's claim: the check and the record of handled events in one statement, on both
databases the platform uses (a SQLite file, the embedded default, and PostgreSQL)."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker

from wenze.db.base import table_of
from wenze.db.inbox import InboxRecord, InboxRepository

from .support import BACKENDS, engine_holding

pytestmark = pytest.mark.integration

CONSUMER = "test-consumer"


@pytest.fixture(params=BACKENDS)
async def engine(request: pytest.FixtureRequest, tmp_path: Path, database_url: str) -> AsyncIterator[AsyncEngine]:
    async with engine_holding(table_of(InboxRecord), "inbox", request.param, tmp_path, database_url) as engine:
        yield engine


async def test_a_claim_returns_only_the_events_not_handled_before(engine: AsyncEngine) -> None:
    sessions = async_sessionmaker(engine, expire_on_commit=False)
    first, second, third = (str(uuid.uuid4()) for _ in range(3))
    async with sessions() as session:
        claimed = await InboxRepository(session).claim_many(CONSUMER, [(first, "s.a"), (second, "s.b"), (first, "s.a")])
        await session.commit()
    assert claimed == {first, second}

    async with sessions() as session:
        again = await InboxRepository(session).claim_many(CONSUMER, [(second, "s.b"), (third, "s.c")])
        # Another consumer's record of the same event is its own.
        other = await InboxRepository(session).claim_many("other-consumer", [(first, "s.a")])
        await session.commit()
    assert again == {third}
    assert other == {first}

    async with sessions() as session:
        stored = await session.scalar(select(func.count()).select_from(InboxRecord))
        assert await InboxRepository(session).seen_many([first, second, third], CONSUMER) == {first, second, third}
    assert stored == 4


async def test_a_claim_rolled_back_leaves_the_events_to_be_handled_again(engine: AsyncEngine) -> None:
    sessions = async_sessionmaker(engine, expire_on_commit=False)
    event_id = str(uuid.uuid4())
    async with sessions() as session:
        assert await InboxRepository(session).claim_many(CONSUMER, [(event_id, "s.a")]) == {event_id}
        await session.rollback()
    async with sessions() as session:
        assert await InboxRepository(session).claim_many(CONSUMER, [(event_id, "s.a")]) == {event_id}
        await session.commit()


async def test_two_claims_of_one_event_at_once_let_exactly_one_handle_it(engine: AsyncEngine) -> None:
    if engine.dialect.name != "postgresql":
        pytest.skip("SQLite runs one writing transaction at a time: there is no race to lose")
    sessions = async_sessionmaker(engine, expire_on_commit=False)
    event_id = str(uuid.uuid4())
    first_claimed = asyncio.Event()

    async def claim(delay_commit: bool) -> set[str]:
        async with sessions() as session:
            if not delay_commit:
                await first_claimed.wait()
            claimed = await InboxRepository(session).claim_many(CONSUMER, [(event_id, "s.a")])
            if delay_commit:
                first_claimed.set()
                # The other claim is now waiting on this row; it must find it taken once we commit.
                await asyncio.sleep(0.3)
            await session.commit()
            return claimed

    results = await asyncio.gather(claim(True), claim(False))
    assert results == [{event_id}, set()]
