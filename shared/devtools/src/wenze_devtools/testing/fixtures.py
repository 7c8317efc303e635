"""Run the test issuer for real, on a free loopback port, in a background thread."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx
import uvicorn

from wenze.auth.settings import AuthSettings
from wenze.auth.verifier import TokenVerifier
from wenze_devtools.testing.issuer import Issuer, create_issuer_app


class _QuietServer(uvicorn.Server):
    def install_signal_handlers(self) -> None:
        # The test runner owns the process's signals.
        return None


@contextmanager
def running_issuer(issuer: Issuer | None = None, *, host: str = "127.0.0.1") -> Iterator[Issuer]:
    """Serve ``issuer`` (default: the four demo realms) over HTTP until the block exits.

    The socket is bound before the server starts, so the port is known and cannot be taken
    by someone else in between. ``issuer.base_url`` is set to the served URL.
    """
    issuer = issuer or Issuer.build()
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, 0))
    port = sock.getsockname()[1]
    issuer.base_url = f"http://{host}:{port}"
    config = uvicorn.Config(create_issuer_app(issuer=issuer), log_level="warning", lifespan="off")
    server = _QuietServer(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, name="wenze-test-issuer", daemon=True)
    thread.start()
    try:
        _wait_ready(issuer.base_url, thread)
        yield issuer
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()


def _wait_ready(base_url: str, thread: threading.Thread, timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not thread.is_alive():
            raise RuntimeError("the test issuer exited during start-up")
        try:
            if httpx.get(f"{base_url}/health/ready", timeout=1.0).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.05)
    raise TimeoutError(f"the test issuer did not answer on {base_url} within {timeout}s")


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
