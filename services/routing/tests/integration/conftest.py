from __future__ import annotations

from collections.abc import Callable, Iterator

import httpx
import pytest
from typer.testing import CliRunner

from wenze_devtools.testing.infra import ServiceProcess
from wenze_routing.__main__ import cli


@pytest.fixture(scope="session")
def routing(service_factory) -> ServiceProcess:
    """One routing api for the session's rules tests (the calendar tests start their own)."""
    return service_factory("routing")


@pytest.fixture(scope="session")
def slips_api(service_factory, database_url: str) -> ServiceProcess:
    """Routing's api and worker on the session's database, migrated first: the slip tests'."""
    migrated = CliRunner().invoke(cli, ["migrate"], env={"WENZE_ROUTING_DATABASE_URL": database_url})
    assert migrated.exit_code == 0, migrated.output
    service_factory("routing", "worker", wait=False)
    return service_factory("routing")


ClientFor = Callable[..., httpx.Client]


@pytest.fixture(scope="session")
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
