"""``wenze dead-letters list | replay | drop``: the events the services' consumers gave up on
(``wenze.messaging.dead_letters``), for operators. Not the notices that could not be delivered:
those are ``wenze deliveries``."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Annotated, Any, TypeVar

import nats
import nats.errors
import typer
from nats.js import JetStreamContext
from rich.table import Table

from wenze.cli.output import EXIT_PROBLEM, EXIT_UNREACHABLE, JsonOption, console, fail, print_json
from wenze.messaging.dead_letters import DeadLetter, dead_letter, dead_letters, drop, replay
from wenze.messaging.nats import NatsCredentials

dead_letters_app = typer.Typer(
    help="Events a service's consumer gave up on (unreadable, another tenant's, or failing on every "
    "delivery): list them, send one again once its cause is mended, or drop it.",
    no_args_is_help=True,
)

T = TypeVar("T")

NatsUrlOption = Annotated[
    str, typer.Option("--nats-url", envvar="WENZE_NATS_URL", help="the NATS server [env WENZE_NATS_URL]")
]
NatsUserOption = Annotated[
    str | None, typer.Option("--nats-user", envvar="WENZE_NATS_USER", help="[env WENZE_NATS_USER]")
]
NatsPasswordOption = Annotated[
    str | None,
    typer.Option("--nats-password", envvar="WENZE_NATS_PASSWORD", help="[env WENZE_NATS_PASSWORD]", show_default=False),
]
NatsCredsOption = Annotated[
    Path | None,
    typer.Option("--nats-creds", envvar="WENZE_NATS_CREDS_FILE", help="a .creds file [env WENZE_NATS_CREDS_FILE]"),
]
SequencesArgument = Annotated[list[int], typer.Argument(help="the dead letters' numbers, as `list` shows them", min=1)]
DEFAULT_NATS_URL = "nats://127.0.0.1:4222"


def _with_jetstream(
    url: str,
    credentials: NatsCredentials,
    work: Callable[[JetStreamContext], Awaitable[T]],
    *,
    as_json: bool,
) -> T:
    async def quiet(_error: Exception) -> None:
        # nats-py prints every failed attempt's traceback by default; the command says it once.
        return None

    async def run() -> T:
        client = await nats.connect(
            servers=[u.strip() for u in url.split(",")],
            name="wenze-cli",
            connect_timeout=5,
            allow_reconnect=False,
            max_reconnect_attempts=1,
            error_cb=quiet,
            **credentials.options(),
        )
        try:
            return await work(client.jetstream())
        finally:
            await client.close()

    try:
        return asyncio.run(run())
    except (nats.errors.NoServersError, OSError, TimeoutError):
        fail(f"NATS at {url} did not answer. Use --nats-url or WENZE_NATS_URL.", EXIT_UNREACHABLE, as_json=as_json)
    except nats.errors.Error as exc:
        # Authorisation and permission refusals: NATS's own short words, never a payload.
        fail(f"NATS refused: {type(exc).__name__}", EXIT_PROBLEM, as_json=as_json)


def _credentials(user: str | None, password: str | None, creds: Path | None) -> NatsCredentials:
    return NatsCredentials(user=user, password=password, creds_file=creds)


@dead_letters_app.command("list")
def list_dead_letters(
    consumer: Annotated[
        str | None, typer.Option("--consumer", help="only this durable consumer's (e.g. routing-accepted)")
    ] = None,
    limit: Annotated[int, typer.Option(min=1, max=1000, help="at most this many, oldest first")] = 50,
    nats_url: NatsUrlOption = DEFAULT_NATS_URL,
    nats_user: NatsUserOption = None,
    nats_password: NatsPasswordOption = None,
    nats_creds: NatsCredsOption = None,
    as_json: JsonOption = False,
) -> None:
    """The dead letters, oldest first: which consumer gave the event up, why, and when."""
    letters = _with_jetstream(
        nats_url,
        _credentials(nats_user, nats_password, nats_creds),
        lambda js: dead_letters(js, consumer=consumer, limit=limit),
        as_json=as_json,
    )
    if as_json:
        print_json([letter.as_json() for letter in letters])
        return
    if not letters:
        console().print("No dead letters.")
        return
    # Fits 80 columns: the subject and the detail share the last column, one above the other.
    table = Table("no.", "consumer", "reason", "tries", "parked at", "subject / detail")
    table.columns[2].no_wrap = True
    for letter in letters:
        table.add_row(
            str(letter.sequence),
            letter.consumer,
            letter.reason,
            str(letter.deliveries),
            letter.parked_at.strftime("%m-%d %H:%M") if letter.parked_at else "",
            f"{letter.subject}\n{letter.detail}",
        )
    console().print(table)


async def _each(
    js: JetStreamContext, sequences: list[int], act: Callable[[DeadLetter], Awaitable[object]]
) -> dict[str, list[Any]]:
    done: list[Any] = []
    missing: list[Any] = []
    for sequence in dict.fromkeys(sequences):
        letter = await dead_letter(js, sequence)
        if letter is None:
            missing.append(sequence)
            continue
        await act(letter)
        done.append(letter.as_json())
    return {"done": done, "missing": missing}


def _report(outcome: dict[str, list[Any]], verb: str, as_json: bool) -> None:
    if as_json:
        print_json(outcome)
    else:
        for letter in outcome["done"]:
            console().print(f"{verb} no. {letter['sequence']}: {letter['subject']} ({letter['consumer']})")
    if outcome["missing"]:
        fail(
            "no dead letter numbered " + ", ".join(str(s) for s in outcome["missing"]),
            EXIT_PROBLEM,
            as_json=as_json,
            kind="not_found",
        )


@dead_letters_app.command("replay")
def replay_dead_letters(
    sequences: SequencesArgument,
    nats_url: NatsUrlOption = DEFAULT_NATS_URL,
    nats_user: NatsUserOption = None,
    nats_password: NatsPasswordOption = None,
    nats_creds: NatsCredsOption = None,
    as_json: JsonOption = False,
) -> None:
    """Publish each dead letter again on its original subject, then delete it. Every consumer of
    that subject receives it; those that handled it before change nothing (their inbox)."""
    outcome = _with_jetstream(
        nats_url,
        _credentials(nats_user, nats_password, nats_creds),
        lambda js: _each(js, sequences, lambda letter: replay(js, letter)),
        as_json=as_json,
    )
    _report(outcome, "sent again", as_json)


@dead_letters_app.command("drop")
def drop_dead_letters(
    sequences: SequencesArgument,
    nats_url: NatsUrlOption = DEFAULT_NATS_URL,
    nats_user: NatsUserOption = None,
    nats_password: NatsPasswordOption = None,
    nats_creds: NatsCredsOption = None,
    as_json: JsonOption = False,
) -> None:
    """Delete dead letters that are not to be handled at all (a forged or obsolete event)."""
    outcome = _with_jetstream(
        nats_url,
        _credentials(nats_user, nats_password, nats_creds),
        lambda js: _each(js, sequences, lambda letter: drop(js, letter)),
        as_json=as_json,
    )
    _report(outcome, "dropped", as_json)
