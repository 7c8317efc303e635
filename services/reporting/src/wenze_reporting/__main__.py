import asyncio

import typer

from wenze.db.migrations import upgrade
from wenze.runtime import Runtime
from wenze.service_cli import service_cli
from wenze_reporting.app import MIGRATIONS
from wenze_reporting.config import ReportingSettings
from wenze_reporting.ledger.rebuild import rebuild, summary
from wenze_reporting.repositories import ReportingRepositories, make_repositories
from wenze_reporting.worker import consumers

cli = service_cli(
    settings_factory=ReportingSettings,
    app_factory="wenze_reporting.app:create_app",
    make_repositories=make_repositories,
    migrations_dir=MIGRATIONS,
    consumers=consumers,
)


@cli.command("rebuild")
def rebuild_command() -> None:
    """Empty the read model and replay every service's stream into it from the start (stop the
    reporting worker first); the case library's marks are kept."""
    settings = ReportingSettings()

    async def run() -> list[str]:
        await upgrade(MIGRATIONS, settings.migration_database_url, settings.db_schema, app_role=settings.app_role)
        runtime: Runtime[ReportingRepositories] = await Runtime.start(
            settings, make_repositories=make_repositories, migrations_dir=None
        )
        try:
            return list(summary(await rebuild(runtime)))
        finally:
            await runtime.close()

    for line in asyncio.run(run()):
        typer.echo(line)


def main() -> None:
    cli()


if __name__ == "__main__":
    main()
