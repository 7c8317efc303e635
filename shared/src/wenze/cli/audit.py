"""``wenze audit``: check a service's audit log for entries changed or removed."""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
from typing import Annotated

import typer
from rich.table import Table
from sqlalchemy import exc as sa_exc
from sqlalchemy.engine import make_url

from wenze.cli.output import EXIT_PROBLEM, EXIT_UNREACHABLE, JsonOption, console, fail, print_json
from wenze.db import create_engine
from wenze.db.audit import DEFAULT_UNCHAINED_GRACE, ChainReport, verify_chains
from wenze.db.tenancy import apply_setting, system_scope

audit_app = typer.Typer(help="The audit log of a service's database.", no_args_is_help=True)


@audit_app.command()
def verify(
    database_url: Annotated[str, typer.Option(help="the service's database, e.g. postgresql://…/wenze")],
    schema: Annotated[str, typer.Option(help="the service's schema (intake, routing, review, …)")],
    tenant: Annotated[str | None, typer.Option(help="only this tenant's chain")] = None,
    unchained_grace_seconds: Annotated[
        float,
        typer.Option(
            min=0,
            envvar="WENZE_AUDIT_UNCHAINED_GRACE_SECONDS",
            help="an entry not chained after this long fails verification (the workers chain within seconds)",
        ),
    ] = DEFAULT_UNCHAINED_GRACE.total_seconds(),
    as_json: JsonOption = False,
) -> None:
    """Walk each tenant's hash chain and count the entries not chained yet; exit 1 on a broken
    link or an entry left unchained past the grace period. Chains nothing."""
    where = make_url(database_url).render_as_string(hide_password=True)
    grace = dt.timedelta(seconds=unchained_grace_seconds)
    try:
        reports = asyncio.run(_verify(database_url, schema, tenant, grace))
    except (OSError, sa_exc.DBAPIError) as error:
        if isinstance(error, sa_exc.DBAPIError) and (
            "audit_log" in str(error.orig) or "audit_chain" in str(error.orig)
        ):
            fail(
                f"schema {schema} of {where} has no audit log: is this a Wenze service's database, migrated?",
                EXIT_PROBLEM,
                as_json=as_json,
            )
        fail(f"cannot read {where}: {type(error).__name__}", EXIT_UNREACHABLE, as_json=as_json, kind="unreachable")
    if as_json:
        print_json([{**dataclasses.asdict(report), "sound": report.sound} for report in reports])
        if not all(report.sound for report in reports):
            raise typer.Exit(1)
        return
    table = Table("tenant", "entries checked", "result")
    for report in reports:
        if report.intact:
            result = f"[green]intact: {report.entries} entries[/]"
        else:
            result = f"[red]broken at sequence number {report.broken_at}[/]: {report.problem}"
        if report.unchained:
            assert report.oldest_unchained is not None
            colour = "red" if report.overdue else "yellow"
            oldest = report.oldest_unchained.astimezone(dt.UTC).isoformat(timespec="seconds")
            result += f"\n[{colour}]unchained: {report.unchained} entries (oldest at {oldest})[/]"
            if report.overdue:
                result += f" [red]older than {grace.total_seconds():g} s: is a worker running?[/]"
        table.add_row(report.tenant, str(report.entries), result)
    if not reports:
        console().print("intact: 0 entries")
        return
    console().print(table)
    if not all(report.sound for report in reports):
        raise typer.Exit(1)


async def _verify(database_url: str, schema: str, tenant: str | None, grace: dt.timedelta) -> list[ChainReport]:
    engine = create_engine(database_url, schema=schema, pool_size=1)
    try:
        async with engine.connect() as connection:
            # Every tenant's chain: row-level security would show an application role none.
            with system_scope("audit verify") as scope:
                await connection.run_sync(apply_setting, scope)
            return await verify_chains(connection, tenant, grace=grace)
    finally:
        await engine.dispose()
