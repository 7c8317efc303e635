"""The command every service ships: ``wenze-<svc> api | worker | migrate``."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine, Sequence
from pathlib import Path
from typing import Annotated, Any, TypeVar

import nats.js.errors
import typer
import uvicorn
from sqlalchemy.ext.asyncio import AsyncSession

from wenze.config import ServiceSettings
from wenze.db.migrations import upgrade
from wenze.gc_tuning import tune_for_service
from wenze.messaging.consumer import ConsumerSpec
from wenze.runtime import Runtime, ensure_streams_and_consumers, run_worker

R = TypeVar("R")


def service_cli(
    *,
    settings_factory: Callable[[], ServiceSettings],
    app_factory: str,
    make_repositories: Callable[[AsyncSession], R],
    migrations_dir: Path,
    consumers: Callable[[Runtime[R]], Sequence[ConsumerSpec[Any]]] = lambda _runtime: (),
    loops: Callable[[Runtime[R]], Sequence[Coroutine[Any, Any, None]]] = lambda _runtime: (),
) -> typer.Typer:
    cli = typer.Typer(add_completion=False, no_args_is_help=True)

    @cli.command()
    def api(host: str = "127.0.0.1", port: int = 8000) -> None:
        """Serve the HTTP API."""
        tune_for_service()
        # No "server: uvicorn" header: it tells a probe what software answers, and a client nothing.
        uvicorn.run(
            app_factory,
            factory=True,
            host=host,
            port=port,
            log_config=None,
            access_log=False,
            server_header=False,
        )

    @cli.command()
    def worker(
        health_host: str = "127.0.0.1",
        health_port: Annotated[
            int | None, typer.Option(help="serve /healthz and /readyz on this port (none by default)")
        ] = None,
    ) -> None:
        """Run the outbox relay, the service's event consumers and its background loops."""
        tune_for_service()
        asyncio.run(
            run_worker(
                settings_factory(),
                make_repositories=make_repositories,
                migrations_dir=migrations_dir,
                consumers=consumers,
                loops=loops,
                health=(health_host, health_port) if health_port is not None else None,
            )
        )

    @cli.command()
    def streams() -> None:
        """Create or update this service's JetStream stream and create the durable consumers its
        worker reads (with their streams), then exit. Existing consumers are left as they are."""
        settings = settings_factory()
        try:
            done = asyncio.run(
                ensure_streams_and_consumers(settings, make_repositories=make_repositories, consumers=consumers)
            )
        except nats.js.errors.APIError as exc:
            # A cluster too small for the replicas asked for, say: JetStream's own words.
            typer.echo(f"{settings.service_name}: JetStream refused the configuration: {exc.description}", err=True)
            raise typer.Exit(1) from None
        for line in done:
            typer.echo(line)

    @cli.command()
    def migrate() -> None:
        """Create or upgrade this service's schema (as the migration URL's role), grant the
        service's application role its privileges, then exit."""
        settings = settings_factory()
        asyncio.run(
            upgrade(migrations_dir, settings.migration_database_url, settings.db_schema, app_role=settings.app_role)
        )
        typer.echo(f"{settings.service_name}: schema up to date")

    return cli
