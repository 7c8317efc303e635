"""The audit log: concurrent appenders keep each tenant's chain intact, written entries
cannot be changed through the application's connection, and a change made around the
triggers is reported at exactly the changed entry."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker
from typer.testing import CliRunner

from wenze.cli.main import app
from wenze.db import create_engine
from wenze.db.audit import AUDIT_LOG, AuditRecord, AuditRepository, verify_chains

pytestmark = pytest.mark.integration

WRITERS = 8
BATCHES_PER_WRITER = 25
BATCH = 50  # 8 × 25 × 50 = 10,000 entries
TENANTS = ("kunshan", "jintan")


async def _make_schema(engine: AsyncEngine, schema: str) -> None:
    if engine.dialect.name == "postgresql":
        async with engine.begin() as conn:
            await conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    async with engine.begin() as conn:
        await conn.run_sync(lambda c: AUDIT_LOG.create(c))


@pytest.fixture
async def postgres(database_url: str) -> AsyncIterator[tuple[AsyncEngine, str]]:
    schema = f"audit_{uuid.uuid4().hex[:8]}"
    engine = create_engine(database_url, schema=schema, pool_size=WRITERS)
    await _make_schema(engine, schema)
    yield engine, schema
    await engine.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
async def engine(request: pytest.FixtureRequest, tmp_path: Path, database_url: str) -> AsyncIterator[AsyncEngine]:
    schema = f"audit_{uuid.uuid4().hex[:8]}"
    url = f"sqlite:///{tmp_path / 'audit.db'}" if request.param == "sqlite" else database_url
    engine = create_engine(url, schema=schema)
    await _make_schema(engine, schema)
    yield engine
    await engine.dispose()


def _record(writer: int, n: int) -> AuditRecord:
    return AuditRecord(
        actor=f"user-{writer}",
        office="执纪监督室",
        action="matter.read",
        object_kind="matter",
        object_id=f"m-{writer}-{n}",
        client_address="192.0.2.7",
        detail={"writer": writer, "n": n},
    )


async def _append(engine: AsyncEngine, tenant: str, records: list[AuditRecord]) -> None:
    sessions = async_sessionmaker(engine)
    async with sessions() as session, session.begin():
        await AuditRepository(session).append(tenant, records)


async def test_concurrent_writers_keep_each_chain_intact_and_a_changed_entry_is_found(
    postgres: tuple[AsyncEngine, str], database_url: str
) -> None:
    engine, schema = postgres

    async def writer(number: int) -> None:
        for batch in range(BATCHES_PER_WRITER):
            records = [_record(number, batch * BATCH + i) for i in range(BATCH)]
            await _append(engine, TENANTS[number % len(TENANTS)], records)

    await asyncio.gather(*(writer(n) for n in range(WRITERS)))

    async with engine.connect() as conn:
        reports = await verify_chains(conn)
    assert {r.tenant: (r.entries, r.intact) for r in reports} == {"kunshan": (5000, True), "jintan": (5000, True)}

    tampered = 4321
    async with engine.begin() as conn:  # a superuser working around the triggers
        await conn.execute(text("ALTER TABLE audit_log DISABLE TRIGGER audit_log_append_only"))
        await conn.execute(
            text("UPDATE audit_log SET actor = 'someone-else' WHERE tenant = 'jintan' AND seq = :seq"),
            {"seq": tampered},
        )
        await conn.execute(text("ALTER TABLE audit_log ENABLE TRIGGER audit_log_append_only"))

    async with engine.connect() as conn:
        reports = await verify_chains(conn)
    by_tenant = {r.tenant: r for r in reports}
    assert by_tenant["kunshan"].intact
    assert by_tenant["jintan"].broken_at == tampered
    assert "content does not match its hash" in (by_tenant["jintan"].problem or "")

    runner = CliRunner()
    arguments = ["audit", "verify", "--database-url", database_url, "--schema", schema]
    broken = await asyncio.to_thread(runner.invoke, app, [*arguments, "--tenant", "jintan"])
    assert broken.exit_code == 1, broken.output
    assert f"broken at sequence number {tampered}" in broken.output
    intact = await asyncio.to_thread(runner.invoke, app, [*arguments, "--tenant", "kunshan"])
    assert intact.exit_code == 0, intact.output
    assert "intact: 5000 entries" in intact.output


async def test_a_removed_entry_is_reported_at_the_entry_after_the_gap(postgres: tuple[AsyncEngine, str]) -> None:
    engine, _ = postgres
    await _append(engine, "hubei", [_record(0, n) for n in range(5)])
    async with engine.begin() as conn:
        await conn.execute(text("ALTER TABLE audit_log DISABLE TRIGGER audit_log_append_only"))
        await conn.execute(text("DELETE FROM audit_log WHERE tenant = 'hubei' AND seq = 3"))
        await conn.execute(text("ALTER TABLE audit_log ENABLE TRIGGER audit_log_append_only"))
    async with engine.connect() as conn:
        [report] = await verify_chains(conn, "hubei")
    assert (report.broken_at, report.entries) == (4, 3)
    assert "entries missing" in (report.problem or "")


@pytest.mark.parametrize("statement", ["UPDATE audit_log SET actor = 'someone-else'", "DELETE FROM audit_log"])
async def test_written_entries_cannot_be_changed_or_removed(engine: AsyncEngine, statement: str) -> None:
    await _append(engine, "kunshan", [_record(0, n) for n in range(3)])
    with pytest.raises(DBAPIError, match="append-only"):
        async with engine.begin() as conn:
            await conn.execute(text(statement))
    async with engine.connect() as conn:
        [report] = await verify_chains(conn)
    assert (report.tenant, report.entries, report.intact) == ("kunshan", 3, True)
