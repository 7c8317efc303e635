"""``wenze submit | import | list | show | accept``: intake's matters from the command line."""

from __future__ import annotations

import json
import sys
import time
from contextlib import nullcontext
from datetime import datetime
from enum import Enum
from pathlib import Path
from typing import Annotated, Any

import typer
from rich import box
from rich.cells import cell_len
from rich.console import Group
from rich.panel import Panel
from rich.progress import BarColumn, MofNCompleteColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table
from rich.text import Text

from wenze.cli import auth
from wenze.cli.client import (
    DEFAULT_EXECUTION_URL,
    DEFAULT_INTAKE_URL,
    IMPORT_MEDIA_TYPES,
    IntakeClient,
    media_type_for,
)
from wenze.cli.executions import ExecutionUrlOption, Unavailable, executions_view, read_executions
from wenze.cli.output import EXIT_PROBLEM, EXIT_USAGE, JsonOption, console, fail, print_json, reporting_errors
from wenze.rules import RulesError, get_pack

UrlOption = Annotated[
    str | None,
    typer.Option(
        "--url",
        envvar="WENZE_INTAKE_URL",
        show_default=False,
        help=f"intake's base URL [env WENZE_INTAKE_URL; else the one given at login; else {DEFAULT_INTAKE_URL}]",
    ),
]


class MatterState(str, Enum):
    received = "received"
    accepted = "accepted"
    not_accepted = "not_accepted"
    transferred = "transferred"


class Outcome(str, Enum):
    accepted = "accepted"
    not_accepted = "not_accepted"
    transferred = "transferred"


_LIST_HEADERS = ("number", "state", "received", "source", "targets", "summary")
_STATE_STYLE = {"received": "yellow", "accepted": "green", "not_accepted": "red", "transferred": "blue"}
TERMINAL_IMPORT_STATES = {"completed", "failed"}


def resolve_url(url: str | None) -> str:
    return url or auth.stored_intake_url() or DEFAULT_INTAKE_URL


def open_client(url: str | None) -> IntakeClient:
    return IntakeClient(resolve_url(url), auth.access_token())


def _state(state: str) -> str:
    return f"[{_STATE_STYLE.get(state, 'white')}]{state}[/]"


def _when(value: str | None, *, day_only: bool = False) -> str:
    if not value:
        return ""
    try:
        return datetime.fromisoformat(value).astimezone().strftime("%Y-%m-%d" if day_only else "%Y-%m-%d %H:%M")
    except ValueError:
        return value


def _label(matter: dict[str, Any], vocabulary: str, code: str) -> str:
    """The pack's label for a code, as staff read it; the code itself when the pack is not at hand."""
    try:
        return get_pack(matter["tenant"]).label(vocabulary, code)
    except (KeyError, RulesError):
        return code


def _target_label(target: dict[str, Any]) -> str:
    if target.get("kind") == "unknown":
        return f"(unknown, {target.get('sector') or '?'})"
    return str(target.get("name") or "?")


def read_json_input(source: str, as_json: bool) -> Any:
    try:
        raw = sys.stdin.read() if source == "-" else Path(source).read_text(encoding="utf-8")
    except OSError as exc:
        fail(f"cannot read {source}: {exc.strerror or exc}", EXIT_USAGE, as_json=as_json, kind="input")
    try:
        return json.loads(raw)
    except json.JSONDecodeError as exc:
        name = "standard input" if source == "-" else source
        fail(
            f"{name} is not JSON: {exc.msg} at line {exc.lineno} column {exc.colno}",
            EXIT_USAGE,
            as_json=as_json,
            kind="input",
        )


def submit(
    file: Annotated[str, typer.Argument(help="the matter as a JSON object, or - to read standard input")],
    idempotency_key: Annotated[
        str | None, typer.Option(help="send again safely: the same key and body return the first answer")
    ] = None,
    url: UrlOption = None,
    as_json: JsonOption = False,
) -> None:
    """Submit one matter (问责事项) to intake."""
    body = read_json_input(file, as_json)
    if not isinstance(body, dict):
        fail("a matter is a JSON object", EXIT_USAGE, as_json=as_json, kind="input")
    with reporting_errors(as_json), open_client(url) as client:
        matter, replayed = client.submit(body, idempotency_key=idempotency_key)
    if as_json:
        print_json(matter)
        return
    verb = "Already registered (idempotent replay)" if replayed else "Registered"
    out = console()
    out.print(f"[bold green]{verb}[/] {matter['number']}  [dim]id[/] {matter['id']}  {_state(matter['state'])}")
    if matter.get("duplicate_of"):
        out.print(
            f"[yellow]duplicate of {matter['duplicate_of']}[/], override: {matter.get('duplicate_override_reason')}"
        )


