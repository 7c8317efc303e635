"""Per-service NATS users with the permissions ``wenze.messaging.permissions`` derives, on a
real nats-server: each service does what it does (creates its stream, publishes its events,
consumes another's with a durable pull consumer, answers readiness) connecting with its own
credentials, and cannot publish another service's events or touch another's stream."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import uuid
from collections.abc import Iterator
from pathlib import Path

import nats.errors
import pytest
from nats.js.api import StreamConfig

from wenze.config import ServiceSettings
from wenze.events import MatterAccepted, TargetSnapshot
from wenze.messaging.consumer import ConsumerSpec, run_consumer
from wenze.messaging.dead_letters import DEAD_LETTERS, ensure_dead_letter_stream
from wenze.messaging.nats import connect_nats
from wenze.messaging.permissions import permissions_for
from wenze.messaging.streams import ensure_stream, stream_for
from wenze_devtools.testing.infra import NatsServer, start_nats

pytestmark = pytest.mark.integration

PASSWORDS = {"intake": "intake-secret", "routing": "routing-secret"}


async def _ignore(_event: MatterAccepted) -> None:
    return None


ROUTING_ACCEPTED = ConsumerSpec.for_event("routing-accepted", MatterAccepted, _ignore)


@pytest.fixture
def server(tmp_path: Path) -> Iterator[NatsServer]:
    users = [
        {"user": "intake", "password": PASSWORDS["intake"], "permissions": permissions_for("intake").as_config()},
        {
            "user": "routing",
            "password": PASSWORDS["routing"],
            "permissions": permissions_for("routing", [ROUTING_ACCEPTED]).as_config(),
        },
    ]
    config = tmp_path / "nats.conf"
    config.write_text(f"authorization: {json.dumps({'users': users})}\n")
    server = start_nats(tmp_path / "store", config=config)
    yield server
    server.stop()


def settings(service: str, url: str) -> ServiceSettings:
    """A service's settings as its environment gives them (``WENZE_<SVC>_NATS_USER`` …)."""
    return ServiceSettings(service_name=service, nats_url=url, nats_user=service, nats_password=PASSWORDS[service])


def accepted() -> MatterAccepted:
    return MatterAccepted(
        tenant="kunshan",
        matter_id=uuid.uuid4(),
        number="KS-2026-00001",
        source="city_government",
        summary="某局落实整改不力",
        facts="群众反映整改不到位。",
        key_supervised=False,
        proposed_form=None,
        targets=[TargetSnapshot(kind="person", name="张明")],
        relevant_date=dt.date(2026, 4, 30),
        study_date=dt.date(2026, 4, 30),
        participants=["甲"],
        accepted_by="ks-intake",
    )


async def test_each_service_does_its_work_with_its_own_credentials(server: NatsServer) -> None:
    intake = settings("intake", server.url)
    nc = await connect_nats(server.url, name="wenze-intake", credentials=intake.nats_credentials())
    js = nc.jetstream()
    await ensure_stream(js, stream_for("intake"))
    await js.account_info()
    event = accepted()
    await js.publish(event.subject, event.model_dump_json().encode())
    await js.publish(event.subject, b'{"tenant": "kunshan"}')  # unreadable: routing gives it up
    await nc.close()

    routing = settings("routing", server.url)
    nc = await connect_nats(server.url, name="wenze-routing", credentials=routing.nats_credentials())
    js = nc.jetstream()
    await ensure_stream(js, stream_for("routing"))
    received: asyncio.Queue[MatterAccepted] = asyncio.Queue()
    stop = asyncio.Event()
    spec = ConsumerSpec.for_event("routing-accepted", MatterAccepted, received.put)
    task = asyncio.create_task(run_consumer(js, spec, stop))
    try:
        async with asyncio.timeout(30):
            assert (await received.get()).event_id == event.event_id
    finally:
        stop.set()
        await asyncio.wait_for(task, 30)
    await js.publish("routing.kunshan.slip.routed.v1", b"{}")
    # Acknowledged, and the unreadable one kept in routing's dead letters: nothing pending.
    async with asyncio.timeout(30):
        while (await js.stream_info(DEAD_LETTERS.name)).state.messages < 1:
            await asyncio.sleep(0.1)
    info = await js.consumer_info("INTAKE", "routing-accepted")
    assert (info.num_ack_pending, info.num_pending) == (0, 0)
    await nc.close()


async def test_a_service_cannot_publish_anothers_events_or_touch_its_stream(server: NatsServer) -> None:
    intake = settings("intake", server.url)
    nc = await connect_nats(server.url, name="wenze-intake", credentials=intake.nats_credentials())
    js = nc.jetstream()
    await ensure_stream(js, stream_for("intake"))
    await nc.close()

    routing = settings("routing", server.url)
    nc = await connect_nats(server.url, name="wenze-routing", credentials=routing.nats_credentials())
    # A refused request is dropped by the server: it goes unanswered.
    js = nc.jetstream(timeout=1)
    try:
        with pytest.raises(nats.errors.TimeoutError):
            await js.publish(accepted().subject, b"{}", timeout=1)
        with pytest.raises(nats.errors.TimeoutError):
            await js.delete_stream("INTAKE")
        with pytest.raises(nats.errors.TimeoutError):
            await js.update_stream(StreamConfig(name="INTAKE", subjects=["intake.>"], max_msgs=1))
        with pytest.raises(nats.errors.TimeoutError):
            await js.publish("review.kunshan.decision.made.v1", b"{}", timeout=1)
        # Nor put events in another consumer's dead letters.
        await ensure_dead_letter_stream(js)
        with pytest.raises(nats.errors.TimeoutError):
            await js.publish("dead_letters.intake-matter-routed", b"{}", timeout=1)
    finally:
        await nc.close()


def test_credentials_are_one_kind_at_a_time(tmp_path: Path) -> None:
    creds = tmp_path / "routing.creds"
    with pytest.raises(ValueError, match="one NATS credential"):
        ServiceSettings(nats_user="routing", nats_password="x", nats_creds_file=creds)
    with pytest.raises(ValueError, match="go together"):
        ServiceSettings(nats_user="routing")
    assert ServiceSettings(nats_creds_file=creds).nats_credentials().options() == {"user_credentials": str(creds)}
    assert ServiceSettings().nats_credentials().options() == {}
