"""Events a consumer gives up on go to the dead letters on a real JetStream, with the reason:
an unreadable payload at once (its handler never sees it), another tenant's payload at once,
and an event whose handler fails on every delivery the consumer allows after the last one.
An operator lists them and sends one again, which its consumer then handles; ``wenze
dead-letters`` does the same from the command line."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path

import nats
import pytest
from nats.aio.client import Client
from nats.js import JetStreamContext
from typer.testing import CliRunner

from wenze.cli.main import app
from wenze.events import MatterRejected
from wenze.messaging.consumer import ConsumerSpec, run_consumer
from wenze.messaging.dead_letters import DEAD_LETTERS, DETAIL_CHARS, dead_letters, replay
from wenze.messaging.streams import ensure_stream, stream_for
from wenze_devtools.testing.infra import NatsServer, start_nats

from .support import rejected

pytestmark = pytest.mark.integration

WAIT = 30.0
SUBJECT = "intake.kunshan.matter.rejected.v1"


@pytest.fixture
def server(tmp_path: Path) -> Iterator[NatsServer]:
    """A NATS server of this test's own: no other test's events on its streams."""
    server = start_nats(tmp_path / "nats")
    yield server
    server.stop()


@pytest.fixture
async def nc(server: NatsServer) -> AsyncIterator[Client]:
    client = await nats.connect(server.url)
    yield client
    await client.close()


async def until(condition: Callable[[], bool]) -> None:
    async with asyncio.timeout(WAIT):
        while not condition():
            await asyncio.sleep(0.05)


async def parked(js: JetStreamContext, count: int, consumer: str | None = None) -> list:
    async with asyncio.timeout(WAIT):
        while len(found := await dead_letters(js, consumer=consumer)) < count:
            await asyncio.sleep(0.1)
    return found


async def consuming(js: JetStreamContext, spec: ConsumerSpec[MatterRejected]) -> tuple[asyncio.Event, asyncio.Task]:
    stop = asyncio.Event()
    return stop, asyncio.create_task(run_consumer(js, spec, stop))


async def test_an_event_failing_on_every_allowed_delivery_is_kept_and_can_be_sent_again(nc: Client) -> None:
    js = nc.jetstream()
    await ensure_stream(js, stream_for("intake"))
    attempts: list[str] = []
    mended = asyncio.Event()

    async def handler(event: MatterRejected) -> None:
        attempts.append(str(event.event_id))
        if not mended.is_set():
            raise RuntimeError("the office table is missing " + "x" * 1000)

    event = rejected()
    published = await js.publish(
        SUBJECT, event.model_dump_json().encode(), headers={"traceparent": "00-" + "a" * 32 + "-" + "b" * 16 + "-01"}
    )
    spec = ConsumerSpec.for_event("failing", MatterRejected, handler, max_deliver=3)
    stop, task = await consuming(js, spec)
    try:
        (letter,) = await parked(js, 1)
        await asyncio.sleep(2)  # no fourth delivery follows the last allowed one
        assert attempts == [str(event.event_id)] * 3
        assert (letter.consumer, letter.subject, letter.reason, letter.deliveries) == ("failing", SUBJECT, "failed", 3)
        assert letter.detail.startswith("RuntimeError: the office table is missing")
        assert len(letter.detail) <= DETAIL_CHARS
        assert letter.event_id == str(event.event_id)
        assert letter.headers["Wenze-Dead-Letter-Stream-Sequence"] == str(published.seq)
        assert letter.original_headers() == {"traceparent": "00-" + "a" * 32 + "-" + "b" * 16 + "-01"}
        assert letter.parked_at is not None and letter.parked_at.tzinfo is not None

        mended.set()
        await replay(js, letter)
        await until(lambda: len(attempts) == 4)
        assert attempts[-1] == str(event.event_id)
        assert await dead_letters(js) == []
    finally:
        stop.set()
        await asyncio.wait_for(task, WAIT)
    info = await js.consumer_info("INTAKE", "failing")
    assert (info.num_ack_pending, info.num_pending) == (0, 0)


async def test_unreadable_and_other_tenants_events_are_kept_at_once_and_never_handled(nc: Client, service_log) -> None:
    js = nc.jetstream()
    await ensure_stream(js, stream_for("intake"))
    handled: list[str] = []

    async def handler(event: MatterRejected) -> None:
        handled.append(str(event.event_id))

    good = rejected()
    await js.publish(SUBJECT, json.dumps({"tenant": "kunshan", "number": "秘密内容" * 50}).encode())
    await js.publish(SUBJECT, rejected("jintan").model_dump_json().encode())
    await js.publish(SUBJECT, good.model_dump_json().encode())
    stop, task = await consuming(js, ConsumerSpec.for_event("strict", MatterRejected, handler))
    try:
        unreadable, wrong_tenant = await parked(js, 2, consumer="strict")
        await until(lambda: len(handled) == 1)
    finally:
        stop.set()
        await asyncio.wait_for(task, WAIT)
    assert handled == [str(good.event_id)]
    assert (unreadable.reason, unreadable.deliveries) == ("unreadable", 1)
    # Where the payload departs from the contract, by field, without its values.
    assert "matter_id: Field required" in unreadable.detail
    assert "秘密内容" not in unreadable.detail
    assert (wrong_tenant.reason, wrong_tenant.deliveries) == ("wrong-tenant", 1)
    assert "jintan" in wrong_tenant.detail
    given_up = [json.loads(line) for line in service_log() if "event given up" in line]
    assert [(line["reason"], line["durable"]) for line in given_up] == [
        ("unreadable", "strict"),
        ("wrong-tenant", "strict"),
    ]


def test_operators_list_replay_and_drop_dead_letters_from_the_command_line(server: NatsServer) -> None:
    handled: list[str] = []

    async def handler(event: MatterRejected) -> None:
        handled.append(str(event.event_id))

    async def give_up(payloads: list[bytes]) -> None:
        client = await nats.connect(server.url)
        js = client.jetstream()
        await ensure_stream(js, stream_for("intake"))
        for payload in payloads:
            await js.publish(SUBJECT, payload)
        stop, task = await consuming(js, ConsumerSpec.for_event("cli-case", MatterRejected, handler))
        try:
            await parked(js, len(payloads))
        finally:
            stop.set()
            await asyncio.wait_for(task, WAIT)
            await client.close()

    late = rejected("jintan")
    asyncio.run(give_up([b"not json", late.model_dump_json().encode()]))
    runner = CliRunner()
    at = ["--nats-url", server.url]

    listed = runner.invoke(app, ["dead-letters", "list", "--json", *at])
    assert listed.exit_code == 0, listed.output
    letters = json.loads(listed.stdout)
    assert [(x["consumer"], x["reason"], x["subject"]) for x in letters] == [
        ("cli-case", "unreadable", SUBJECT),
        ("cli-case", "wrong-tenant", SUBJECT),
    ]
    assert letters[1]["event_id"] == str(late.event_id)
    table = runner.invoke(app, ["dead-letters", "list", "--consumer", "cli-case", *at])
    assert table.exit_code == 0 and "wrong-tenant" in table.stdout
    assert "No dead letters." in runner.invoke(app, ["dead-letters", "list", "--consumer", "other", *at]).stdout

    dropped = runner.invoke(app, ["dead-letters", "drop", str(letters[0]["sequence"]), *at])
    assert dropped.exit_code == 0 and f"dropped no. {letters[0]['sequence']}" in dropped.stdout
    missing = runner.invoke(app, ["dead-letters", "replay", str(letters[0]["sequence"]), "--json", *at])
    assert missing.exit_code == 1
    assert json.loads(missing.stderr)["detail"] == f"no dead letter numbered {letters[0]['sequence']}"
    again = runner.invoke(app, ["dead-letters", "replay", str(letters[1]["sequence"]), *at])
    assert again.exit_code == 0, again.output
    remaining = json.loads(runner.invoke(app, ["dead-letters", "list", "--json", *at]).stdout)
    assert remaining == []

    async def stream_subjects() -> list[str]:
        client = await nats.connect(server.url)
        try:
            js = client.jetstream()
            info = await js.stream_info("INTAKE")
            assert (await js.stream_info(DEAD_LETTERS.name)).state.messages == 0
            return [(await js.get_msg("INTAKE", seq)).subject or "" for seq in range(1, info.state.last_seq + 1)]
        finally:
            await client.close()

    # The replayed event is on its original subject once more, after the two first published.
    assert asyncio.run(stream_subjects()) == [SUBJECT] * 3

    unreachable = runner.invoke(app, ["dead-letters", "list", "--nats-url", "nats://127.0.0.1:1"])
    assert unreachable.exit_code == 4
    assert "did not answer" in unreachable.stderr