def list_matters(
    state: Annotated[MatterState | None, typer.Option(help="only matters in this state")] = None,
    source: Annotated[str | None, typer.Option(help="intake source code, e.g. city_government")] = None,
    received_from: Annotated[
        datetime | None, typer.Option(formats=["%Y-%m-%d"], help="received on or after this day (YYYY-MM-DD)")
    ] = None,
    received_to: Annotated[
        datetime | None, typer.Option(formats=["%Y-%m-%d"], help="received on or before this day (YYYY-MM-DD)")
    ] = None,
    target_name: Annotated[str | None, typer.Option(help="a target's name")] = None,
    cadre_level: Annotated[str | None, typer.Option(help="a target's cadre level code")] = None,
    q: Annotated[str | None, typer.Option("--q", "--search", help="text in summary, facts or target names")] = None,
    limit: Annotated[int, typer.Option(min=1, max=200, help="matters per page")] = 50,
    cursor: Annotated[str | None, typer.Option(help="continue from a next_cursor printed earlier")] = None,
    all_pages: Annotated[bool, typer.Option("--all", help="follow cursors to the last page")] = False,
    url: UrlOption = None,
    as_json: JsonOption = False,
) -> None:
    """List matters, newest first, with filters and cursor pagination."""
    filters = {
        "state": state.value if state else None,
        "source": source,
        "received_from": received_from.date().isoformat() if received_from else None,
        "received_to": received_to.date().isoformat() if received_to else None,
        "target_name": target_name,
        "cadre_level": cadre_level,
        "q": q,
    }
    with reporting_errors(as_json), open_client(url) as client:
        if all_pages:
            items = list(client.list_all(filters, cursor=cursor, limit=limit))
            next_cursor = None
        else:
            page = client.list_page(filters, cursor=cursor, limit=limit)
            items, next_cursor = page["items"], page.get("next_cursor")
    if as_json:
        print_json({"items": items, "next_cursor": next_cursor})
        return
    # Fits the terminal (80 columns too): the number, which `show` takes, and the state stay
    # whole; the source, the targets and then the summary give way.
    rows = [
        (
            m["number"],
            _state(m["state"]),
            _when(m.get("received_at"), day_only=True),
            _label(m, "intake_sources", m["source"]),
            "、".join(_target_label(t) for t in m.get("targets", [])),
            m["summary"],
        )
        for m in items
    ]
    widths = [
        max([cell_len(Text.from_markup(row[i]).plain) for row in rows] + [len(header)])
        for i, header in enumerate(_LIST_HEADERS)
    ]
    widths[3], widths[4] = min(widths[3], 10), min(widths[4], 8)
    # Columns are set apart by two spaces, after one at the start; the summary takes what is
    # left, at least 8 cells.
    widths[5] = max(8, min(widths[5], console().width - sum(widths[:5]) - 2 * (len(widths) - 1) - 1))
    table = Table(
        title=f"{len(items)} matters", box=box.SIMPLE_HEAD, pad_edge=False, padding=(0, 1), collapse_padding=True
    )
    for header, width in zip(_LIST_HEADERS, widths, strict=True):
        table.add_column(header, no_wrap=True, overflow="ellipsis", min_width=width, max_width=width)
    for *cells, summary in rows:
        shown = Text(summary)
        shown.truncate(widths[5], overflow="ellipsis")
        table.add_row(*cells, shown)
    out = console()
    out.print(table)
    if next_cursor:
        out.print(f"[dim]more: --cursor {next_cursor}  (or --all)[/]")


