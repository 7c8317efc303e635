from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Callable, Iterator

import httpx
import nats
import pytest
from keycloak import KeycloakOpenID

from wenze.events import Event
from wenze.messaging.streams import ensure_stream, stream_for
from wenze_devtools.testing.infra import NatsServer, ServiceProcess, start_nats
from wenze_devtools.testing.issuer.realms import DEFAULT_INTEGRATOR_SECRET

TEST_RUN_TOKEN_SECONDS = 3 * 3600


@pytest.fixture(scope="module")
def own_nats(tmp_path_factory: pytest.TempPathFactory) -> Iterator[NatsServer]:
    """A NATS server for a module whose intake runs on a database of its own: on the
    session's, its matters would reach the other tests' routing and reporting workers."""
    server = start_nats(tmp_path_factory.mktemp("intake-nats"))
    yield server
    server.stop()


@pytest.fixture(scope="package")
def intake(service_factory) -> ServiceProcess:
    """Intake's API, and its worker, which runs the import jobs (started once the API has
    migrated the schema, so the two never migrate at once)."""
    api = service_factory("intake", import_batch_size="50")
    service_factory("intake", "worker", wait=False, import_batch_size="50")
    return api


@pytest.fixture(scope="package")
def client_for(intake: ServiceProcess, token) -> Callable[..., httpx.Client]:
    """``client_for("wenze-kunshan", "ks-intake")``: an HTTP client holding that user's token."""
    clients: list[httpx.Client] = []

    def make(realm: str, username: str) -> httpx.Client:
        client = httpx.Client(
            base_url=intake.url,
            timeout=30,
            # The clients live as long as the test run, which can outlast a token's usual lifespan.
            headers={"Authorization": f"Bearer {token(realm, username, expires_in=TEST_RUN_TOKEN_SECONDS)}"},
        )
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.close()


@pytest.fixture(scope="package")
def client_as(intake: ServiceProcess, token) -> Callable[..., httpx.Client]:
    """``client_as("wenze-kunshan", "ks-supervision-1", roles=[...], claims={...})``: a demo user
    whose token carries exactly ``roles`` (Keycloak's defaults aside) and ``claims`` overrides."""
    clients: list[httpx.Client] = []

    def make(realm: str, username: str, *, roles: list[str] | None = None, claims: dict | None = None) -> httpx.Client:
        bearer = token(realm, username, roles=roles, claims=claims, expires_in=TEST_RUN_TOKEN_SECONDS)
        client = httpx.Client(base_url=intake.url, timeout=30, headers={"Authorization": f"Bearer {bearer}"})
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.close()


@pytest.fixture(scope="package")
def integrator_for(intake: ServiceProcess, issuer_url: str) -> Callable[[str], httpx.Client]:
    """An integrator's system: the realm's ``wenze-integrator`` client signed in with client
    credentials, as python-keycloak does it against Keycloak."""
    clients: list[httpx.Client] = []

    def make(realm: str) -> httpx.Client:
        oidc = KeycloakOpenID(
            server_url=issuer_url,
            realm_name=realm,
            client_id="wenze-integrator",
            client_secret_key=DEFAULT_INTEGRATOR_SECRET,
        )
        bearer = oidc.token(grant_type="client_credentials")["access_token"]
        client = httpx.Client(base_url=intake.url, timeout=30, headers={"Authorization": f"Bearer {bearer}"})
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.close()


async def _publish(nats_url: str, events: tuple[Event, ...]) -> None:
    nc = await nats.connect(nats_url)
    try:
        js = nc.jetstream()
        for event in events:
            await ensure_stream(js, stream_for(event.service))
            await js.publish(
                event.subject, event.model_dump_json().encode(), headers={"Nats-Msg-Id": str(event.event_id)}
            )
    finally:
        await nc.close()


@pytest.fixture(scope="package")
def publish(nats_server: NatsServer) -> Callable[..., None]:
    """``publish(event, ...)``: put events on JetStream as their producing service's relay does."""

    def send(*events: Event) -> None:
        asyncio.run(_publish(nats_server.url, events))

    return send


def _wait_for(check: Callable[[], object], what: str, timeout: float = 60) -> object:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = check()
        if found:
            return found
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


@pytest.fixture(scope="package")
def wait_for() -> Callable[..., object]:
    """``wait_for(check, what)``: poll until ``check()`` is truthy (the worker applies events
    asynchronously); the timeout bounds a hang, it asserts nothing about speed."""
    return _wait_for


@pytest.fixture(scope="package")
def ks_intake(client_for) -> httpx.Client:
    return client_for("wenze-kunshan", "ks-intake")


SOURCE = "city_government"


def person(name: str = "张明", **extra) -> dict:
    return {
        "kind": "person",
        "name": name,
        "post": "副局长",
        "unit": "市住房和城乡建设局",
        "cadre_level": "city_managed",
        "sector": "city_department",
        "party_member": True,
        **extra,
    }


def matter(**extra) -> dict:
    body = {
        "source": SOURCE,
        "source_reference": f"昆政办函〔2026〕{uuid.uuid4().hex[:12]}号",
        "summary": "城市更新项目推进不力",
        "facts": "2026年3月，某项目因审批拖延停滞两个月，造成不良影响。",
        "targets": [person()],
        "proposed_form": "form_2",
    }
    body.update(extra)
    return body


@pytest.fixture(scope="package")
def make_matter():
    """A valid Kunshan matter body; keyword arguments replace fields."""
    return matter


@pytest.fixture(scope="package")
def make_person():
    return person


def _wait_done(client: httpx.Client, job_id: str, timeout: float = 120) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        job = client.get(f"/v1/matter-imports/{job_id}").json()
        if job["state"] in ("completed", "failed"):
            return job
        time.sleep(0.2)
    raise AssertionError(f"import {job_id} did not finish: {job}")


@pytest.fixture(scope="package")
def wait_done() -> Callable[..., dict]:
    """``wait_done(client, job_id)``: the import job once it has completed or failed."""
    return _wait_done
