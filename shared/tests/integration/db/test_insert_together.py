"""Rows of several tables written together with the unit of work's commit (wenze.db.together),
on SQLite and PostgreSQL: each value stored as an insert of its own would store it."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Column, Date, ForeignKey, Integer, MetaData, String, Table, Text, event, select
from sqlalchemy.ext.asyncio import AsyncEngine

from wenze.db.base import JSONType, UTCDateTime
from wenze.db.together import EncodedJSON, insert_together, write_at_commit
from wenze.db.uow import UnitOfWorkFactory

from .support import BACKENDS, engine_holding

pytestmark = pytest.mark.integration

METADATA = MetaData()
PARENTS = Table(
    "together_parents",
    METADATA,
    Column("id", String(36), primary_key=True),
    Column("count", Integer),
    Column("note", Text, nullable=True),
    Column("day", Date),
    Column("at", UTCDateTime),
    Column("body", JSONType),
    Column("encoded", EncodedJSON, nullable=True),
)
CHILDREN = Table(
    "together_children",
    METADATA,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("parent_id", String(36), ForeignKey("together_parents.id")),
    Column("label", String(50)),
)

AWKWARD = "quotes \" and ' , a backslash \\, a newline\n, 昆山市纪委 and an emoji 🙂"


def _parent(number: int, **values: Any) -> dict[str, Any]:
    return {
        "id": f"p{number}",
        "count": number,
        "note": AWKWARD,
        "day": dt.date(2026, 12, number),
        "at": dt.datetime(2026, 12, number, 8, 30, 15, 123456, tzinfo=dt.UTC),
        "body": {"facts": [1, "二"], "nested": {"none": None, "flag": True}},
        "encoded": json.dumps({"outcome": "会商", "n": number}),
    } | values


@pytest.fixture(params=BACKENDS)
async def engine(request: pytest.FixtureRequest, tmp_path: Path, database_url: str) -> Any:
    async with engine_holding(METADATA, "together", request.param, tmp_path, database_url) as engine:
        yield engine


async def _stored(engine: AsyncEngine) -> tuple[list[dict[str, Any]], list[tuple[str, str]]]:
    async with engine.connect() as conn:
        parents = [dict(row) for row in (await conn.execute(select(PARENTS).order_by(PARENTS.c.id))).mappings()]
        children = [tuple(row) for row in await conn.execute(select(CHILDREN.c.parent_id, CHILDREN.c.label))]
    return parents, sorted(children)


async def test_each_value_is_stored_as_written_and_children_may_name_parents_of_the_same_statement(
    engine: AsyncEngine,
) -> None:
    parents = [_parent(1), _parent(2, note=None, encoded=None)]
    children = [{"parent_id": "p1", "label": "一"}, {"parent_id": "p2", "label": AWKWARD[:50]}]
    statements: list[str] = []
    event.listen(engine.sync_engine, "before_cursor_execute", lambda *args: statements.append(args[2]))
    units: UnitOfWorkFactory[None] = UnitOfWorkFactory(engine, lambda _session: None)
    async with units() as uow:
        await insert_together(uow.session, [(PARENTS, parents), (CHILDREN, children), (CHILDREN, [])])
        await uow.commit()
    stored_parents, stored_children = await _stored(engine)
    expected = [p | {"encoded": json.loads(p["encoded"]) if p["encoded"] else None} for p in parents]
    assert stored_parents == expected
    assert stored_children == [("p1", "一"), ("p2", AWKWARD[:50])]
    inserts = [s for s in statements if s.startswith(("INSERT", "WITH"))]
    # One statement for both tables on PostgreSQL; one insert each elsewhere.
    assert len(inserts) == (1 if engine.dialect.name == "postgresql" else 2)


async def test_staged_rows_are_written_by_the_commit_and_dropped_with_a_rollback(engine: AsyncEngine) -> None:
    units: UnitOfWorkFactory[None] = UnitOfWorkFactory(engine, lambda _session: None)
    async with units() as uow:
        write_at_commit(uow.session, PARENTS, [_parent(3)])
        write_at_commit(uow.session, CHILDREN, [{"parent_id": "p3", "label": "staged"}])
        assert await _stored(engine) == ([], []), "staged rows were written before the commit"
        await uow.commit()
    async with units() as uow:
        write_at_commit(uow.session, PARENTS, [_parent(4)])
        # Left without a commit: the unit of work rolls back, and its staged rows go with it.
    async with units() as uow:
        await uow.commit()
    stored_parents, stored_children = await _stored(engine)
    assert [p["id"] for p in stored_parents] == ["p3"]
    assert stored_children == [("p3", "staged")]


async def test_a_timestamp_without_its_zone_is_refused(engine: AsyncEngine) -> None:
    units: UnitOfWorkFactory[None] = UnitOfWorkFactory(engine, lambda _session: None)
    naive = _parent(5, at=dt.datetime(2026, 12, 5, 8, 0))
    with pytest.raises(Exception, match="naive datetime"):
        async with units() as uow:
            await insert_together(uow.session, [(PARENTS, [naive]), (CHILDREN, [{"parent_id": "p5", "label": "x"}])])
            await uow.commit()
    assert await _stored(engine) == ([], [])
