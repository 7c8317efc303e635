"""The audit log: entries written by concurrent transactions all end up in their tenant's
chain exactly once, written entries and links cannot be changed through the application's
connection, and a change made around the triggers is reported at exactly the changed link."""

from __future__ import annotations

import asyncio
import datetime as dt
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import insert, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker
from typer.testing import CliRunner

from wenze.cli.main import app
from wenze.db import create_engine
from wenze.db.audit import (
    AUDIT_CHAIN,
    AUDIT_LOG,
    AuditRecord,
    AuditRepository,
    chain_pending,
    committed_entry_ids,
    entry_hash,
    entry_rows,
    newest_entry_id,
    verify_chains,
)
from wenze.db.base import Base, utcnow

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
        await conn.run_sync(lambda c: Base.metadata.create_all(c, tables=[AUDIT_LOG, AUDIT_CHAIN]))


@pytest.fixture
async def postgres(database_url: str) -> AsyncIterator[tuple[AsyncEngine, str]]:
    schema = f"audit_{uuid.uuid4().hex[:8]}"
    engine = create_engine(database_url, schema=schema, pool_size=WRITERS + 1)
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


async def _as_superuser(engine: AsyncEngine, table: str, statement: str) -> None:
    """A superuser working around the append-only triggers."""
    async with engine.begin() as conn:
        await conn.execute(text(f"ALTER TABLE {table} DISABLE TRIGGER {table}_append_only"))
        await conn.execute(text(statement))
        await conn.execute(text(f"ALTER TABLE {table} ENABLE TRIGGER {table}_append_only"))


async def test_concurrent_writers_keep_each_chain_intact_and_a_changed_entry_is_found(
    postgres: tuple[AsyncEngine, str], database_url: str
) -> None:
    engine, schema = postgres
    writing = True

    async def writer(number: int) -> None:
        for batch in range(BATCHES_PER_WRITER):
            records = [_record(number, batch * BATCH + i) for i in range(BATCH)]
            await _append(engine, TENANTS[number % len(TENANTS)], records)

    async def chainer() -> int:
        # Chains while the writers commit, in whatever order their entries become visible.
        chained = 0
        while writing:
            chained += await chain_pending(engine, batch_size=300)
            await asyncio.sleep(0.01)
        return chained

    running_chainer = asyncio.create_task(chainer())
    await asyncio.gather(*(writer(n) for n in range(WRITERS)))
    writing = False
    chained = await running_chainer + await chain_pending(engine)
    assert chained == WRITERS * BATCHES_PER_WRITER * BATCH
    assert await chain_pending(engine) == 0

    async with engine.connect() as conn:
        reports = await verify_chains(conn)
    assert {r.tenant: (r.entries, r.intact, r.unchained) for r in reports} == {
        "kunshan": (5000, True, 0),
        "jintan": (5000, True, 0),
    }

    tampered = 4321
    await _as_superuser(
        engine,
        "audit_log",
        "UPDATE audit_log SET actor = 'someone-else' WHERE id = "
        f"(SELECT entry_id FROM audit_chain WHERE tenant = 'jintan' AND seq = {tampered})",
    )

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


async def test_a_removed_link_is_reported_at_the_link_after_the_gap(postgres: tuple[AsyncEngine, str]) -> None:
    engine, _ = postgres
    await _append(engine, "hubei", [_record(0, n) for n in range(5)])
    assert await chain_pending(engine) == 5
    await _as_superuser(engine, "audit_chain", "DELETE FROM audit_chain WHERE tenant = 'hubei' AND seq = 3")
    async with engine.connect() as conn:
        [report] = await verify_chains(conn, "hubei")
    assert (report.broken_at, report.entries) == (4, 3)
    assert "chain links missing" in (report.problem or "")
    # The entry whose link went is unchained now, and left alone by verification.
    assert report.unchained == 1


async def test_a_removed_entry_is_reported_at_its_link(postgres: tuple[AsyncEngine, str]) -> None:
    engine, _ = postgres
    await _append(engine, "hubei", [_record(0, n) for n in range(5)])
    await chain_pending(engine, "hubei")
    await _as_superuser(
        engine,
        "audit_log",
        "DELETE FROM audit_log WHERE id = (SELECT entry_id FROM audit_chain WHERE tenant = 'hubei' AND seq = 2)",
    )
    async with engine.connect() as conn:
        [report] = await verify_chains(conn, "hubei")
    assert (report.broken_at, report.entries) == (2, 2)
    assert "the entry was removed" in (report.problem or "")


