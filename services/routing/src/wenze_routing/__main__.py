from wenze.service_cli import service_cli
from wenze_routing.app import MIGRATIONS
from wenze_routing.config import RoutingSettings
from wenze_routing.repositories import make_repositories
from wenze_routing.worker import consumers

cli = service_cli(
    settings_factory=RoutingSettings,
    app_factory="wenze_routing.app:create_app",
    make_repositories=make_repositories,
    migrations_dir=MIGRATIONS,
    consumers=consumers,
)


def main() -> None:
    cli()


if __name__ == "__main__":
    main()
