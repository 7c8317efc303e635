"""The review api and worker, started once for the session against the test rule pack.

The pack under ``tests/rulesets`` binds every workflow step of docs/workflow.md, so these
tests exercise the contract whatever the tenants' own packs bind at the moment. Both
processes read it through ``WENZE_RULESETS_DIR``; nothing else in the session does. They
have a NATS server and a database of their own: on the session's, this worker would share
the review consumers with the end-to-end stack's and take some of its events.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from wenze_devtools.testing.infra import NatsServer, ServiceProcess, fresh_database, start_nats
from wenze_review.__main__ import cli

from .support import office_authority

RULESETS = Path(__file__).resolve().parents[1] / "rulesets"
REALM = "wenze-kunshan"


@contextmanager
def _rulesets_env() -> Iterator[None]:
    previous = os.environ.get("WENZE_RULESETS_DIR")
    os.environ["WENZE_RULESETS_DIR"] = str(RULESETS)
    try:
        yield
    finally:
        if previous is None:
            del os.environ["WENZE_RULESETS_DIR"]
        else:
            os.environ["WENZE_RULESETS_DIR"] = previous


@pytest.fixture(scope="package")
def review_nats(tmp_path_factory: pytest.TempPathFactory) -> Iterator[NatsServer]:
    server = start_nats(tmp_path_factory.mktemp("review-nats"))
    yield server
    server.stop()


@pytest.fixture(scope="package")
def review_database() -> Iterator[str]:
    with fresh_database() as url:
        yield url


@pytest.fixture(scope="package")
def review_processes(
    service_factory, review_database: str, review_nats: NatsServer
) -> Iterator[tuple[ServiceProcess, ServiceProcess]]:
    # Migrated first, as a deployment's migrate job does, so that api and worker start side
    # by side without racing on the first migration.
    migrated = CliRunner().invoke(cli, ["migrate"], env={"WENZE_REVIEW_DATABASE_URL": review_database})
    assert migrated.exit_code == 0, migrated.output
    private = {"database": review_database, "nats_url": review_nats.url}
    with _rulesets_env():
        worker = service_factory("review", "worker", wait=False, **private)
        api = service_factory("review", **private)
    yield api, worker
    # Stopped here, before the database and NATS server they use go away.
    api.stop()
    worker.stop()


@pytest.fixture(scope="package")
def review_api(review_processes) -> ServiceProcess:
    return review_processes[0]


@pytest.fixture(scope="package")
def review_worker(review_processes) -> ServiceProcess:
    return review_processes[1]


@pytest.fixture(scope="package")
def as_office(review_api: ServiceProcess, oidc_issuer) -> Callable[..., httpx.Client]:
    """``as_office("case_trial_office", ["review:sign"], username="trial-1")``: a client acting for that office
    (in another tenant with ``realm="wenze-jintan"``), with the authority (干部管理权限) the realm's demo users
    of that office have unless ``authority`` is given, and linked to ``linked_units``."""
    clients: list[httpx.Client] = []

    def make(
        office: str,
        roles: list[str],
        *,
        username: str | None = None,
        realm: str = REALM,
        authority: list[str] | None = None,
        linked_units: list[str] | None = None,
    ) -> httpx.Client:
        name = username or f"{office}-user"
        claims = {
            "office": office,
            "office_name": office,
            "preferred_username": name,
            "cadre_authority": sorted(office_authority(realm).get(office, ())) if authority is None else authority,
            "linked_units": linked_units or [],
        }
        token = oidc_issuer.mint_token(realm, roles=[*roles, "matter:read"], client_id="wenze-api", claims=claims)
        return client_with(token)

    def client_with(token: str) -> httpx.Client:
        client = httpx.Client(base_url=review_api.url, timeout=30, headers={"Authorization": f"Bearer {token}"})
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.close()


@pytest.fixture(scope="package")
def as_demo_user(review_api: ServiceProcess, oidc_issuer) -> Callable[..., httpx.Client]:
    """``as_demo_user("ks-supervision-1")``: a client with that demo user's token (its office,
    roles, authority and linked units), ``claims`` overriding some of them."""
    clients: list[httpx.Client] = []

    def make(username: str, *, realm: str = REALM, claims: dict | None = None) -> httpx.Client:
        token = oidc_issuer.mint_token(realm, username=username, client_id="wenze-api", claims=claims)
        client = httpx.Client(base_url=review_api.url, timeout=30, headers={"Authorization": f"Bearer {token}"})
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.close()
