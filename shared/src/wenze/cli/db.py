"""``wenze db``: the database roles the services run as (ADR 0018)."""

from __future__ import annotations

import asyncio
import dataclasses
import os
from typing import Annotated

import typer
from rich.table import Table
from sqlalchemy import exc as sa_exc
from sqlalchemy.engine import make_url

from wenze.cli.output import EXIT_PROBLEM, EXIT_UNREACHABLE, EXIT_USAGE, JsonOption, console, fail, print_json
from wenze.db import create_engine
from wenze.db.roles import RoleNameRefused, RoleState, checked_role, ensure_login_role
from wenze.messaging.streams import SERVICES

db_app = typer.Typer(help="The database roles the services run as.", no_args_is_help=True)


def _service_urls() -> list[str]:
    names = [f"WENZE_{service.replace('-', '_').upper()}_DATABASE_URL" for service in SERVICES] + ["DATABASE_URL"]
    return [os.environ[name] for name in names if os.environ.get(name)]


@db_app.command()
def roles(
    service_urls: Annotated[
        list[str] | None,
        typer.Argument(
            help="the services' database URLs (postgresql://wenze_intake:secret@db/wenze …); "
            "by default WENZE_<SVC>_DATABASE_URL and DATABASE_URL from the environment",
            show_default=False,
        ),
    ] = None,
    admin_url: Annotated[
        str,
        typer.Option(
            envvar="WENZE_DB_ADMIN_URL",
            help="a role that may create roles (CREATEROLE), e.g. the schemas' owner [env WENZE_DB_ADMIN_URL]",
        ),
    ] = "",
    as_json: JsonOption = False,
) -> None:
    """Create the application role each service URL names (login; no superuser, no BYPASSRLS),
    with the URL's password; an existing role loses superuser and BYPASSRLS. Idempotent.

    The services' migrations grant each role its privileges in its service's schema."""
    urls = service_urls or _service_urls()
    if not admin_url:
        fail("give --admin-url or WENZE_DB_ADMIN_URL: a role that may create roles", EXIT_USAGE, as_json=as_json)
    if not urls:
        fail(
            "no service database URL given, and none in WENZE_<SVC>_DATABASE_URL or DATABASE_URL",
            EXIT_USAGE,
            as_json=as_json,
        )
    admin = make_url(admin_url)
    wanted: dict[str, str | None] = {}
    for url in urls:
        parsed = make_url(url)
        if parsed.get_backend_name() != "postgresql" or not parsed.username:
            fail(f"{parsed.render_as_string(hide_password=True)} names no PostgreSQL role", EXIT_USAGE, as_json=as_json)
        if parsed.username == admin.username:
            fail(
                f"{parsed.username} is the admin role: a service must run as a role of its own, "
                "which cannot bypass row-level security",
                EXIT_USAGE,
                as_json=as_json,
            )
        try:
            wanted[checked_role(parsed.username)] = parsed.password
        except RoleNameRefused as refused:
            fail(str(refused), EXIT_USAGE, as_json=as_json)
    where = admin.render_as_string(hide_password=True)
    try:
        states = asyncio.run(_ensure(admin_url, wanted))
    except sa_exc.ProgrammingError as error:
        fail(f"{where} may not create roles: {type(error.orig).__name__}", EXIT_PROBLEM, as_json=as_json)
    except (OSError, sa_exc.DBAPIError) as error:
        fail(f"cannot reach {where}: {type(error).__name__}", EXIT_UNREACHABLE, as_json=as_json, kind="unreachable")
    if as_json:
        print_json([dataclasses.asdict(state) for state in states])
        return
    table = Table("role", "", "login", "superuser", "bypasses RLS")
    for state in states:
        table.add_row(
            state.name,
            "created" if state.created else "existed",
            _yes(state.can_login),
            _yes(state.superuser),
            _yes(state.bypasses_rls),
        )
    console().print(table)


def _yes(value: bool) -> str:
    return "yes" if value else "no"


async def _ensure(admin_url: str, wanted: dict[str, str | None]) -> list[RoleState]:
    engine = create_engine(admin_url, schema="public", pool_size=1)
    try:
        async with engine.connect() as connection:
            return [await ensure_login_role(connection, role, password=password) for role, password in wanted.items()]
    finally:
        await engine.dispose()
