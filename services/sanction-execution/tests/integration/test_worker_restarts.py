"""``kill -9`` of the worker while deadlines are pending: every deadline fires once.

The worker consumes decisions from its own NATS server and database and runs its scheduler
on the real date, so the decisions are placed relative to today: some deadlines have passed
(``deadline.missed``), some are within their lead time (``deadline.due``). The worker is
killed three times while it works through them and started again; in the end each deadline
has exactly one event in the outbox and exactly one message on the stream.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import nats
import pytest
from nats.js.api import ConsumerConfig, DeliverPolicy
from sqlalchemy import func, select
from typer.testing import CliRunner

from wenze.calendar import DeadlineSpec, load_calendar
from wenze.db import UnitOfWorkFactory, create_engine
from wenze.db.outbox import OutboxRecord
from wenze.db.tenancy import tenant_scope
from wenze.messaging.streams import ensure_stream, stream_for
from wenze.rules import get_pack
from wenze_devtools.testing.infra import NatsServer, fresh_database, start_nats
from wenze_sanction_execution.__main__ import cli
from wenze_sanction_execution.executions.models import Deadline
from wenze_sanction_execution.repositories import make_repositories

from .conftest import SCHEMA, decision

pytestmark = pytest.mark.integration

DECISIONS = 120
TENANT = "kunshan"


@pytest.fixture(scope="module")
def own_nats(tmp_path_factory: pytest.TempPathFactory) -> Iterator[NatsServer]:
    server = start_nats(Path(tmp_path_factory.mktemp("restart-nats")))
    yield server
    server.stop()


@pytest.fixture(scope="module")
def own_database() -> Iterator[str]:
    with fresh_database() as url:
        migrated = CliRunner().invoke(cli, ["migrate"], env={"WENZE_SANCTION_EXECUTION_DATABASE_URL": url})
        assert migrated.exit_code == 0, migrated.output
        yield url


def decision_days(today: dt.date) -> tuple[dt.date, dt.date]:
    """A decision day whose copy deadline (3 working days) has passed, and one whose deadline is
    within the pack's two-day lead time but not passed."""
    copy = DeadlineSpec(kind="working_days", amount=3)
    calendar = load_calendar()
    passed = today - dt.timedelta(days=30)
    for back in range(1, 15):
        day = today - dt.timedelta(days=back)
        due = copy.compute(day, calendar)
        if today <= due <= today + dt.timedelta(days=2):
            return passed, day
    raise AssertionError(f"no decision day puts a deadline within two days of {today}")


async def publish(nats_url: str, events: list) -> None:
    nc = await nats.connect(nats_url)
    try:
        js = nc.jetstream()
        await ensure_stream(js, stream_for("review"))
        for event in events:
            await js.publish(
                event.subject, event.model_dump_json().encode(), headers={"Nats-Msg-Id": str(event.event_id)}
            )
    finally:
        await nc.close()


async def stream_messages(nats_url: str) -> list[tuple[str, dict]]:
    nc = await nats.connect(nats_url)
    try:
        js = nc.jetstream()
        subscription = await js.pull_subscribe(
            f"sanction-execution.{TENANT}.deadline.>",
            stream=stream_for("sanction-execution").name,
            config=ConsumerConfig(deliver_policy=DeliverPolicy.ALL),
        )
        received: list[tuple[str, dict]] = []
        while True:
            try:
                batch = await subscription.fetch(500, timeout=2)
            except TimeoutError:
                return received
            for message in batch:
                received.append((message.subject, json.loads(message.data)))
                await message.ack()
    finally:
        await nc.close()


async def progress(units: UnitOfWorkFactory) -> tuple[int, int, int]:
    """(deadlines stored, deadline events in the outbox, of them published)."""
    with tenant_scope(TENANT):
        async with units() as uow:
            deadlines = await uow.session.scalar(select(func.count()).select_from(Deadline))
            fired = OutboxRecord.subject.like(f"sanction-execution.{TENANT}.deadline.%")
            events = await uow.session.scalar(select(func.count()).where(fired))
            published = await uow.session.scalar(
                select(func.count()).where(fired, OutboxRecord.published_at.is_not(None))
            )
    return deadlines or 0, events or 0, published or 0


async def test_every_deadline_fires_once_across_kill_9(
    service_factory, own_nats: NatsServer, own_database: str
) -> None:
    today = get_pack(TENANT).today()
    passed, within_lead = decision_days(today)
    target = {"kind": "person", "unit": "玉山镇", "cadre_level": "city_managed"}
    events = [
        decision(
            TENANT,
            decided_on=passed if n % 2 else within_lead,
            decided_by="discipline_supervision_office",
            target={**target, "name": f"干部{n:04d}"},
            measures=["reassignment"],
        )
        for n in range(DECISIONS)
    ]
    await publish(own_nats.url, events)

    engine = create_engine(own_database, schema=SCHEMA)
    units = UnitOfWorkFactory(engine, make_repositories)
    settings = {
        "database": own_database,
        "nats_url": own_nats.url,
        "scheduler_interval_seconds": "0.2",
        "scheduler_batch": "7",
    }
    at_kill: list[int] = []
    try:
        for kill in range(3):
            worker = service_factory("sanction-execution", "worker", wait=False, **settings)
            started = time.monotonic()
            base = (await progress(units))[1]
            # Killed once it has fired some more, mid-way; the last time right away.
            while kill < 2 and (await progress(units))[1] <= base and time.monotonic() - started < 90:
                await asyncio.sleep(0.05)
            worker.kill()
            at_kill.append((await progress(units))[1])

        worker = service_factory("sanction-execution", "worker", wait=False, **settings)
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline:
            stored, fired, published = await progress(units)
            if stored == DECISIONS and fired == DECISIONS and published == DECISIONS:
                break
            await asyncio.sleep(0.2)
        assert (stored, fired, published) == (DECISIONS, DECISIONS, DECISIONS), worker.log_tail()
        # The kills came while deadlines were being fired, not before or after all of them.
        assert any(0 < fired < DECISIONS for fired in at_kill), at_kill

        with tenant_scope(TENANT):
            async with units() as uow:
                rows = await uow.session.scalars(
                    select(OutboxRecord).where(OutboxRecord.subject.like(f"sanction-execution.{TENANT}.deadline.%"))
                )
                in_outbox = Counter(json.loads(r.payload)["deadline_id"] for r in rows)
                states = Counter((await uow.session.scalars(select(Deadline.state))).all())
        assert set(in_outbox.values()) == {1}
        assert states == {"missed": DECISIONS // 2, "reminded": DECISIONS // 2}

        on_stream = await stream_messages(own_nats.url)
        assert Counter(payload["deadline_id"] for _, payload in on_stream) == in_outbox
        kinds = Counter(subject.split(".")[3] for subject, _ in on_stream)
        assert kinds == {"missed": DECISIONS // 2, "due": DECISIONS // 2}
        worker.stop()
    finally:
        await engine.dispose()
