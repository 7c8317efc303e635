"""Upgrading a database that already holds numbered matters keeps their numbering going, and
one that holds a chained audit log keeps every link of it."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from alembic import command
from sqlalchemy import Column, MetaData, Table, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import async_sessionmaker

from wenze.db import create_engine
from wenze.db.audit import GENESIS_HASH, AuditRecord, AuditRepository, chain_pending, entry_hash, verify_chains
from wenze.db.base import JSONType, UTCDateTime
from wenze.db.migrations import alembic_config
from wenze.rules import get_pack
from wenze_devtools.testing.infra import NatsServer, fresh_database
from wenze_intake.app import MIGRATIONS

pytestmark = pytest.mark.integration


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'intake.db'}"
    else:
        with fresh_database() as url:
            asyncio.run(execute(url, 'CREATE SCHEMA "intake"'))
            yield url


async def execute(url: str, *statements: str) -> list[tuple]:
    """Run ``statements`` in one transaction; the rows of the last."""
    engine = create_engine(url, schema="intake")
    try:
        async with engine.begin() as conn:
            for statement in statements:
                result = await conn.execute(text(statement))
            return [tuple(row) for row in result.all()] if result.returns_rows else []
    finally:
        await engine.dispose()


def test_numbering_continues_without_a_gap_after_the_number_counters_upgrade(
    empty_database: str, service_factory, own_nats: NatsServer, token, make_matter
) -> None:
    year = get_pack("kunshan").today().year
    # Revision 0001, with the counters its numbering left after three Kunshan matters this
    # year and seven Jintan matters last year.
    command.upgrade(alembic_config(MIGRATIONS, empty_database, "intake"), "0001")
    asyncio.run(
        execute(
            empty_database,
            f"INSERT INTO matter_counters (tenant, year, last) VALUES ('kunshan', {year}, 3), "
            f"('jintan', {year - 1}, 7)",
        )
    )

    # The service upgrades its schema to head as it starts.
    intake = service_factory("intake", database=empty_database, nats_url=own_nats.url, run_import_jobs="false")
    try:
        response = httpx.post(
            f"{intake.url}/v1/matters",
            json=make_matter(),
            headers={"Authorization": f"Bearer {token('wenze-kunshan', 'ks-intake')}"},
            timeout=30,
        )
    finally:
        intake.stop()
    assert response.status_code == 201, response.text
    assert response.json()["number"] == f"KS-{year}-00004"

    counters = asyncio.run(
        execute(empty_database, "SELECT tenant, kind, year, last FROM number_counters ORDER BY tenant")
    )
    assert counters == [("jintan", "matter", year - 1, 7), ("kunshan", "matter", year, 4)]
    with pytest.raises(DBAPIError, match="matter_counters"):
        asyncio.run(execute(empty_database, "SELECT * FROM matter_counters"))


def _chained_the_old_way(tenant: str, count: int) -> list[dict]:
    """Entries as revision 0004 wrote them: each with its sequence number and hashes."""
    rows, previous = [], GENESIS_HASH
    for seq in range(1, count + 1):
        row = {
            "tenant": tenant,
            "seq": seq,
            "recorded_at": dt.datetime(2026, 11, 30, 8, 0, seq, 123456, tzinfo=dt.UTC),
            "actor": "ks-intake",
            "office": None if seq % 2 else "party_conduct_office",
            "action": "matter.read",
            "object_kind": "matter",
            "object_id": f"m-{seq}",
            "client_address": "192.0.2.7",
            "detail": {"n": seq, "名": "张明"},
            "previous_hash": previous,
        }
        row["entry_hash"] = previous = entry_hash(row)
        rows.append(row)
    return rows


async def _insert_old_entries(url: str, rows: list[dict]) -> None:
    engine = create_engine(url, schema="intake")
    old = Table(
        "audit_log",
        MetaData(),
        *[Column(name) for name in ("tenant", "seq", "actor", "office", "action", "object_kind", "object_id")],
        *[Column(name) for name in ("client_address", "previous_hash", "entry_hash")],
        Column("recorded_at", UTCDateTime()),
        Column("detail", JSONType),
    )
    try:
        async with engine.begin() as conn:
            await conn.execute(old.insert(), rows)
    finally:
        await engine.dispose()


async def _verify_after_one_more(url: str) -> tuple[list, list, int]:
    engine = create_engine(url, schema="intake")
    try:
        async with engine.connect() as conn:
            before = await verify_chains(conn)
        async with async_sessionmaker(engine)() as session, session.begin():
            await AuditRepository(session).append("kunshan", [AuditRecord("ks-intake", "matter.read", "matter", "m")])
        chained = await chain_pending(engine)
        async with engine.connect() as conn:
            after = await verify_chains(conn)
        return (
            [(r.tenant, r.entries, r.sound) for r in before],
            [(r.tenant, r.entries, r.sound) for r in after],
            chained,
        )
    finally:
        await engine.dispose()


def test_the_audit_chain_moves_to_its_own_table_with_every_link_unchanged_and_back(empty_database: str) -> None:
    config = alembic_config(MIGRATIONS, empty_database, "intake")
    command.upgrade(config, "0006")
    kunshan, jintan = _chained_the_old_way("kunshan", 5), _chained_the_old_way("jintan", 3)
    asyncio.run(_insert_old_entries(empty_database, [*kunshan, *jintan]))

    command.upgrade(config, "0007")
    links = asyncio.run(execute(empty_database, "SELECT tenant, seq, entry_hash FROM audit_chain ORDER BY 1, 2"))
    assert links == sorted((r["tenant"], r["seq"], r["entry_hash"]) for r in [*kunshan, *jintan])
    before, after, chained = asyncio.run(_verify_after_one_more(empty_database))
    assert before == [("jintan", 3, True), ("kunshan", 5, True)]
    # New entries take ids after the carried-over ones and extend the same chain.
    assert chained == 1
    assert after == [("jintan", 3, True), ("kunshan", 6, True)]

    command.downgrade(config, "0006")
    back = asyncio.run(execute(empty_database, "SELECT tenant, seq, entry_hash FROM audit_log ORDER BY 1, 2"))
    assert back[:3] == [(r["tenant"], r["seq"], r["entry_hash"]) for r in jintan]
    assert back[3:8] == [(r["tenant"], r["seq"], r["entry_hash"]) for r in kunshan]
    assert len(back) == 9
