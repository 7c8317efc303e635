"""Every service, as deployed: migrated by its own `migrate` command, then its api and worker
started; health, OpenAPI, schema and stream checked.

On a database and NATS of this module's own: a worker running with default settings on the
session's would claim other tests' work (notification's deliveries, execution's deadlines)."""

from __future__ import annotations

import asyncio
import importlib
import re
import time
from collections.abc import Iterator

import asyncpg
import httpx
import nats
import pytest
from alembic.script import ScriptDirectory
from sqlalchemy.engine import make_url

from wenze.messaging.streams import SERVICES, stream_for
from wenze_devtools.testing.infra import NatsServer, ServiceProcess, fresh_database, migrate, start_nats

pytestmark = pytest.mark.integration


def module_of(service: str) -> str:
    return "wenze_" + service.replace("-", "_")


@pytest.fixture(scope="module")
def own_database() -> Iterator[str]:
    with fresh_database() as url:
        yield url


@pytest.fixture(scope="module")
def own_nats(tmp_path_factory: pytest.TempPathFactory) -> Iterator[NatsServer]:
    server = start_nats(tmp_path_factory.mktemp("every-service-nats"))
    yield server
    server.stop()


@pytest.fixture(scope="module")
def running(
    service_factory, own_database: str, own_nats: NatsServer
) -> dict[str, tuple[ServiceProcess, ServiceProcess]]:
    """Every service migrated by its own command, then its worker and api started: all side by
    side, as a deployment's jobs and pods start."""
    migrate(own_database, *SERVICES)
    # One pooled connection each: fourteen processes at once, beside the other tests' own.
    on_its_own = {"database": own_database, "nats_url": own_nats.url, "db_pool_size": "1"}
    processes = {
        name: (
            service_factory(name, wait=False, **on_its_own),
            service_factory(name, "worker", wait=False, **on_its_own),
        )
        for name in SERVICES
    }
    for api, _ in processes.values():
        api.wait_ready()
    return processes


@pytest.fixture(params=SERVICES)
def service(request, running) -> tuple[str, ServiceProcess, ServiceProcess]:
    api, worker = running[request.param]
    return request.param, api, worker


@pytest.mark.parametrize(
    "path,body",
    [
        ("/healthz", {"status": "ok"}),
        ("/readyz", {"status": "ok", "checks": {"database": "ok", "nats": "ok"}}),
        ("/openapi.json", None),
    ],
)
def test_api_answers(service, path: str, body: dict | None) -> None:
    name, api, _ = service
    response = httpx.get(f"{api.url}{path}", timeout=10)
    assert response.status_code == 200
    assert "server" not in response.headers, "a response must not name the server software"
    if body is None:
        assert response.json()["info"]["title"] == f"Wenze {name}"
    else:
        assert response.json() == body


@pytest.mark.parametrize("page", ["/docs", "/redoc"])
def test_api_pages_need_nothing_from_outside(service, page: str) -> None:
    """Commission networks are closed: every script, style and icon of the API pages is served here."""
    _, api, _ = service
    html = httpx.get(f"{api.url}{page}", timeout=10).raise_for_status().text
    referenced = re.findall(r"""(?:src|href)=["']([^"']+)["']|url: ?["']([^"']+)["']""", html)
    urls = [first or second for first, second in referenced]
    assert urls, "the page references its assets"
    for url in urls:
        assert not re.match(r"^(https?:)?//", url), f"{page} loads {url} from outside the service"
        assert httpx.get(f"{api.url}{url}", timeout=10).status_code == 200, url


def test_a_query_parameter_no_route_declares_is_refused(service) -> None:
    _, api, _ = service
    response = httpx.get(f"{api.url}/healthz", params={"verbose": "1"}, timeout=10)
    assert response.status_code == 422
    assert [e["field"] for e in response.json()["errors"]] == ["query.verbose"]


async def test_schema_is_migrated_to_head(service, own_database: str) -> None:
    name, _, _ = service
    schema = name.replace("-", "_")
    dsn = make_url(own_database).set(drivername="postgresql").render_as_string(hide_password=False)
    conn = await asyncpg.connect(dsn)
    try:
        tables = {
            row["table_name"]
            for row in await conn.fetch(
                "SELECT table_name FROM information_schema.tables WHERE table_schema = $1", schema
            )
        }
        version = await conn.fetchval(f'SELECT version_num FROM "{schema}".alembic_version')
    finally:
        await conn.close()
    assert {"alembic_version", "outbox", "inbox", "idempotency_keys"} <= tables
    migrations = importlib.import_module(f"{module_of(name)}.app").MIGRATIONS
    assert version == ScriptDirectory(str(migrations)).get_current_head()


async def test_worker_keeps_running_and_stream_exists(service, own_nats: NatsServer) -> None:
    name, _, worker = service

    def started() -> bool:
        return "worker running" in worker.log_path.read_text(errors="replace")

    deadline = time.monotonic() + 180
    while not started() and time.monotonic() < deadline:
        assert worker.process.poll() is None, worker.log_tail()
        await asyncio.sleep(0.1)
    assert started(), worker.log_tail()
    # Start-up alone takes seconds; a further one shows the relay and consumers did not
    # bring the process down once they were running.
    await asyncio.sleep(1)
    assert worker.process.poll() is None, worker.log_tail()

    nc = await nats.connect(own_nats.url)
    try:
        info = await nc.jetstream().stream_info(stream_for(name).name)
    finally:
        await nc.close()
    assert info.config.subjects == [f"{name}.>"]


async def test_service_runs_as_its_own_role_under_row_level_security(service, own_database: str) -> None:
    """Both processes connect as the service's application role, never as the owner (ADR 0018)."""
    name, api, worker = service
    role = f"wenze_{name.replace('-', '_')}"
    dsn = make_url(own_database).set(drivername="postgresql").render_as_string(hide_password=False)
    conn = await asyncpg.connect(dsn)
    try:
        roles = {
            row["usename"]
            for row in await conn.fetch(
                "SELECT DISTINCT usename FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
        }
        escapes = await conn.fetchval("SELECT rolsuper OR rolbypassrls FROM pg_roles WHERE rolname = $1", role)
    finally:
        await conn.close()
    assert role in roles
    assert escapes is False
    for process in (api, worker):
        assert "bypasses row-level security" not in process.log_path.read_text(errors="replace")
