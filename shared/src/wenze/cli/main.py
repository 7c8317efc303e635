"""The ``wenze`` console script; each area registers its sub-command group here."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import typer

from wenze.cli import auth, matters, work
from wenze.cli.audit import audit_app
from wenze.cli.db import db_app
from wenze.cli.dead_letters import dead_letters_app
from wenze.cli.deliveries import deliveries_app
from wenze.cli.keycloak import keycloak_app
from wenze.cli.output import JsonOption, console, print_json, reporting_errors
from wenze.cli.rules import rules_app

app = typer.Typer(help="Wenze (问责) platform command line.", no_args_is_help=True)
app.add_typer(rules_app, name="rules")
app.add_typer(keycloak_app, name="keycloak")
app.add_typer(audit_app, name="audit")
app.add_typer(db_app, name="db")
app.add_typer(deliveries_app, name="deliveries")
app.add_typer(dead_letters_app, name="dead-letters")

app.command("submit")(matters.submit)
app.command("import")(matters.import_matters)
app.command("list")(matters.list_matters)
app.command("show")(matters.show)
app.command("accept")(matters.accept)
app.command("accept-import")(matters.accept_import)
app.command("tasks")(work.tasks)
app.command("claim")(work.claim)
app.command("reassign")(work.reassign)
app.command("sign")(work.sign)
app.command("approve")(work.approve)
app.command("findings")(work.findings)
app.command("recommend")(work.recommend)
app.command("hear")(work.hear)
app.command("decide")(work.decide)


@app.command()
def login(
    tenant: Annotated[str, typer.Option(help="tenant (kunshan, jintan, zhenxiong, hubei) or realm name")],
    username: Annotated[str, typer.Option(prompt=True, help="your user name in the tenant's realm")],
    password: Annotated[
        str,
        typer.Option(
            prompt=True, hide_input=True, envvar="WENZE_PASSWORD", help="[env WENZE_PASSWORD]; asked for when omitted"
        ),
    ],
    issuer_url: Annotated[
        str, typer.Option(envvar="WENZE_OIDC_BASE_URL", help="Keycloak (or the test issuer) base URL")
    ] = auth.DEFAULT_ISSUER_URL,
    client_id: Annotated[str, typer.Option(help="OIDC client")] = auth.DEFAULT_CLIENT_ID,
    client_secret: Annotated[
        str | None, typer.Option(envvar="WENZE_CLIENT_SECRET", help="for a confidential client")
    ] = None,
    url: Annotated[
        str | None,
        typer.Option("--url", envvar="WENZE_INTAKE_URL", help="intake's base URL, remembered for later commands"),
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Get a token from the tenant's realm and keep it (mode 0600) for the other commands."""
    with reporting_errors(as_json):
        session = auth.login(
            issuer_url=issuer_url,
            tenant=tenant,
            username=username,
            password=password,
            client_id=client_id,
            client_secret=client_secret,
            intake_url=url,
        )
        path = auth.save_session(session)
    expires = datetime.fromtimestamp(session.expires_at).astimezone().isoformat(timespec="seconds")
    if as_json:
        print_json(
            {
                "tenant": session.tenant,
                "realm": session.realm,
                "username": session.username,
                "expires_at": expires,
                "session_file": str(path),
            }
        )
        return
    console().print(
        f"[green]Logged in[/] as [bold]{session.username}[/] in {session.realm}; "
        f"token kept in {path} (refreshed automatically)"
    )


if __name__ == "__main__":
    app()
