from __future__ import annotations

from collections.abc import Callable, Iterator

import httpx
import pytest
from typer.testing import CliRunner

from wenze_devtools.testing.infra import NatsServer, ServiceProcess, start_nats
from wenze_routing.__main__ import cli


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