def _matter_panel(m: dict[str, Any]) -> Panel:
    facts = Table.grid(padding=(0, 2))
    facts.add_column(style="bold")
    facts.add_column()
    facts.add_row("number", m["number"])
    facts.add_row("id", m["id"])
    facts.add_row("state", _state(m["state"]))
    facts.add_row("source", f"{_label(m, 'intake_sources', m['source'])}  {m.get('source_reference') or ''}".rstrip())
    facts.add_row("received", f"{_when(m.get('received_at'))} by {m.get('submitted_by')}")
    facts.add_row("relevant date", str(m.get("relevant_date") or ""))
    if m.get("proposed_form"):
        facts.add_row("proposed form", _label(m, "forms", m["proposed_form"]))
    if m.get("key_supervised"):
        facts.add_row("key supervised", "yes")
    if m.get("duplicate_of"):
        facts.add_row("duplicate of", f"{m['duplicate_of']} ({m.get('duplicate_override_reason') or ''})")
    facts.add_row("summary", m["summary"])
    facts.add_row("facts", m["facts"])
    parts: list[Any] = [facts]
    if m.get("targets"):
        targets = Table("kind", "name", "post", "unit", "cadre level", "sector", title="targets")
        for t in m["targets"]:
            level = (
                _label(m, "cadre_levels", t["cadre_level"])
                if t.get("cadre_level")
                else _label(m, "organisation_levels", t["org_level"])
                if t.get("org_level")
                else ""
            )
            targets.add_row(
                _label(m, "target_kinds", t["kind"]) if t.get("kind") else "",
                t.get("name") or "",
                t.get("post") or "",
                t.get("unit") or "",
                level,
                _label(m, "sectors", t["sector"]) if t.get("sector") else "",
            )
        parts.append(targets)
    if m.get("attachments"):
        files = Table("name", "size", "media type", "sha256", title="attachments")
        for a in m["attachments"]:
            files.add_row(a["name"], str(a["size"]), a["media_type"], a["sha256"][:16] + "…")
        parts.append(files)
    if m.get("acceptance"):
        a = m["acceptance"]
        acc = Table.grid(padding=(0, 2))
        acc.add_column(style="bold")
        acc.add_column()
        acc.add_row("outcome", _state(a["outcome"]))
        acc.add_row("study date", str(a["study_date"]))
        acc.add_row("participants", "、".join(a.get("participants", [])))
        if a.get("reason"):
            acc.add_row("reason", a["reason"])
        if a.get("transferred_to"):
            acc.add_row("transferred to", a["transferred_to"])
        acc.add_row("decided", f"{_when(a.get('decided_at'))} by {a.get('decided_by')}")
        parts.append(Panel(acc, title="acceptance (受理)", expand=False))
    return Panel(Group(*parts), title=f"matter {m['number']}", expand=False)


# The vocabularies whose codes a timeline entry's detail names, by the detail's key.
_DETAIL_VOCABULARIES = {"source": "intake_sources"}


def _detail_text(matter: dict[str, Any], detail: dict[str, Any]) -> str:
    """A timeline entry's detail as ``key: value`` pairs, codes in the pack's words."""
    parts = []
    for key, value in detail.items():
        if key in _DETAIL_VOCABULARIES and isinstance(value, str):
            text = _label(matter, _DETAIL_VOCABULARIES[key], value)
        elif isinstance(value, str):
            text = value
        elif isinstance(value, list) and all(isinstance(v, str) for v in value):
            text = "、".join(value)
        else:
            text = json.dumps(value, ensure_ascii=False)
        parts.append(f"{key}: {text}")
    return "; ".join(parts)


def _timeline_table(matter: dict[str, Any], entries: list[dict[str, Any]]) -> Table:
    table = Table("at", "actor", "action", "state", "detail", title="timeline")
    for e in entries:
        table.add_row(
            _when(e.get("at")),
            e.get("actor", ""),
            e.get("action", ""),
            _state(e.get("state", "")),
            _detail_text(matter, e.get("detail") or {}),
        )
    return table


