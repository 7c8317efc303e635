"""What a deployment runs: the streams job's command, and a worker probed over HTTP.

Real processes (``python -m wenze_routing ...``) against the session's NATS and PostgreSQL,
as the chart's Job and Deployment run them.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import nats
import pytest
from nats.js.errors import NotFoundError

from wenze_devtools.testing.infra import NatsServer, end_with_parent, free_port, service_env

pytestmark = pytest.mark.integration

ROUTING_DURABLES = {
    "routing-accepted": "INTAKE",
    "routing-consultation-concluded": "REVIEW",
    "routing-targets-identified": "REVIEW",
}


def _env(nats_server: NatsServer, database_url: str, tmp_path: Path, **extra: str) -> dict[str, str]:
    env = service_env(
        "routing",
        database_url=database_url,
        nats_url=nats_server.url,
        oidc_base_url="http://127.0.0.1:9",
        data_dir=tmp_path,
    )
    return {**os.environ, **env, **extra}


async def _jetstream_state(url: str) -> tuple[dict[str, int], dict[str, str]]:
    nc = await nats.connect(url)
    try:
        js = nc.jetstream()
        replicas: dict[str, int] = {}
        for name in ("ROUTING", "INTAKE", "REVIEW"):
            info = await js.stream_info(name)
            replicas[name] = info.config.num_replicas or 1
        durables: dict[str, str] = {}
        for durable, stream in ROUTING_DURABLES.items():
            try:
                info = await js.consumer_info(stream, durable)
            except NotFoundError:
                continue
            durables[durable] = info.stream_name
        return replicas, durables
    finally:
        await nc.close()


def test_the_streams_command_creates_the_stream_and_the_workers_durables(
    nats_server: NatsServer, database_url: str, tmp_path: Path
) -> None:
    first = subprocess.run(
        [sys.executable, "-m", "wenze_routing", "streams"],
        env=_env(nats_server, database_url, tmp_path),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert first.returncode == 0, first.stderr
    assert "stream ROUTING (routing.>): 1 replica(s)" in first.stdout
    replicas, durables = asyncio.run(_jetstream_state(nats_server.url))
    assert replicas == {"ROUTING": 1, "INTAKE": 1, "REVIEW": 1}
    assert durables == ROUTING_DURABLES

    again = subprocess.run(
        [sys.executable, "-m", "wenze_routing", "streams"],
        env=_env(nats_server, database_url, tmp_path),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert again.returncode == 0, again.stderr
    for durable, stream in ROUTING_DURABLES.items():
        assert f"consumer {durable} on {stream}: exists" in again.stdout


def test_replicas_a_single_server_cannot_hold_are_refused_in_a_sentence(
    nats_server: NatsServer, database_url: str, tmp_path: Path
) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "wenze_routing", "streams"],
        env=_env(nats_server, database_url, tmp_path, WENZE_STREAM_REPLICAS="3"),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 1
    assert "routing: JetStream refused the configuration:" in result.stderr
    assert "Traceback" not in result.stderr


def test_a_worker_answers_its_probes_and_stops_on_sigterm(
    nats_server: NatsServer, database_url: str, tmp_path: Path
) -> None:
    port = free_port()
    log = tmp_path / "worker.log"
    process = subprocess.Popen(
        [sys.executable, "-m", "wenze_routing", "worker", "--health-host", "127.0.0.1", "--health-port", str(port)],
        env=_env(nats_server, database_url, tmp_path),
        stdout=subprocess.DEVNULL,
        stderr=log.open("ab"),
        preexec_fn=end_with_parent,
    )
    try:
        deadline = time.monotonic() + 120
        ready = None
        while time.monotonic() < deadline and process.poll() is None:
            try:
                ready = httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=1)
                if ready.status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        assert ready is not None and ready.status_code == 200, log.read_text()
        assert ready.json() == {"status": "ok", "checks": {"database": "ok", "nats": "ok"}}
        live = httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1)
        assert live.status_code == 200 and live.json() == {"status": "ok"}
        assert "server" not in live.headers
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=20) == 0, log.read_text()
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
