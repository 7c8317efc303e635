"""Session fixtures for integration and end-to-end tests: real NATS, PostgreSQL and services.

- ``nats_server``: a private nats-server with JetStream for the session
- ``database_url``: a fresh PostgreSQL database for the session
- ``service_factory``: starts ``python -m wenze_<svc> api|worker`` processes wired to the above;
  a process runs as long as the fixture (or test) that started it
- ``token``: ``token("wenze-kunshan", "ks-intake")`` mints a demo user's access token
"""

from __future__ import annotations

from collections.abc import Callable, Generator, Iterator
from pathlib import Path

import pytest

from wenze_devtools.testing.infra import NatsServer, ServiceProcess, fresh_database, service_env, start_nats
from wenze_devtools.testing.issuer import Issuer


@pytest.fixture(scope="session")
def nats_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[NatsServer]:
    server = start_nats(tmp_path_factory.mktemp("nats"))
    yield server
    server.stop()


@pytest.fixture(scope="session")
def database_url() -> Iterator[str]:
    with fresh_database() as url:
        yield url


ServiceFactory = Callable[..., ServiceProcess]

# Who started a process decides how long it runs: one started while a fixture is set up stops
# when that fixture is torn down (a module's fixture at the module's end, a package's at the
# package's end), one started in a test's body at the test's end. Left to the session's end,
# every suite's processes would keep polling NATS and PostgreSQL while the later suites run.
_starters: list[pytest.FixtureRequest | pytest.Item] = []


@pytest.hookimpl(wrapper=True)
def pytest_fixture_setup(
    fixturedef: pytest.FixtureDef[object], request: pytest.FixtureRequest
) -> Generator[None, object, object]:
    _starters.append(request)
    try:
        return (yield)
    finally:
        _starters.pop()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Generator[None, None, None]:
    _starters.append(item)
    try:
        return (yield)
    finally:
        _starters.pop()


@pytest.fixture(scope="session")
def service_factory(
    tmp_path_factory: pytest.TempPathFactory, nats_server: NatsServer, database_url: str, issuer_url: str
) -> Iterator[ServiceFactory]:
    started: list[ServiceProcess] = []
    data_dir = tmp_path_factory.mktemp("data")

    def start(
        service: str,
        role: str = "api",
        *,
        database: str | None = None,
        nats_url: str | None = None,
        wait: bool = True,
        **settings: str,
    ) -> ServiceProcess:
        # Small pools unless a test asks otherwise: a session runs every service's api and
        # worker, some twice, against one PostgreSQL whose default max_connections is 100.
        env = service_env(
            service,
            database_url=database or database_url,
            nats_url=nats_url or nats_server.url,
            oidc_base_url=issuer_url,
            data_dir=data_dir,
            **{"db_pool_size": "3", **settings},
        )
        log = Path(data_dir) / f"{service}-{role}-{len(started)}.log"
        process = ServiceProcess(service=service, role=role, env=env, log_path=log)
        started.append(process)
        if _starters:
            _starters[-1].addfinalizer(process.stop)
        return process.start(wait=wait)

    yield start
    for process in reversed(started):
        process.stop()


@pytest.fixture(scope="session")
def token(oidc_issuer: Issuer) -> Callable[..., str]:
    def mint(realm: str, username: str, **overrides) -> str:
        return oidc_issuer.mint_token(realm, username=username, client_id="wenze-api", **overrides)

    return mint
