from wenze.service_cli import service_cli
from wenze_intake.app import MIGRATIONS
from wenze_intake.config import IntakeSettings
from wenze_intake.repositories import make_repositories
from wenze_intake.worker import consumers, loops

cli = service_cli(
    settings_factory=IntakeSettings,
    app_factory="wenze_intake.app:create_app",
    make_repositories=make_repositories,
    migrations_dir=MIGRATIONS,
    consumers=consumers,
    loops=loops,
)


def main() -> None:
    cli()


if __name__ == "__main__":
    main()
