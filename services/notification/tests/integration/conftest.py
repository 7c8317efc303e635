"""The notification service on the session's PostgreSQL and NATS, with a real local SMTP server
(aiosmtpd) and a webhook receiver over real HTTP that can be taken down and brought back."""

from __future__ import annotations

import email
import email.policy
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import httpx
import pytest
from aiosmtpd.controller import Controller
from fastapi import FastAPI, Request, Response
from typer.testing import CliRunner

from wenze_devtools.testing.fixtures import serving
from wenze_devtools.testing.infra import NatsServer, ServiceProcess, free_port, fresh_database, start_nats
from wenze_notification.__main__ import cli

# Where the tests leave what they rendered, for a reader of the test output.
TEST_OUTPUT = Path(__file__).resolve().parents[4] / "test-output" / "notification"


@dataclass
class Mailbox:
    """What the SMTP server accepted: each message as received, parsed."""

    messages: list[EmailMessage] = field(default_factory=list)
    raw: list[bytes] = field(default_factory=list)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.raw.append(envelope.original_content or envelope.content)
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        assert isinstance(message, EmailMessage)
        self.messages.append(message)
        return "250 OK"

    def to(self, address: str) -> list[EmailMessage]:
        return [m for m in self.messages if address in str(m["To"])]


@pytest.fixture(scope="package")
def smtp_server() -> Iterator[tuple[Controller, Mailbox]]:
    mailbox = Mailbox()
    controller = Controller(mailbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    yield controller, mailbox
    controller.stop()


@dataclass
class Receiver:
    """Integrators' webhook endpoints (``/hook/<name>``): one answers 503 while its name is in
    ``down``; each records what it accepted and counts what it refused."""

    down: set[str] = field(default_factory=set)
    accepted: list[dict[str, Any]] = field(default_factory=list)
    refused: dict[str, int] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def keys(self, name: str) -> list[str]:
        with self.lock:
            return [r["headers"]["idempotency-key"] for r in self.accepted if r["name"] == name]

    def app(self) -> FastAPI:
        app = FastAPI()

        @app.post("/hook/{name}")
        async def hook(name: str, request: Request) -> Response:
            body = await request.body()
            if name in self.down:
                with self.lock:
                    self.refused[name] = self.refused.get(name, 0) + 1
                return Response(status_code=503)
            with self.lock:
                self.accepted.append({"name": name, "headers": dict(request.headers), "body": body})
            return Response(status_code=204)

        return app


@pytest.fixture(scope="package")
def receiver() -> Iterator[tuple[Receiver, str]]:
    hooks = Receiver()
    with serving(hooks.app()) as url:
        yield hooks, url


@pytest.fixture(scope="package")
def notification_nats(tmp_path_factory: pytest.TempPathFactory) -> Iterator[NatsServer]:
    """A NATS of notification's own: on the session's, the worker would first wade through every
    event the other services' tests published before it sees the few these tests publish."""
    server = start_nats(tmp_path_factory.mktemp("notification-nats"))
    yield server
    server.stop()


@pytest.fixture(scope="package")
def notification_database() -> Iterator[str]:
    """A database of notification's own: a worker of another test's notification (the end-to-end
    one, with another SMTP server) would otherwise claim these tests' deliveries, and they its."""
    with fresh_database() as url:
        yield url


@pytest.fixture(scope="package")
def notification(
    service_factory, notification_database: str, smtp_server, notification_nats: NatsServer
) -> dict[str, Any]:
    """Notification's api and worker on a database and a NATS of their own, migrated first,
    sending mail to the local SMTP server and retrying quickly."""
    migrated = CliRunner().invoke(cli, ["migrate"], env={"WENZE_NOTIFICATION_DATABASE_URL": notification_database})
    assert migrated.exit_code == 0, migrated.output
    controller, _ = smtp_server
    settings = {
        "smtp_host": "127.0.0.1",
        "smtp_port": str(controller.port),
        "mail_from": "jiwei@kunshan.example",
        "delivery_backoff_base_seconds": "0.3",
        "delivery_backoff_cap_seconds": "1",
        "delivery_max_attempts": "5",
        "delivery_lease_seconds": "3",
        "delivery_poll_seconds": "0.2",
    }
    on_its_own = {"database": notification_database, "nats_url": notification_nats.url}
    worker = service_factory("notification", "worker", wait=False, **on_its_own, **settings)
    api = service_factory("notification", **on_its_own, **settings)
    return {"api": api, "worker": worker}


from .support import ClientFor  # noqa: E402


@pytest.fixture(scope="package")
def client_for(token) -> Iterator[ClientFor]:
    """``client_for(api, "wenze-kunshan", "ks-intake", roles=[...])``: a client with that user's token."""
    clients: list[httpx.Client] = []

    def make(api: ServiceProcess, realm: str, username: str | None, **overrides: Any) -> httpx.Client:
        client = httpx.Client(
            base_url=api.url, timeout=30, headers={"Authorization": f"Bearer {token(realm, username, **overrides)}"}
        )
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.close()
