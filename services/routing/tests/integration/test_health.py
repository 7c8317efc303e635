"""The routing api and worker start against the session's PostgreSQL and NATS."""

from __future__ import annotations

import asyncio
import time

import asyncpg
import httpx
import nats
import pytest
from sqlalchemy.engine import make_url
from typer.testing import CliRunner

from wenze.testing.infra import ServiceProcess
from wenze_routing.__main__ import cli

pytestmark = pytest.mark.integration

SERVICE = "routing"
SCHEMA = "routing"
PREFIX = "WENZE_ROUTING_"
STREAM = "ROUTING"


@pytest.fixture(scope="module")
def processes(service_factory, database_url: str) -> tuple[ServiceProcess, ServiceProcess]:
    # Migrated first, as a deployment's migrate job does, so that api and worker start side
    # by side without racing on the first migration.
    migrated = CliRunner().invoke(cli, ["migrate"], env={f"{PREFIX}DATABASE_URL": database_url})
    assert migrated.exit_code == 0, migrated.output
    worker = service_factory(SERVICE, "worker", wait=False)
    return service_factory(SERVICE), worker


@pytest.fixture(scope="module")
def api(processes: tuple[ServiceProcess, ServiceProcess]) -> ServiceProcess:
    return processes[0]


@pytest.fixture(scope="module")
def worker(processes: tuple[ServiceProcess, ServiceProcess]) -> ServiceProcess:
    return processes[1]


@pytest.mark.parametrize("path,body", [
    ("/healthz", {"status": "ok"}),
    ("/readyz", {"status": "ok", "checks": {"database": "ok", "nats": "ok"}}),
    ("/openapi.json", None),
])
def test_api_answers(api: ServiceProcess, path: str, body: dict | None) -> None:
    response = httpx.get(f"{api.url}{path}", timeout=10)
    assert response.status_code == 200
    if body is None:
        assert response.json()["info"]["title"] == f"Wenze {SERVICE}"
    else:
        assert response.json() == body


async def test_schema_is_migrated(api: ServiceProcess, database_url: str) -> None:
    dsn = make_url(database_url).set(drivername="postgresql").render_as_string(hide_password=False)
    conn = await asyncpg.connect(dsn)
    try:
        tables = {row["table_name"] for row in await conn.fetch(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = $1", SCHEMA)}
        version = await conn.fetchval(f'SELECT version_num FROM "{SCHEMA}".alembic_version')
    finally:
        await conn.close()
    assert {"alembic_version", "outbox", "inbox", "idempotency_keys", "slips", "slip_timeline"} <= tables
    assert version == "0002"


async def test_worker_keeps_running_and_stream_exists(worker: ServiceProcess, nats_server) -> None:
    def started() -> bool:
        return "worker running" in worker.log_path.read_text(errors="replace")

    deadline = time.monotonic() + 30
    while not started() and time.monotonic() < deadline:
        assert worker.process.poll() is None, worker.log_tail()
        await asyncio.sleep(0.1)
    assert started(), worker.log_tail()
    # Start-up alone takes seconds; a further one shows the relay and consumers did not
    # bring the process down once they were running.
    await asyncio.sleep(1)
    assert worker.process.poll() is None, worker.log_tail()

    nc = await nats.connect(nats_server.url)
    try:
        info = await nc.jetstream().stream_info(STREAM)
    finally:
        await nc.close()
    assert info.config.subjects == [f"{SERVICE}.>"]
