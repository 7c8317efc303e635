"""Serve an app for real (the test issuer, or an app a test builds), on a free loopback port,
in a background thread."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx
import uvicorn
from starlette.types import ASGIApp

from wenze.auth.settings import AuthSettings
from wenze.auth.verifier import TokenVerifier
from wenze_devtools.testing.issuer import Issuer, create_issuer_app


class _QuietServer(uvicorn.Server):
    def install_signal_handlers(self) -> None:
        # The test runner owns the process's signals.
        return None


@contextmanager
def serving(app: ASGIApp, *, host: str = "127.0.0.1", **options: Any) -> Iterator[str]:
    """Serve ``app`` over HTTP until the block exits; yields its base URL.

    The socket is bound before the server starts, so the port is known and cannot be taken
    by someone else in between. ``options`` are :class:`uvicorn.Config` settings.
    """
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, 0))
    port = sock.getsockname()[1]
    server = _QuietServer(uvicorn.Config(app, **{"log_level": "warning", **options}))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, name="wenze-test-server", daemon=True)
    thread.start()
    try:
        _wait_started(server, thread)
        yield f"http://{host}:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()


@contextmanager
def running_issuer(issuer: Issuer | None = None, *, host: str = "127.0.0.1") -> Iterator[Issuer]:
    """Serve ``issuer`` (default: the four demo realms) over HTTP until the block exits.

    ``issuer.base_url`` is set to the served URL.
    """
    issuer = issuer or Issuer.build()
    with serving(create_issuer_app(issuer=issuer), host=host, lifespan="off") as base_url:
        issuer.base_url = base_url
        yield issuer


def _wait_started(server: uvicorn.Server, thread: threading.Thread, timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.started:
            return
        if not thread.is_alive():
            raise RuntimeError("the test server exited during start-up")
        time.sleep(0.05)
    raise TimeoutError(f"the test server did not start within {timeout}s")


def in_process_verifier(issuer: Issuer, **settings: Any) -> TokenVerifier:
    """A :class:`TokenVerifier` that fetches keys from ``issuer`` in-process, without sockets.

    For unit tests; ``issuer.base_url`` defaults to ``http://issuer.test`` when unset.
    ``settings`` override :class:`AuthSettings` fields.
    """
    if issuer.base_url is None:
        issuer.base_url = "http://issuer.test"
    transport = httpx.ASGITransport(app=create_issuer_app(issuer=issuer))
    client = httpx.AsyncClient(transport=transport)
    return TokenVerifier(
        AuthSettings(oidc_base_url=issuer.base_url, **settings),
        http_client=client,
        close_client=True,
    )