def show(
    reference: Annotated[str, typer.Argument(help="the matter's number (KS-2026-00002) or id")],
    url: UrlOption = None,
    execution_url: ExecutionUrlOption = DEFAULT_EXECUTION_URL,
    as_json: JsonOption = False,
) -> None:
    """Show one matter with its targets, acceptance and timeline, and what sanction-execution did
    after its decision: executions, steps, deadlines, after-effects and the readings they rest on."""
    executions: list[dict[str, Any]] | None = None
    unavailable: str | None = None
    with reporting_errors(as_json), open_client(url) as client:
        matter_id = client.matter_id(reference)
        matter = client.get(matter_id)
        timeline = client.timeline(matter_id)
    try:
        executions = read_executions(execution_url, matter_id)
    except Unavailable as exc:
        unavailable = str(exc)
    if as_json:
        extra = {"executions_unavailable": unavailable} if unavailable else {}
        print_json({**matter, "timeline": timeline, "executions": executions, **extra})
        return
    out = console()
    out.print(_matter_panel(matter))
    out.print(_timeline_table(matter, timeline))
    if unavailable is not None:
        out.print(Text(f"executions (执行) could not be read: {unavailable}", style="yellow"), soft_wrap=True)
    else:
        out.print(executions_view(matter.get("tenant"), executions or []))


def accept(
    reference: Annotated[str, typer.Argument(help="the matter's number (KS-2026-00002) or id")],
    outcome: Annotated[Outcome, typer.Option(help="the collective study's outcome")],
    participant: Annotated[
        list[str], typer.Option("--participant", "-p", help="who took part in the collective study (repeat for each)")
    ],
    study_date: Annotated[datetime, typer.Option(formats=["%Y-%m-%d"], help="day of the study (YYYY-MM-DD)")],
    reason: Annotated[str | None, typer.Option(help="why (required unless accepted)")] = None,
    transferred_to: Annotated[str | None, typer.Option(help="the receiving body (when transferred)")] = None,
    url: UrlOption = None,
    as_json: JsonOption = False,
) -> None:
    """Record the intake office's acceptance decision (受理): accepted, not accepted or transferred."""
    body: dict[str, Any] = {
        "outcome": outcome.value,
        "participants": participant,
        "study_date": study_date.date().isoformat(),
    }
    if reason is not None:
        body["reason"] = reason
    if transferred_to is not None:
        body["transferred_to"] = transferred_to
    with reporting_errors(as_json), open_client(url) as client:
        matter = client.accept(client.matter_id(reference), body)
    if as_json:
        print_json(matter)
        return
    console().print(f"{matter['number']}  [dim]id[/] {matter['id']}  now {_state(matter['state'])}")


def accept_import(
    job_id: Annotated[str, typer.Argument(help="the completed import job's id")],
    participant: Annotated[
        list[str], typer.Option("--participant", "-p", help="who took part in the collective study (repeat for each)")
    ],
    study_date: Annotated[datetime, typer.Option(formats=["%Y-%m-%d"], help="day of the study (YYYY-MM-DD)")],
    url: UrlOption = None,
    as_json: JsonOption = False,
) -> None:
    """Accept (受理) every matter of a completed import that awaits acceptance and that your office
    may accept, as one collective study decided; the rest are counted as still awaiting."""
    body = {"participants": participant, "study_date": study_date.date().isoformat()}
    with reporting_errors(as_json), open_client(url) as client:
        waiting = f"accepting the matters of import {job_id} (a large import takes minutes)…"
        with nullcontext() if as_json else console().status(waiting):
            answer = client.accept_import(job_id, body)
    if as_json:
        print_json(answer)
        return
    console().print(
        f"import {answer['job_id']}: [green]{answer['accepted']} accepted[/]"
        + (f", [yellow]{answer['awaiting']} still awaiting acceptance[/]" if answer["awaiting"] else "")
    )


def _summary_table(job: dict[str, Any]) -> Table:
    table = Table.grid(padding=(0, 2))
    table.add_column(style="bold")
    table.add_column()
    state_style = "green" if job["state"] == "completed" else "red" if job["state"] == "failed" else "yellow"
    table.add_row("job", job["id"])
    table.add_row("file", f"{job.get('filename') or ''} ({job['format']}, {job['file_bytes']} bytes)")
    table.add_row("state", f"[{state_style}]{job['state']}[/]")
    table.add_row(
        "rows", f"{job['processed_rows']} of {job['total_rows'] if job.get('total_rows') is not None else '?'}"
    )
    table.add_row("registered", f"[green]{job['registered']}[/]")
    table.add_row("refused", f"[red]{job['refused']}[/]" if job["refused"] else "0")
    if job.get("started_at") and job.get("finished_at"):
        seconds = (
            datetime.fromisoformat(job["finished_at"]) - datetime.fromisoformat(job["started_at"])
        ).total_seconds()
        table.add_row("took", f"{seconds:.1f} s")
    if job.get("failure"):
        table.add_row("failure", f"[red]{job['failure']}[/]")
    return table


