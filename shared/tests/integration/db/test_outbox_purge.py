"""The purge of published outbox rows, on SQLite and PostgreSQL: the rows published before the
cut-off go, in batches, and nothing else does: neither a row waiting to be published, however
old, nor one published since."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import event, insert, select
from sqlalchemy.ext.asyncio import AsyncEngine

from wenze.db.base import table_of, utcnow
from wenze.db.outbox import OUTBOX, OutboxRecord, purge_published

from .support import BACKENDS, engine_holding

pytestmark = pytest.mark.integration


@pytest.fixture(params=BACKENDS)
async def engine(request: pytest.FixtureRequest, tmp_path: Path, database_url: str) -> AsyncIterator[AsyncEngine]:
    async with engine_holding(table_of(OutboxRecord), "outbox", request.param, tmp_path, database_url) as engine:
        yield engine


def row(created_at: dt.datetime, published_at: dt.datetime | None) -> dict[str, object]:
    return {
        "id": str(uuid.uuid4()),
        "subject": "intake.kunshan.matter.rejected.v1",
        "payload": "{}",
        "headers": {},
        "created_at": created_at,
        "published_at": published_at,
    }


async def test_rows_published_before_the_cut_off_go_in_batches_and_no_other(engine: AsyncEngine) -> None:
    now = utcnow()
    cut_off = now - dt.timedelta(days=7)
    old = [row(cut_off - dt.timedelta(days=1, minutes=i), cut_off - dt.timedelta(minutes=i + 1)) for i in range(23)]
    # Written long ago but still waiting (a relay outage), and published just after the cut-off.
    waiting = [row(cut_off - dt.timedelta(days=30), None) for _ in range(3)]
    recent = [row(cut_off - dt.timedelta(days=2), cut_off + dt.timedelta(seconds=1)) for _ in range(4)]
    async with engine.begin() as conn:
        await conn.execute(insert(OUTBOX), old + waiting + recent)

    deletes: list[str] = []

    def count_deletes(_conn: object, _cursor: object, statement: str, *_args: object) -> None:
        if statement.lstrip().upper().startswith("DELETE"):
            deletes.append(statement)

    event.listen(engine.sync_engine, "before_cursor_execute", count_deletes)
    assert await purge_published(engine, cut_off, batch_size=5) == 23
    event.remove(engine.sync_engine, "before_cursor_execute", count_deletes)
    assert len(deletes) == 5, "23 rows in batches of 5: four full, and one short that ends the purge"
    async with engine.connect() as conn:
        left = set((await conn.scalars(select(OUTBOX.c.id))).all())
    assert left == {r["id"] for r in waiting + recent}
    assert await purge_published(engine, cut_off, batch_size=5) == 0
