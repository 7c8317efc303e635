"""The consumer runner on a real JetStream: each event is handled in the tenant scope of its
subject, a batch once per tenant in that tenant's scope, and an event whose payload names
another tenant than its subject is never handled: terminated, announced by JetStream's
advisory, and logged in a bounded line; an event a handler hands back for later comes again
and is logged as a wait, not a failure; a few events reuse PostgreSQL's cached plans while a
bulk batch has each statement planned afresh."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import nats
import pytest
from nats.aio.client import Client
from nats.js import JetStreamContext
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from wenze.db import UnitOfWorkFactory, create_engine
from wenze.db.tenancy import current_scope
from wenze.events import MatterRejected
from wenze.messaging.consumer import PLANNED_AFRESH_FROM, ConsumerSpec, HandleLater, run_consumer
from wenze.messaging.streams import ensure_stream, stream_for
from wenze_devtools.testing.infra import start_nats

from .support import rejected

pytestmark = pytest.mark.integration

WAIT = 30.0


@pytest.fixture
async def nc(tmp_path: Path) -> AsyncIterator[Client]:
    """A NATS server of this test's own: no other test's events on its streams."""
    server = start_nats(tmp_path / "nats")
    client = await nats.connect(server.url)
    yield client
    await client.close()
    server.stop()


async def publish(js: JetStreamContext, subject_tenant: str, event: MatterRejected) -> int:
    """``event`` on ``subject_tenant``'s subject, whatever tenant its payload names."""
    ack = await js.publish(f"intake.{subject_tenant}.matter.rejected.v1", event.model_dump_json().encode())
    return ack.seq


async def terminated(nc: Client, durable: str) -> asyncio.Queue[int]:
    """Stream sequence numbers of the messages the consumer terminates, from the advisories."""
    seqs: asyncio.Queue[int] = asyncio.Queue()

    async def on_advisory(message) -> None:
        await seqs.put(json.loads(message.data)["stream_seq"])

    await nc.subscribe(f"$JS.EVENT.ADVISORY.CONSUMER.MSG_TERMINATED.INTAKE.{durable}", cb=on_advisory)
    return seqs


async def until(condition: Callable[[], bool]) -> None:
    async with asyncio.timeout(WAIT):
        while not condition():
            await asyncio.sleep(0.05)


async def test_each_event_is_handled_in_its_subjects_tenant_and_a_mismatch_is_terminated(
    nc: Client, service_log
) -> None:
    js = nc.jetstream()
    await ensure_stream(js, stream_for("intake"))
    handled: list[tuple[str, str | None]] = []

    async def handler(event: MatterRejected) -> None:
        handled.append((str(event.event_id), current_scope().tenant))

    durable = "tenancy-single"
    refused_seqs = await terminated(nc, durable)
    kunshan, jintan = rejected("kunshan"), rejected("jintan")
    # Published on Kunshan's subject, saying (at length) it is another tenant's.
    forged = rejected("jintan" + "x" * 5000)
    await publish(js, "kunshan", kunshan)
    forged_seq = await publish(js, "kunshan", forged)
    await publish(js, "jintan", jintan)
    stop = asyncio.Event()
    spec = ConsumerSpec.for_event(durable, MatterRejected, handler)
    task = asyncio.create_task(run_consumer(js, spec, stop))
    try:
        await until(lambda: len(handled) >= 2)
        async with asyncio.timeout(WAIT):
            assert await refused_seqs.get() == forged_seq
    finally:
        stop.set()
        await asyncio.wait_for(task, WAIT)
    assert handled == [(str(kunshan.event_id), "kunshan"), (str(jintan.event_id), "jintan")]
    refusals = [json.loads(line) for line in service_log() if "event refused" in line]
    assert len(refusals) == 1
    assert refusals[0]["subject"] == "intake.kunshan.matter.rejected.v1"
    assert refusals[0]["event_id"] == str(forged.event_id)
    assert len(refusals[0]["payload_tenant"]) <= 120


