from wenze.service_cli import service_cli
from wenze_review.app import MIGRATIONS
from wenze_review.config import ReviewSettings
from wenze_review.repositories import make_repositories
from wenze_review.worker import consumers

cli = service_cli(
    settings_factory=ReviewSettings,
    app_factory="wenze_review.app:create_app",
    make_repositories=make_repositories,
    migrations_dir=MIGRATIONS,
    consumers=consumers,
)


def main() -> None:
    cli()


if __name__ == "__main__":
    main()
