from wenze.service_cli import service_cli
from wenze_sanction_execution.app import MIGRATIONS
from wenze_sanction_execution.config import SanctionExecutionSettings
from wenze_sanction_execution.repositories import make_repositories
from wenze_sanction_execution.worker import consumers, loops

cli = service_cli(
    settings_factory=SanctionExecutionSettings,
    app_factory="wenze_sanction_execution.app:create_app",
    make_repositories=make_repositories,
    migrations_dir=MIGRATIONS,
    consumers=consumers,
    loops=loops,
)


def main() -> None:
    cli()


if __name__ == "__main__":
    main()
