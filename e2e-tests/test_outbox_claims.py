"""Every service's outbox as its migrations leave it: a relay's claim reads the rows waiting to
be published in order from their index and stops at its limit, however many rows were
published before them, instead of reading and sorting every unpublished row."""

from __future__ import annotations

import importlib
from collections.abc import Iterator

import pytest
from sqlalchemy import text

from wenze.db import create_engine
from wenze.db.migrations import upgrade
from wenze.db.outbox import claim_statement
from wenze.messaging.streams import SERVICES
from wenze_devtools.testing.infra import fresh_database

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def database_url() -> Iterator[str]:
    with fresh_database() as url:
        yield url


@pytest.mark.parametrize("service", SERVICES)
async def test_a_claim_walks_the_pending_rows_in_order(database_url: str, service: str) -> None:
    schema = service.replace("-", "_")
    await upgrade(importlib.import_module(f"wenze_{schema}.app").MIGRATIONS, database_url, schema)
    engine = create_engine(database_url, schema=schema)
    try:
        async with engine.begin() as conn:
            indexes = (
                await conn.scalars(
                    text(f"SELECT indexname FROM pg_indexes WHERE schemaname = '{schema}' AND tablename = 'outbox'")
                )
            ).all()
            await conn.execute(
                text(
                    "INSERT INTO outbox (id, subject, payload, headers, created_at, published_at)"
                    " SELECT gen_random_uuid()::text, 'wenze.test', '{}', '{}', now() - n * interval '1 ms',"
                    " CASE WHEN n > 100 THEN now() END FROM generate_series(1, 5000) AS n"
                )
            )
            await conn.execute(text("ANALYZE outbox"))
            sql = str(claim_statement(500).compile(dialect=engine.dialect, compile_kwargs={"literal_binds": True}))
            plan = "\n".join((await conn.scalars(text(f"EXPLAIN {sql}"))).all())
            claimed = (await conn.execute(claim_statement(500))).all()
    finally:
        await engine.dispose()
    assert "Sort" not in plan and "Index Scan using ix_outbox_pending" in plan, plan
    assert sorted(indexes) == ["ix_outbox_pending", "pk_outbox"]
    assert len(claimed) == 100