def _errors_table(errors: list[dict[str, Any]], refused: int) -> Table:
    title = f"first {len(errors)} of {refused} refused rows" if refused > len(errors) else "refused rows"
    table = Table("row", "field", "reason", title=title)
    for item in errors:
        for n, err in enumerate(item.get("errors") or [{}]):
            reason = str(err.get("reason") or err.get("msg") or "")
            if err.get("existing_matter_id"):
                # A repeat names the matter registered first, for `wenze show`.
                reason += f" (matter {err['existing_matter_id']})"
            table.add_row(str(item["row"]) if n == 0 else "", str(err.get("field", "")), reason)
    return table


def _poll(client: IntakeClient, job: dict[str, Any], interval: float, *, show_progress: bool) -> dict[str, Any]:
    if not show_progress:
        while job["state"] not in TERMINAL_IMPORT_STATES:
            time.sleep(interval)
            job = client.get_import(job["id"])
        return job
    columns = (
        SpinnerColumn(),
        TextColumn("[progress.description]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("[green]{task.fields[registered]} registered"),
        TextColumn("[red]{task.fields[refused]} refused"),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=console(), transient=False) as progress:
        # The total stays unknown (a pulsing bar) while the job waits for a worker to count its rows.
        task = progress.add_task(
            job["state"],
            total=job.get("total_rows"),
            completed=job["processed_rows"],
            registered=job["registered"],
            refused=job["refused"],
        )
        while True:
            progress.update(
                task,
                description=job["state"],
                total=job.get("total_rows"),
                completed=job["processed_rows"],
                registered=job["registered"],
                refused=job["refused"],
            )
            if job["state"] in TERMINAL_IMPORT_STATES:
                return job
            time.sleep(interval)
            job = client.get_import(job["id"])


def import_matters(
    file: Annotated[
        Path,
        typer.Argument(help=f"matters to register, one per row; format by suffix: {', '.join(IMPORT_MEDIA_TYPES)}"),
    ],
    wait: Annotated[bool, typer.Option(help="follow the job until it finishes")] = True,
    interval: Annotated[float, typer.Option(min=0.05, help="seconds between progress polls")] = 0.5,
    show_errors: Annotated[int, typer.Option(min=0, max=1000, help="how many refused rows to list")] = 20,
    url: UrlOption = None,
    as_json: JsonOption = False,
) -> None:
    """Bulk-register matters from JSON Lines, CSV or XLSX, following the job with a progress bar."""
    media_type = media_type_for(file)
    if media_type is None:
        fail(
            f"{file.name}: unknown format; the file name must end in {', '.join(IMPORT_MEDIA_TYPES)}",
            EXIT_USAGE,
            as_json=as_json,
            kind="input",
        )
    try:
        handle = file.open("rb")
    except OSError as exc:
        fail(f"cannot read {file}: {exc.strerror or exc}", EXIT_USAGE, as_json=as_json, kind="input")
    with reporting_errors(as_json), open_client(url) as client, handle:
        job = client.start_import(handle, media_type=media_type, filename=file.name)
        if not as_json:
            console().print(f"Uploaded {file.name} as import [bold]{job['id']}[/]")
        if wait:
            job = _poll(client, job, interval, show_progress=not as_json)
        errors = client.import_errors(job["id"], limit=show_errors) if job["refused"] and show_errors else []
    if as_json:
        print_json({"job": job, "row_errors": errors})
    else:
        out = console()
        out.print(Panel(_summary_table(job), title="import", expand=False))
        if errors:
            out.print(_errors_table(errors, job["refused"]))
        if not wait:
            out.print(f"[dim]the job runs on; see GET /v1/matter-imports/{job['id']}[/]")
    if job["state"] == "failed":
        raise typer.Exit(EXIT_PROBLEM)
