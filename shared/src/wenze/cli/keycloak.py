"""``wenze keycloak``: the realm definitions operators import into Keycloak."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from wenze.cli.output import console
from wenze.keycloak.realms import write_realms

keycloak_app = typer.Typer(help="Keycloak realms of the tenants and the platform.", no_args_is_help=True)


@keycloak_app.command("realms")
def realms(
    out: Annotated[Path, typer.Option(help="folder for the realm-import JSON files")] = Path("deploy/keycloak"),
) -> None:
    """Write one realm-import JSON file per tenant (and the platform) from the rule packs."""
    for path in write_realms(out):
        console().print(f"wrote {path}")
