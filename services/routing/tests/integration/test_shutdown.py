"""A routing process asked to stop (SIGTERM, as Kubernetes asks) stops promptly and cleanly,
well inside the pod's grace period, instead of being killed when the grace period ends."""

from __future__ import annotations

import asyncio
import signal
import subprocess
import time
from collections.abc import Iterator

import nats
import pytest

from wenze.messaging.streams import ensure_stream, stream_for
from wenze_devtools.bench.routing_latency import acceptances
from wenze_devtools.testing.infra import NatsServer, ServiceProcess, fresh_database

pytestmark = pytest.mark.integration

# Kubernetes' default grace period is 30 s; a process must be gone long before it.
STOP_WITHIN_S = 10.0


def wait_logged(process: ServiceProcess, text: str, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while text not in process.log_path.read_text(errors="replace"):
        assert process.process is not None and process.process.poll() is None, process.log_tail()
        assert time.monotonic() < deadline, f"{text!r} not logged:\n{process.log_tail()}"
        time.sleep(0.1)


@pytest.fixture(scope="module")
def own_database() -> Iterator[str]:
    with fresh_database() as url:
        yield url


async def publish_acceptances(nats_url: str, count: int) -> None:
    nc = await nats.connect(nats_url)
    try:
        js = nc.jetstream()
        await ensure_stream(js, stream_for("intake"))
        events, _ = acceptances(count, seed=5)
        for event in events:
            await js.publish(
                event.subject, event.model_dump_json().encode(), headers={"Nats-Msg-Id": str(event.event_id)}
            )
    finally:
        await nc.close()


@pytest.mark.parametrize(
    ("role", "backlog"),
    [
        # Idle: its consumers wait in a pull request for messages that do not come.
        ("worker", 0),
        # Busy: stopped while its consumers hold fetched messages.
        ("worker", 3_000),
        ("api", 0),
    ],
)
def test_a_process_stops_promptly_on_sigterm(
    service_factory, own_nats: NatsServer, own_database: str, role: str, backlog: int
) -> None:
    if backlog:
        asyncio.run(publish_acceptances(own_nats.url, backlog))
    process = service_factory("routing", role, wait=False, nats_url=own_nats.url, database=own_database)
    wait_logged(process, "consumer started" if role == "worker" else "Application startup complete")
    assert process.process is not None
    if not backlog:
        time.sleep(2.0)  # settled into waiting

    asked = time.monotonic()
    process.process.terminate()
    try:
        exit_code = process.process.wait(timeout=STOP_WITHIN_S)
    except subprocess.TimeoutExpired:
        pytest.fail(f"the {role} was still running {STOP_WITHIN_S:g} s after SIGTERM:\n{process.log_tail()}")

    # uvicorn shuts the application down, then re-raises the signal it was sent.
    assert exit_code in (0, -signal.SIGTERM), process.log_tail()
    assert time.monotonic() - asked < STOP_WITHIN_S
