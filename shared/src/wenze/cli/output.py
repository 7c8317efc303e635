"""What the CLI prints: Rich for people, plain JSON for scripts, and errors on stderr with exit codes.

Exit codes: 0 done; 1 the API refused (a problem+json answer) or a job failed; 2 bad usage or
input file; 3 no usable token; 4 the API or identity provider is unreachable; 130 interrupted.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated, Any, NoReturn

import typer
from rich.console import Console
from rich.markup import escape
from rich.text import Text

from wenze.cli.auth import AuthError
from wenze.cli.client import ProblemError, Unreachable

JsonOption = Annotated[bool, typer.Option("--json", help="print machine-readable JSON only, no decoration")]

EXIT_PROBLEM = 1
EXIT_USAGE = 2
EXIT_AUTH = 3
EXIT_UNREACHABLE = 4
EXIT_INTERRUPTED = 130

# The standard members are shown as title/detail; "errors" gets one line per field.
_STANDARD = {"type", "title", "status", "detail", "instance", "errors"}


def console() -> Console:
    # Made per call so the console writes to whatever sys.stdout is now (Typer's test runner
    # swaps it), and highlight is off so ids and numbers are not recoloured at random.
    return Console(highlight=False, soft_wrap=False)


def err_console() -> Console:
    return Console(stderr=True, highlight=False)


def print_json(data: Any) -> None:
    """One JSON document on stdout, UTF-8 as is (Chinese stays readable), nothing else."""
    sys.stdout.write(json.dumps(data, ensure_ascii=False, indent=2, default=str) + "\n")
    sys.stdout.flush()


def render_problem(problem: dict[str, Any], status: int | None = None) -> Text:
    status = problem.get("status", status)
    text = Text()
    text.append("Error", style="bold red")
    if status:
        text.append(f" {status}", style="bold red")
    text.append(f": {problem.get('title') or 'request failed'}\n", style="bold")
    errors = problem.get("errors")
    errors = errors if isinstance(errors, list) else []
    # Services word a detail as the errors joined ("field: reason; …"): listing both said each twice.
    if problem.get("detail") and not _only_repeats_errors(problem["detail"], errors):
        text.append(f"  {problem['detail']}\n")
    if errors:
        for item in errors:
            if isinstance(item, dict):
                field = item.get("field") or item.get("loc") or "?"
                reason = item.get("reason") or item.get("msg") or item.get("message") or ""
                text.append("  • ")
                text.append(str(field), style="cyan")
                text.append(f": {reason}\n")
            else:
                text.append(f"  • {item}\n")
    for key, value in problem.items():
        # Extension members carry what a caller acts on, e.g. the id of the matter a
        # duplicate points at, so they are shown rather than dropped.
        if key not in _STANDARD:
            shown = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, default=str)
            text.append(f"  {key}: ", style="dim")
            text.append(f"{shown}\n")
    if problem.get("type") and problem["type"] != "about:blank":
        text.append(f"  ({problem['type']})\n", style="dim")
    text.rstrip()
    return text


def _only_repeats_errors(detail: str, errors: list[Any]) -> bool:
    said = {f"{e.get('field')}: {e.get('reason')}" for e in errors if isinstance(e, dict)}
    return all(part.strip() in said or part.strip() == "" for part in detail.split("; ")) if said else False


def fail(message: str, code: int, *, as_json: bool, kind: str = "error") -> NoReturn:
    if as_json:
        sys.stderr.write(json.dumps({"error": kind, "detail": message}, ensure_ascii=False) + "\n")
    else:
        err_console().print(f"[bold red]Error:[/bold red] {escape(message)}")
    raise typer.Exit(code)


@contextmanager
def reporting_errors(as_json: bool) -> Iterator[None]:
    """Turn the client's and the login's exceptions into a clear message and an exit code."""
    try:
        yield
    except ProblemError as exc:
        if as_json:
            sys.stderr.write(json.dumps(exc.problem, ensure_ascii=False, default=str) + "\n")
        else:
            err_console().print(render_problem(exc.problem, exc.status))
        raise typer.Exit(EXIT_PROBLEM) from None
    except Unreachable as exc:
        fail(
            f"{exc}. Is the service running (make run)? Use --url or WENZE_INTAKE_URL to point elsewhere.",
            EXIT_UNREACHABLE,
            as_json=as_json,
            kind="unreachable",
        )
    except AuthError as exc:
        fail(str(exc), EXIT_AUTH, as_json=as_json, kind="auth")
    except KeyboardInterrupt:
        fail("interrupted", EXIT_INTERRUPTED, as_json=as_json, kind="interrupted")
