from wenze.service_cli import service_cli
from wenze_reporting.app import MIGRATIONS
from wenze_reporting.config import ReportingSettings
from wenze_reporting.repositories import make_repositories
from wenze_reporting.worker import consumers

cli = service_cli(
    settings_factory=ReportingSettings,
    app_factory="wenze_reporting.app:create_app",
    make_repositories=make_repositories,
    migrations_dir=MIGRATIONS,
    consumers=consumers,
)


def main() -> None:
    cli()


if __name__ == "__main__":
    main()
