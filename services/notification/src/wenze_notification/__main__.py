from wenze.service_cli import service_cli
from wenze_notification.app import MIGRATIONS
from wenze_notification.config import NotificationSettings
from wenze_notification.repositories import make_repositories
from wenze_notification.worker import consumers, loops

cli = service_cli(
    settings_factory=NotificationSettings,
    app_factory="wenze_notification.app:create_app",
    make_repositories=make_repositories,
    migrations_dir=MIGRATIONS,
    consumers=consumers,
    loops=loops,
)


def main() -> None:
    cli()


if __name__ == "__main__":
    main()