async def test_a_batch_is_handled_once_per_tenant_in_that_tenants_scope(nc: Client) -> None:
    js = nc.jetstream()
    await ensure_stream(js, stream_for("intake"))
    batches: list[tuple[str | None, list[str]]] = []
    one_by_one: list[tuple[str, str | None]] = []

    async def handler(event: MatterRejected) -> None:
        one_by_one.append((str(event.event_id), current_scope().tenant))

    async def batch_handler(events: list[MatterRejected]) -> None:
        tenant = current_scope().tenant
        if tenant == "jintan":
            raise RuntimeError("jintan's batch fails: its events go one at a time")
        batches.append((tenant, [str(e.event_id) for e in events]))

    durable = "tenancy-batch"
    refused_seqs = await terminated(nc, durable)
    kunshan = [rejected("kunshan") for _ in range(3)]
    jintan = [rejected("jintan") for _ in range(2)]
    for event in kunshan[:2]:
        await publish(js, "kunshan", event)
    forged_seq = await publish(js, "jintan", rejected("kunshan"))
    for event in jintan:
        await publish(js, "jintan", event)
    await publish(js, "kunshan", kunshan[2])
    stop = asyncio.Event()
    spec = ConsumerSpec.for_event(durable, MatterRejected, handler, batch_handler=batch_handler)
    task = asyncio.create_task(run_consumer(js, spec, stop))
    try:
        await until(lambda: len(one_by_one) >= 2 and len(batches) >= 1)
        async with asyncio.timeout(WAIT):
            assert await refused_seqs.get() == forged_seq
    finally:
        stop.set()
        await asyncio.wait_for(task, WAIT)
    assert batches == [("kunshan", [str(e.event_id) for e in kunshan])]
    assert one_by_one == [(str(e.event_id), "jintan") for e in jintan]


async def test_an_event_handed_back_for_later_comes_again_and_is_logged_as_a_wait(nc: Client, service_log) -> None:
    js = nc.jetstream()
    await ensure_stream(js, stream_for("intake"))
    attempts: list[str] = []

    async def handler(event: MatterRejected) -> None:
        attempts.append(str(event.event_id))
        if len(attempts) < 3:
            raise HandleLater("what it depends on has not come yet")

    event = rejected("kunshan")
    await publish(js, "kunshan", event)
    stop = asyncio.Event()
    task = asyncio.create_task(run_consumer(js, ConsumerSpec.for_event("handled-later", MatterRejected, handler), stop))
    try:
        await until(lambda: len(attempts) >= 3)
        await asyncio.sleep(1)  # handled the third time and acknowledged: no fourth delivery
    finally:
        stop.set()
        await asyncio.wait_for(task, WAIT)
    assert attempts == [str(event.event_id)] * 3
    lines = [json.loads(line) for line in service_log() if '"event"' in line]
    waits = [line for line in lines if line["event"] == "event handled later"]
    assert len(waits) == 2 and waits[0]["reason"] == "what it depends on has not come yet"
    assert all(line["level"] == "info" and "exception" not in line for line in waits)
    assert not [line for line in lines if line["event"].startswith("event handling failed")]


async def test_a_few_events_reuse_cached_plans_and_a_bulk_batch_plans_each_statement(
    nc: Client, database_url: str
) -> None:
    js = nc.jetstream()
    await ensure_stream(js, stream_for("intake"))
    engine = create_engine(database_url, schema="public", plan_each_statement=True)
    units_of_work = UnitOfWorkFactory(engine, lambda session: session)
    # (tenant, events handled together, the planning their transaction ran with)
    handled: list[tuple[str, int, str]] = []

    async def planning() -> str:
        async with units_of_work() as uow:
            session: AsyncSession = uow.repos
            return str(await session.scalar(text("SELECT current_setting('plan_cache_mode')")))

    async def handler(event: MatterRejected) -> None:
        handled.append((event.tenant, 1, await planning()))

    async def batch_handler(events: list[MatterRejected]) -> None:
        handled.append((events[0].tenant, len(events), await planning()))

    # One fetch: a bulk batch of Kunshan's, and a few of Jintan's.
    for _ in range(PLANNED_AFRESH_FROM):
        await publish(js, "kunshan", rejected("kunshan"))
    for _ in range(PLANNED_AFRESH_FROM - 1):
        await publish(js, "jintan", rejected("jintan"))
    stop = asyncio.Event()
    spec = ConsumerSpec.for_event("planning", MatterRejected, handler, batch_handler=batch_handler)
    task = asyncio.create_task(run_consumer(js, spec, stop))
    try:
        await until(lambda: len(handled) >= 2)
        await publish(js, "kunshan", rejected("kunshan"))
        await until(lambda: len(handled) >= 3)
    finally:
        stop.set()
        await asyncio.wait_for(task, WAIT)
        await engine.dispose()
    assert sorted(handled[:2]) == [
        ("jintan", PLANNED_AFRESH_FROM - 1, "auto"),
        ("kunshan", PLANNED_AFRESH_FROM, "force_custom_plan"),
    ]
    assert handled[2] == ("kunshan", 1, "auto")
