"""``wenze keycloak``: the realm definitions, written as import files or applied to a Keycloak."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from wenze.cli.auth import DEFAULT_ISSUER_URL
from wenze.cli.output import (
    EXIT_AUTH,
    EXIT_PROBLEM,
    EXIT_UNREACHABLE,
    EXIT_USAGE,
    JsonOption,
    console,
    fail,
    print_json,
)
from wenze.keycloak import apply as kc
from wenze.keycloak.realms import REALM_PREFIX, write_realms

keycloak_app = typer.Typer(help="Keycloak realms of the tenants and the platform.", no_args_is_help=True)

_ACTION_STYLE = {"create": "green", "update": "yellow", "unchanged": "dim", "not managed": "cyan"}


@keycloak_app.command("realms")
def realms(
    out: Annotated[Path, typer.Option(help="folder for the realm-import JSON files")] = Path("deploy/keycloak"),
    as_json: JsonOption = False,
) -> None:
    """Write one realm-import JSON file per tenant (and the platform) from the rule packs."""
    written = write_realms(out)
    if as_json:
        print_json({"written": [str(path) for path in written]})
        return
    for path in written:
        console().print(f"wrote {path}")


@keycloak_app.command("apply")
def apply(
    realm: Annotated[
        list[str] | None,
        typer.Option("--realm", help="realm (wenze-kunshan) or tenant (kunshan) to apply; repeatable; default all"),
    ] = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="show the differences and change nothing")] = False,
    server_url: Annotated[
        str, typer.Option(envvar="WENZE_KEYCLOAK_URL", help="Keycloak's base URL [env WENZE_KEYCLOAK_URL]")
    ] = DEFAULT_ISSUER_URL,
    admin_realm: Annotated[
        str, typer.Option(envvar="WENZE_KEYCLOAK_ADMIN_REALM", help="realm the administrator logs in to")
    ] = "master",
    username: Annotated[
        str | None, typer.Option(envvar="WENZE_KEYCLOAK_ADMIN_USERNAME", help="administrator's user name")
    ] = None,
    password: Annotated[
        str | None,
        typer.Option(
            envvar="WENZE_KEYCLOAK_ADMIN_PASSWORD",
            help="administrator's password; prefer the environment variable WENZE_KEYCLOAK_ADMIN_PASSWORD",
            show_default=False,
        ),
    ] = None,
    client_id: Annotated[
        str, typer.Option(envvar="WENZE_KEYCLOAK_ADMIN_CLIENT_ID", help="client the administrator logs in through")
    ] = "admin-cli",
    client_secret: Annotated[
        str | None,
        typer.Option(
            envvar="WENZE_KEYCLOAK_ADMIN_CLIENT_SECRET",
            help="log in as that client's service account instead of a user (env WENZE_KEYCLOAK_ADMIN_CLIENT_SECRET)",
            show_default=False,
        ),
    ] = None,
    show_unchanged: Annotated[bool, typer.Option("--show-unchanged", help="list what is already as defined")] = False,
    as_json: JsonOption = False,
) -> None:
    """Create or update the realms in a running Keycloak so they hold what the rule packs define.

    Realm settings, realm roles, groups with their attributes and roles, clients with their
    protocol mappers and secrets, the integrator's service-account roles and the user profile.
    Nothing Wenze does not define is changed or removed; it is listed as "not managed".
    Running it again when nothing changed reports "no changes".
    """
    try:
        desired = kc.desired_realms(_realm_names(realm) if realm else None)
    except kc.ApplyError as exc:
        fail(str(exc), EXIT_USAGE, as_json=as_json, kind="usage")
    if not (username and password) and not client_secret:
        fail(
            "give the administrator's --username and --password (WENZE_KEYCLOAK_ADMIN_USERNAME, "
            "WENZE_KEYCLOAK_ADMIN_PASSWORD), or a --client-secret (WENZE_KEYCLOAK_ADMIN_CLIENT_SECRET)",
            EXIT_USAGE,
            as_json=as_json,
            kind="usage",
        )
    login = kc.AdminLogin(
        server_url=server_url.rstrip("/"),
        realm=admin_realm,
        username=username if username and password else None,
        password=password if username and password else None,
        client_id=client_id,
        client_secret=client_secret,
    )
    try:
        resolved = {name: kc.resolve_placeholders(doc, os.environ) for name, doc in desired.items()}
        admin = kc.connect(login)
        planned = kc.plan(admin, login, resolved)
        done = [] if dry_run else kc.execute(admin, login, planned)
    except kc.MissingVariables as exc:
        fail(str(exc), EXIT_USAGE, as_json=as_json, kind="missing-variables")
    except kc.KeycloakUnreachable as exc:
        fail(str(exc), EXIT_UNREACHABLE, as_json=as_json, kind="unreachable")
    except kc.BadCredentials as exc:
        fail(str(exc), EXIT_AUTH, as_json=as_json, kind="auth")
    except kc.ApplyError as exc:
        fail(str(exc), EXIT_PROBLEM, as_json=as_json, kind="refused")
    _report(planned, done, dry_run=dry_run, show_unchanged=show_unchanged, as_json=as_json)


def _realm_names(names: list[str]) -> list[str]:
    # A tenant name is accepted for its realm, as `wenze login --tenant` does.
    known = kc.desired_realms()
    return [n if n in known or f"{REALM_PREFIX}{n}" not in known else f"{REALM_PREFIX}{n}" for n in names]


def _report(planned: kc.Plan, done: list[kc.Change], *, dry_run: bool, show_unchanged: bool, as_json: bool) -> None:
    summary = {action: planned.count(action) for action in ("create", "update", "unchanged", "not managed")}
    if as_json:
        print_json(
            {
                "dry_run": dry_run,
                "changes": [c.as_dict() for c in planned.changes],
                "applied": [c.as_dict() for c in done],
                "summary": summary,
            }
        )
        return
    shown = [c for c in planned.changes if c.action != "unchanged" or show_unchanged]
    out = console()
    if shown:
        table = Table("realm", "kind", "name", "action", "changed fields")
        for column in table.columns:
            # Names are wrapped, never cut: an operator must see which mapper or group it is.
            column.overflow = "fold"
        for change in shown:
            style = _ACTION_STYLE[change.action]
            action = change.action if dry_run or change.action not in kc.PENDING else f"{change.action}d"
            table.add_row(
                change.realm,
                change.kind,
                escape(change.name),
                f"[{style}]{action}[/]",
                escape(", ".join(change.fields)),
            )
        out.print(table)
    realms = len({c.realm for c in planned.changes})
    if not planned.pending:
        out.print(f"no changes: {realms} realm(s) hold what the definitions say ({summary['unchanged']} unchanged)")
    elif dry_run:
        out.print(
            f"dry run: would create {summary['create']} and update {summary['update']} "
            f"({summary['unchanged']} unchanged); nothing was changed"
        )
    else:
        out.print(
            f"applied: created {summary['create']}, updated {summary['update']} ({summary['unchanged']} unchanged)"
        )
    if summary["not managed"]:
        out.print(f"{summary['not managed']} role(s), group(s) or client(s) not defined by Wenze were left as they are")
