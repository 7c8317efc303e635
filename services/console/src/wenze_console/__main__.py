"""``python -m wenze_console api``: the console's web server."""

from __future__ import annotations

import typer
import uvicorn

from wenze.logging import configure_logging
from wenze_console.config import ConsoleSettings

cli = typer.Typer(no_args_is_help=True, add_completion=False)


@cli.callback()
def _main() -> None:
    """The Wenze staff console."""


@cli.command()
def api(host: str = "127.0.0.1", port: int = 8000) -> None:
    """Serve the console's pages."""
    settings = ConsoleSettings()
    configure_logging("console", level=settings.log_level)
    uvicorn.run(
        "wenze_console.app:create_app",
        factory=True,
        host=host,
        port=port,
        log_config=None,
        access_log=False,
        server_header=False,
    )


def main() -> None:
    cli()


if __name__ == "__main__":
    main()
