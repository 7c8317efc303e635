"""Every service's outbox as its migrations leave it: a relay's claim reads the rows waiting to
be published in order from their index and stops at its limit, however many rows were
published before them, instead of reading and sorting every unpublished row; the purge reads
the oldest published rows from their own index."""

from __future__ import annotations

import importlib
from collections.abc import Iterator

import pytest
from sqlalchemy import Executable, text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from wenze.db import create_engine
from wenze.db.migrations import upgrade
from wenze.db.outbox import claim_statement, purge_published, purge_statement
from wenze.messaging.streams import SERVICES
from wenze_devtools.testing.infra import fresh_database

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def database_url() -> Iterator[str]:
    with fresh_database() as url:
        yield url


async def migrated(database_url: str, service: str) -> AsyncEngine:
    """An engine on ``service``'s schema, migrated to its head, with 5,000 outbox rows: the
    oldest 100 waiting, the others published, oldest first."""
    schema = service.replace("-", "_")
    await upgrade(importlib.import_module(f"wenze_{schema}.app").MIGRATIONS, database_url, schema)
    engine = create_engine(database_url, schema=schema)
    async with engine.begin() as conn:
        await conn.execute(text("TRUNCATE outbox"))
        await conn.execute(
            text(
                "INSERT INTO outbox (id, subject, payload, headers, created_at, published_at)"
                " SELECT gen_random_uuid()::text, 'wenze.test', '{}', '{}', now() - n * interval '1 ms',"
                " CASE WHEN n > 100 THEN now() - n * interval '1 ms' END FROM generate_series(1, 5000) AS n"
            )
        )
        await conn.execute(text("ANALYZE outbox"))
    return engine


async def explained(conn: AsyncConnection, statement: Executable) -> str:
    sql = str(statement.compile(dialect=conn.dialect, compile_kwargs={"literal_binds": True}))
    return "\n".join((await conn.scalars(text(f"EXPLAIN {sql}"))).all())


@pytest.mark.parametrize("service", SERVICES)
async def test_a_claim_walks_the_pending_rows_in_order(database_url: str, service: str) -> None:
    engine = await migrated(database_url, service)
    try:
        async with engine.begin() as conn:
            indexes = (
                await conn.scalars(
                    text(
                        "SELECT indexname FROM pg_indexes WHERE schemaname = current_schema() AND tablename = 'outbox'"
                    )
                )
            ).all()
            plan = await explained(conn, claim_statement(500))
            claimed = (await conn.execute(claim_statement(500))).all()
    finally:
        await engine.dispose()
    assert "Sort" not in plan and "Index Scan using ix_outbox_pending" in plan, plan
    assert sorted(indexes) == ["ix_outbox_pending", "ix_outbox_published", "pk_outbox"]
    assert len(claimed) == 100


@pytest.mark.parametrize("service", SERVICES)
async def test_a_purge_walks_the_published_rows_in_order(database_url: str, service: str) -> None:
    engine = await migrated(database_url, service)
    try:
        async with engine.begin() as conn:
            # The 1,000 rows published first go.
            cut_off = await conn.scalar(
                text("SELECT published_at FROM outbox WHERE published_at IS NOT NULL ORDER BY published_at OFFSET 1000")
            )
            plan = await explained(conn, purge_statement(cut_off, 500))
        purged = await purge_published(engine, cut_off, batch_size=500)
    finally:
        await engine.dispose()
    assert "Sort" not in plan and "ix_outbox_published" in plan, plan
    assert purged == 1_000