async def test_an_entry_chained_twice_is_reported(postgres: tuple[AsyncEngine, str]) -> None:
    engine, _ = postgres
    await _append(engine, "hubei", [_record(0, n) for n in range(3)])
    await chain_pending(engine)
    async with engine.begin() as conn:  # a superuser forging a well-hashed fourth link to entry 1's row
        first = (await conn.execute(AUDIT_LOG.select().order_by(AUDIT_LOG.c.id).limit(1))).mappings().one()
        head = (await conn.execute(text("SELECT entry_hash FROM audit_chain WHERE seq = 3"))).scalar_one()
        forged = {**first, "seq": 4, "previous_hash": head}
        await conn.execute(text("ALTER TABLE audit_chain DROP CONSTRAINT uq_audit_chain_entry_id"))
        await conn.execute(
            insert(AUDIT_CHAIN).values(
                tenant="hubei", seq=4, entry_id=first["id"], previous_hash=head, entry_hash=entry_hash(forged)
            )
        )
    async with engine.connect() as conn:
        [report] = await verify_chains(conn)
    assert (report.broken_at, report.entries) == (4, 4)
    assert "chained twice" in (report.problem or "")


async def test_an_entry_left_unchained_past_the_grace_period_fails_verification(
    postgres: tuple[AsyncEngine, str], database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    engine, schema = postgres
    await _append(engine, "kunshan", [_record(0, n) for n in range(2)])
    await chain_pending(engine)
    old = utcnow() - dt.timedelta(minutes=6)
    async with engine.begin() as conn:  # written while no worker ran
        await conn.execute(
            insert(AUDIT_LOG),
            [{**row, "recorded_at": old} for row in entry_rows("kunshan", [_record(1, n) for n in range(3)])],
        )
    await _append(engine, "kunshan", [_record(2, 0)])  # just written: within the grace period

    async with engine.connect() as conn:
        [report] = await verify_chains(conn)
    assert (report.entries, report.intact, report.unchained, report.overdue) == (2, True, 4, True)
    assert report.oldest_unchained == old
    assert not report.sound
    async with engine.connect() as conn:
        [lenient] = await verify_chains(conn, grace=dt.timedelta(minutes=10))
    assert lenient.sound

    runner = CliRunner()
    arguments = ["audit", "verify", "--database-url", database_url, "--schema", schema]
    failed = await asyncio.to_thread(runner.invoke, app, arguments)
    assert failed.exit_code == 1, failed.output
    assert "unchained: 4 entries" in " ".join(failed.output.split())
    monkeypatch.setenv("WENZE_AUDIT_UNCHAINED_GRACE_SECONDS", "600")
    passed = await asyncio.to_thread(runner.invoke, app, arguments)
    assert passed.exit_code == 0, passed.output

    assert await chain_pending(engine) == 4
    async with engine.connect() as conn:
        [report] = await verify_chains(conn)
    assert (report.entries, report.unchained, report.sound) == (6, 0, True)


async def test_a_pass_by_ids_chains_only_those_entries(engine: AsyncEngine) -> None:
    await _append(engine, "kunshan", [_record(0, n) for n in range(3)])
    seen = await newest_entry_id(engine)
    await _append(engine, "kunshan", [_record(1, n) for n in range(2)])
    newer = range(seen + 1, await newest_entry_id(engine) + 1)
    assert await committed_entry_ids(engine, [*newer, 10_000]) == set(newer)
    assert await chain_pending(engine, ids=list(newer)) == 2
    assert await chain_pending(engine, ids=list(newer)) == 0
    async with engine.connect() as conn:
        [report] = await verify_chains(conn)
    assert (report.entries, report.unchained, report.intact) == (2, 3, True)
    # A full pass finds the older ones: they are linked after the newer, in the chain's order.
    assert await chain_pending(engine) == 3
    async with engine.connect() as conn:
        [report] = await verify_chains(conn)
    assert (report.entries, report.unchained, report.sound) == (5, 0, True)


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE audit_log SET actor = 'someone-else'",
        "DELETE FROM audit_log",
        "UPDATE audit_chain SET entry_hash = previous_hash",
        "DELETE FROM audit_chain",
    ],
)
async def test_written_entries_and_links_cannot_be_changed_or_removed(engine: AsyncEngine, statement: str) -> None:
    await _append(engine, "kunshan", [_record(0, n) for n in range(3)])
    await _append(engine, "jintan", [_record(1, 0)])
    assert await chain_pending(engine) == 4
    with pytest.raises(DBAPIError, match="append-only"):
        async with engine.begin() as conn:
            await conn.execute(text(statement))
    async with engine.connect() as conn:
        reports = await verify_chains(conn)
    assert [(r.tenant, r.entries, r.sound) for r in reports] == [("jintan", 1, True), ("kunshan", 3, True)]
