"""The platform as an integrator sees it: intake, routing, review and sanction-execution running as processes with
their workers, over real HTTP, NATS JetStream and PostgreSQL, with tokens obtained from the
test identity provider by python-keycloak's password grant."""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import nats
import pytest
from keycloak import KeycloakOpenID

from wenze.messaging.streams import ensure_stream, stream_for
from wenze_devtools.testing.infra import ServiceProcess, migrate

SERVICES = ("intake", "routing", "review", "sanction-execution")
WAIT_SECONDS = 120.0


@pytest.fixture(scope="package")
def stack(service_factory, database_url: str) -> dict[str, ServiceProcess]:
    """Each service migrated first (as a deployment's migrate job does), then its worker and api,
    the services side by side as a deployment's pods start."""
    migrate(database_url, *SERVICES)
    for service in SERVICES:
        service_factory(service, "worker", wait=False)
    apis = {service: service_factory(service, wait=False) for service in SERVICES}
    for api in apis.values():
        api.wait_ready()
    return apis


def wait_for(fetch: Callable[[], Any], what: str, timeout: float = WAIT_SECONDS) -> Any:
    """Poll until ``fetch`` returns something truthy: workers apply events asynchronously.

    The timeout bounds a hang on a loaded machine; it asserts nothing about speed."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = fetch()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


@dataclass
class User:
    """One demo user's HTTP clients for the three services."""

    username: str
    clients: dict[str, httpx.Client]

    def get(self, service: str, path: str, **params: Any) -> Any:
        response = self.clients[service].get(path, params=params or None)
        assert response.status_code == 200, f"{self.username} GET {path}: {response.status_code} {response.text}"
        return response.json()

    def post(self, service: str, path: str, body: dict[str, Any] | None = None) -> httpx.Response:
        return self.clients[service].post(path, json=body or {})

    def ok(self, service: str, path: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
        response = self.post(service, path, body)
        assert response.status_code in (200, 201), (
            f"{self.username} POST {path}: {response.status_code} {response.text}"
        )
        return response.json()

    def task_of_matter(self, kind: str, matter_id: str) -> dict[str, Any]:
        """The open task of this user's office of ``kind`` on ``matter_id``."""

        def find() -> dict[str, Any] | None:
            tasks = self.get("review", "/v1/tasks", state="open")
            return next((t for t in tasks if t["kind"] == kind and t["matter_id"] == matter_id), None)

        return wait_for(find, f"{self.username}'s {kind} task on matter {matter_id}")

    def task(self, kind: str, subject_id: str) -> dict[str, Any]:
        """The open task of this user's office for ``subject_id`` (a consultation, case, ...)."""

        def find() -> dict[str, Any] | None:
            tasks = self.get("review", "/v1/tasks", state="open")
            return next((t for t in tasks if t["kind"] == kind and t["subject_id"] == subject_id), None)

        return wait_for(find, f"{self.username}'s {kind} task for {subject_id}")


@dataclass
class Tenant:
    """One tenant on the running platform: its users, and the steps every scenario repeats."""

    realm: str
    issuer_url: str
    stack: dict[str, ServiceProcess]
    mint: Callable[..., str]
    _users: dict[str, User] = field(default_factory=dict)

    @property
    def name(self) -> str:
        return self.realm.removeprefix("wenze-")

    def user(self, username: str) -> User:
        """A demo user, signed in with the password grant as a client application would."""
        if username not in self._users:
            oidc = KeycloakOpenID(
                server_url=self.issuer_url,
                realm_name=self.realm,
                client_id="wenze-api",
                client_secret_key="wenze-dev-secret",
            )
            self._users[username] = self._clients(username, oidc.token(username, "wenze")["access_token"])
        return self._users[username]

    def user_with_roles(self, username: str, roles: list[str]) -> User:
        """A demo user whose token carries other roles: to show the office check stands on its own."""
        return self._clients(username, self.mint(self.realm, username, roles=roles))

    def user_with_claims(self, username: str, claims: dict[str, Any]) -> User:
        """A demo user whose token carries other claims (its authority, its linked units)."""
        return self._clients(username, self.mint(self.realm, username, claims=claims))

    def _clients(self, username: str, token: str) -> User:
        headers = {"Authorization": f"Bearer {token}"}
        return User(
            username,
            {
                service: httpx.Client(base_url=process.url, timeout=60, headers=headers)
                for service, process in self.stack.items()
            },
        )

    def close(self) -> None:
        for user in self._users.values():
            for client in user.clients.values():
                client.close()

    def submit_and_accept(
        self,
        submitter: str,
        acceptor: str,
        *,
        source: str,
        targets: list[dict[str, Any]],
        proposed_form: str | None = None,
        key_supervised: bool = False,
    ) -> dict[str, Any]:
        body = {
            "source": source,
            "source_reference": f"E2E-{uuid.uuid4().hex[:12]}",
            "summary": "落实主体责任不力",
            "facts": "经核查，相关人员履职不到位，造成不良影响。",
            "targets": targets,
            "key_supervised": key_supervised,
        }
        if proposed_form:
            body["proposed_form"] = proposed_form
        matter = self.user(submitter).ok("intake", "/v1/matters", body)
        self.user(acceptor).ok(
            "intake",
            f"/v1/matters/{matter['id']}/acceptance",
            {"outcome": "accepted", "participants": ["室主任", "分管副主任"], "study_date": today()},
        )
        return matter

    def slips(self, matter_id: str, reader: str, count: int = 1) -> list[dict[str, Any]]:
        def find() -> list[dict[str, Any]] | None:
            slips = self.user(reader).get("routing", "/v1/slips", matter_id=matter_id)
            return slips if len(slips) >= count else None

        return wait_for(find, f"{count} slip(s) of {matter_id}")

    def routed_slip(self, matter_id: str, reader: str) -> dict[str, Any]:
        slip = self.slips(matter_id, reader)[0]
        assert slip["state"] == "routed", slip
        return slip

    def executions(self, decision_id: str, reader: str) -> list[dict[str, Any]]:
        """The executions sanction-execution opened for a decision, once it has taken it up."""
        return wait_for(
            lambda: self.user(reader).get("sanction-execution", "/v1/executions", decision_id=decision_id),
            f"the executions of decision {decision_id}",
        )

    def wait_routed(self, slip_id: str, reader: str) -> dict[str, Any]:
        """The slip once its handler is fixed (after a consultation, for example)."""
        return wait_for(
            lambda: (s := self.user(reader).get("routing", f"/v1/slips/{slip_id}"))["state"] == "routed" and s,
            f"slip {slip_id} to be routed",
        )

    def case(self, slip_id: str, reader: str) -> dict[str, Any]:
        def find() -> dict[str, Any] | None:
            cases = self.user(reader).get("review", "/v1/cases", mine="false")
            return next((c for c in cases if c["slip_id"] == slip_id), None)

        return wait_for(find, f"the case of slip {slip_id}")

    def read_case(self, case_id: str, reader: str) -> dict[str, Any]:
        return self.user(reader).get("review", f"/v1/cases/{case_id}")


def today() -> str:
    import datetime as dt

    return dt.date.today().isoformat()


@pytest.fixture
def tenant_for(stack, issuer_url: str, token) -> Iterator[Callable[[str], Tenant]]:
    made: list[Tenant] = []

    def make(realm: str) -> Tenant:
        made.append(Tenant(realm, issuer_url, stack, token))
        return made[-1]

    yield make
    for tenant in made:
        tenant.close()


class EventWatch:
    """Messages of one subject published since the watch began, read from JetStream."""

    def __init__(self, nats_url: str, subject: str):
        self.nats_url = nats_url
        self.subject = subject

    def next(self, predicate: Callable[[dict[str, Any]], bool], timeout: float = WAIT_SECONDS) -> tuple[dict, Any]:
        return asyncio.run(self._next(predicate, timeout))

    async def _next(self, predicate, timeout):
        nc = await nats.connect(self.nats_url)
        try:
            js = nc.jetstream()
            await ensure_stream(js, stream_for(self.subject.split(".")[0]))
            sub = await js.subscribe(self.subject, ordered_consumer=True)
            deadline = asyncio.get_running_loop().time() + timeout
            while asyncio.get_running_loop().time() < deadline:
                try:
                    message = await sub.next_msg(timeout=1)
                except nats.errors.TimeoutError:
                    continue
                body = json.loads(message.data)
                if predicate(body):
                    return body, message.headers
            raise AssertionError(f"no matching {self.subject} within {timeout}s")
        finally:
            await nc.close()


@pytest.fixture
def events(nats_server) -> Callable[[str], EventWatch]:
    return lambda subject: EventWatch(nats_server.url, subject)
