"""``wenze deliveries list | attempts | redrive``: the notification service's deliveries for
operators, above all the dead-letter list (``list --state dead``) and its re-drive."""

from __future__ import annotations

from enum import Enum
from typing import Annotated

import typer
from rich.table import Table

from wenze.cli import auth
from wenze.cli.client import DEFAULT_NOTIFICATION_URL, NotificationClient
from wenze.cli.output import JsonOption, console, print_json, reporting_errors

deliveries_app = typer.Typer(help="Notices on their way by e-mail and webhook: the dead-letter list and its re-drive.")

UrlOption = Annotated[
    str,
    typer.Option(
        "--url",
        envvar="WENZE_NOTIFICATION_URL",
        help="the notification service's base URL [env WENZE_NOTIFICATION_URL]",
    ),
]


class DeliveryState(str, Enum):
    pending = "pending"
    delivered = "delivered"
    dead = "dead"


def _client(url: str) -> NotificationClient:
    return NotificationClient(url, auth.access_token())


@deliveries_app.command("list")
def list_deliveries(
    state: Annotated[DeliveryState | None, typer.Option("--state", help="dead: the dead-letter list")] = None,
    limit: Annotated[int, typer.Option(min=1, max=500)] = 100,
    url: UrlOption = DEFAULT_NOTIFICATION_URL,
    as_json: JsonOption = False,
) -> None:
    """The tenant's deliveries, newest first."""
    with reporting_errors(as_json), _client(url) as client:
        rows = client.deliveries(state.value if state else None, limit)
    if as_json:
        print_json(rows)
        return
    table = Table("id", "notice", "recipient", "channel", "state", "attempts", "last error")
    for row in rows:
        table.add_row(
            row["id"],
            row["notice"],
            row["recipient"],
            row["channel"],
            row["state"],
            str(row["attempts"]),
            (row.get("last_error") or "")[:60],
        )
    console().print(table)


@deliveries_app.command("attempts")
def attempts(delivery_id: str, url: UrlOption = DEFAULT_NOTIFICATION_URL, as_json: JsonOption = False) -> None:
    """Every attempt of one delivery, with what the receiver answered."""
    with reporting_errors(as_json), _client(url) as client:
        log = client.attempts(delivery_id)
    if as_json:
        print_json(log)
        return
    table = Table("#", "at", "ok", "detail", title=f"delivery {log['delivery_id']} ({log['state']})")
    for attempt in log["attempts"]:
        table.add_row(str(attempt["number"]), attempt["at"], "yes" if attempt["succeeded"] else "no", attempt["detail"])
    console().print(table)


@deliveries_app.command("redrive")
def redrive(delivery_id: str, url: UrlOption = DEFAULT_NOTIFICATION_URL, as_json: JsonOption = False) -> None:
    """Send a dead-lettered delivery again: same idempotency key, a fresh round of attempts."""
    with reporting_errors(as_json), _client(url) as client:
        row = client.redrive(delivery_id)
    if as_json:
        print_json(row)
        return
    console().print(f"delivery {row['id']} is {row['state']} again ({row['channel']} to {row['recipient']})")
