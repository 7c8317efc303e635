"""What the chaos scenarios share: the console, progress bars, worker logs, stream reads and
the table of checks each prints."""

from __future__ import annotations

import asyncio
import json
import sys
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Generic, TypeVar

import nats
from nats.errors import TimeoutError as NatsTimeoutError
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from wenze_devtools.testing.infra import ServiceProcess

# Piped output (make, CI logs) would otherwise wrap the tables at 80 columns.
console = Console() if sys.stdout.isatty() else Console(width=120)
STREAM_READ_TIMEOUT_S = 300.0
WORKER_START_TIMEOUT_S = 120.0

T = TypeVar("T")


def progress_bars() -> Progress:
    return Progress(
        TextColumn("{task.description:<30}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=False,
    )


# -- worker processes -------------------------------------------------------------------------


class WorkerExited(RuntimeError):
    """A worker process ended on its own while the run waited for it."""


def log_size(worker: ServiceProcess) -> int:
    """Where the next incarnation of ``worker`` starts writing in its (appended) log."""
    try:
        return worker.log_path.stat().st_size
    except OSError:
        return 0


def logged_since(worker: ServiceProcess, offset: int) -> list[dict[str, Any]]:
    """The JSON log entries ``worker`` wrote after ``offset`` (other lines are skipped)."""
    try:
        with worker.log_path.open("rb") as handle:
            handle.seek(offset)
            lines = handle.read().splitlines()
    except OSError:
        return []
    entries = []
    for line in lines:
        try:
            entry = json.loads(line)
        except ValueError:
            continue
        if isinstance(entry, dict):
            entries.append(entry)
    return entries


async def wait_logged(
    worker: ServiceProcess,
    offset: int,
    ready: Callable[[list[dict[str, Any]]], bool],
    what: str,
    timeout: float = WORKER_START_TIMEOUT_S,
) -> None:
    """Wait until this incarnation of ``worker`` has logged what ``ready`` looks for."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if ready(logged_since(worker, offset)):
            return
        if worker.process is not None and worker.process.poll() is not None:
            raise WorkerExited(f"the {worker.service} worker exited on its own:\n{worker.log_tail()}")
        await asyncio.sleep(0.05)
    raise TimeoutError(f"the {worker.service} worker: {what} not within {timeout}s")


def relay_started(entries: list[dict[str, Any]]) -> bool:
    return any(e.get("event") == "outbox relay started" for e in entries)


# -- streams ----------------------------------------------------------------------------------


@dataclass
class StreamRead(Generic[T]):
    """The messages of one subject on a stream, as JetStream stores them (duplicates dropped)."""

    stream_messages: int  # everything the stream holds, all subjects
    read: int = 0
    kept: list[T] = field(default_factory=list)
    event_ids: Counter[str] = field(default_factory=Counter)
    msg_id_mismatches: int = 0

    @property
    def events_twice(self) -> int:
        return sum(1 for n in self.event_ids.values() if n > 1)


async def read_stream(url: str, stream: str, subject: str, keep: Callable[[str, dict[str, Any]], T]) -> StreamRead[T]:
    """Every message of ``subject`` on ``stream`` through an ordered (ephemeral) consumer;
    ``keep(subject, event)`` picks what to hold of each, so long streams stay small in memory."""
    nc = await nats.connect(url)
    try:
        js = nc.jetstream()
        info = await js.stream_info(stream)
        result: StreamRead[T] = StreamRead(stream_messages=info.state.messages)
        sub = await js.subscribe(subject, ordered_consumer=True)
        deadline = time.monotonic() + STREAM_READ_TIMEOUT_S
        while time.monotonic() < deadline:
            try:
                msg = await sub.next_msg(timeout=5)
            except NatsTimeoutError:
                break
            result.read += 1
            event = json.loads(msg.data)
            result.event_ids[event["event_id"]] += 1
            # The relays' de-duplication rests on Nats-Msg-Id being the outbox row (= event) id.
            if (msg.headers or {}).get("Nats-Msg-Id") != event["event_id"]:
                result.msg_id_mismatches += 1
            result.kept.append(keep(msg.subject, event))
            if msg.metadata.num_pending == 0:
                break
        await sub.unsubscribe()
        return result
    finally:
        await nc.close()


# -- the verdict ------------------------------------------------------------------------------


@dataclass
class Check:
    """One row of a scenario's table: a figure (``passed`` None) or a check with its expectation."""

    label: str
    value: int | float | str
    expected: str = ""
    passed: bool | None = None


def print_checks(title: str, checks: list[Check], problems: list[str], success: str, report_path: Path) -> None:
    table = Table(title=title, show_lines=False)
    table.add_column("figure")
    table.add_column("value", justify="right")
    table.add_column("expected", justify="right")
    table.add_column("", justify="center")
    for check in checks:
        mark = "" if check.passed is None else ("[green]PASS[/]" if check.passed else "[bold red]FAIL[/]")
        value = f"{check.value:,}" if isinstance(check.value, int) else str(check.value)
        table.add_row(check.label, value, check.expected, mark)
    console.print(table)
    for problem in problems:
        console.print(f"[bold red]FAIL[/] {problem}")
    if not problems:
        console.print(f"[bold green]PASS[/] {success}")
    console.print(f"report: {report_path}")
