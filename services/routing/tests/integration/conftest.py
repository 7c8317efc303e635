from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from wenze.db import UnitOfWorkFactory, create_engine
from wenze.db.migrations import upgrade
from wenze_devtools.testing.infra import NatsServer, ServiceProcess, start_nats
from wenze_routing.__main__ import cli
from wenze_routing.app import MIGRATIONS
from wenze_routing.repositories import RoutingRepositories, make_repositories


@pytest.fixture(scope="package")
def routing(service_factory) -> ServiceProcess:
    """One routing api for the session's rules tests (the calendar tests start their own)."""
    return service_factory("routing")


@pytest.fixture(scope="package")
def slips_api(service_factory, database_url: str) -> ServiceProcess:
    """Routing's api and worker on the session's database, migrated first: the slip tests'."""
    migrated = CliRunner().invoke(cli, ["migrate"], env={"WENZE_ROUTING_DATABASE_URL": database_url})
    assert migrated.exit_code == 0, migrated.output
    service_factory("routing", "worker", wait=False)
    return service_factory("routing")


@pytest.fixture(scope="module")
def own_nats(tmp_path_factory: pytest.TempPathFactory) -> Iterator[NatsServer]:
    """A NATS server for a module whose routing runs on a database of its own: on the
    session's, what it publishes (calendar years, interpretation choices, a backlog) would
    reach the other tests' routing and reporting workers."""
    server = start_nats(tmp_path_factory.mktemp("routing-nats"))
    yield server
    server.stop()


ClientFor = Callable[..., httpx.Client]


@pytest.fixture(scope="package")
def client_for(token) -> Iterator[Callable[..., httpx.Client]]:
    """``client_for(api, "wenze-kunshan", "ks-intake", roles=[...])``: a client with that user's token."""
    clients: list[httpx.Client] = []

    def make(api: ServiceProcess, realm: str, username: str, **overrides) -> httpx.Client:
        client = httpx.Client(
            base_url=api.url, timeout=30, headers={"Authorization": f"Bearer {token(realm, username, **overrides)}"}
        )
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.close()


@pytest.fixture(params=["sqlite", "postgresql"])
async def units_of_work(
    request: pytest.FixtureRequest, tmp_path: Path, database_url: str
) -> AsyncIterator[UnitOfWorkFactory[RoutingRepositories]]:
    """Routing's units of work in this process, on SQLite and on a schema of its own in PostgreSQL."""
    url = f"sqlite:///{tmp_path / 'routing.db'}" if request.param == "sqlite" else database_url
    schema = "routing" if request.param == "sqlite" else f"routing_{uuid.uuid4().hex[:8]}"
    await upgrade(MIGRATIONS, url, schema)
    engine = create_engine(url, schema=schema)
    yield UnitOfWorkFactory(engine, make_repositories)
    await engine.dispose()
