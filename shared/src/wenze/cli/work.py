"""The review work queue from the command line: ``wenze tasks``, ``claim``, ``reassign``, and one
command per step (``sign``, ``approve``, ``findings``, ``recommend``, ``hear``, ``decide``).

A step is named by what a user has at hand: the task's id, the matter's number
(KS-2026-00002) or id, or the consultation's, case's or investigation's id. The command finds
the caller's office's open task for that step among review's tasks and posts to the endpoint
the task stands for, so nobody copies UUIDs between calls.
"""

from __future__ import annotations

from enum import Enum
from typing import Annotated, Any

import typer
from rich.table import Table

from wenze.cli import auth
from wenze.cli.client import DEFAULT_REVIEW_URL, IntakeClient, ReviewClient
from wenze.cli.matters import UrlOption, open_client, read_json_input
from wenze.cli.output import EXIT_USAGE, JsonOption, console, fail, print_json, reporting_errors
from wenze.cli.steps import (
    APPROVE,
    DECIDE,
    FINDINGS,
    HEAR,
    RECOMMEND,
    SIGN,
    Step,
    matching_tasks,
    matter_numbers,
    request_body,
)

ReviewUrlOption = Annotated[
    str,
    typer.Option(
        "--review-url",
        envvar="WENZE_REVIEW_URL",
        help="review's base URL [env WENZE_REVIEW_URL]",
    ),
]
TargetOption = Annotated[
    int | None,
    typer.Option("--target", min=0, help="the target's position in the matter (0 for the first), when it has several"),
]


def _review(url: str) -> ReviewClient:
    return ReviewClient(url, auth.access_token())


def _find_task(
    review: ReviewClient, intake: IntakeClient, reference: str, step: Step, target: int | None, as_json: bool
) -> dict[str, Any]:
    direct = matching_tasks(review, intake, reference, step, target)
    if not direct:
        fail(f"your office has no open {step.label} task for {reference}", EXIT_USAGE, as_json=as_json, kind="no-task")
    if len(direct) > 1:
        targets = sorted({t["target_index"] for t in direct if t["target_index"] is not None})
        hint = f"; choose one with --target ({', '.join(map(str, targets))})" if len(targets) > 1 else ""
        fail(
            f"{len(direct)} open {step.label} tasks for {reference}: "
            + ", ".join(f"{t['kind']} {t['id']}" for t in direct)
            + (hint or "; give the task's id instead"),
            EXIT_USAGE,
            as_json=as_json,
            kind="ambiguous",
        )
    return direct[0]


def _perform(
    step: Step,
    reference: str,
    body: dict[str, Any],
    *,
    target: int | None,
    url: str | None,
    review_url: str,
    as_json: bool,
) -> None:
    with reporting_errors(as_json), open_client(url) as intake, _review(review_url) as review:
        task = _find_task(review, intake, reference, step, target, as_json)
        result = review.act(step.path(task), request_body(task, body))
    if as_json:
        print_json(result)
        return
    console().print(f"[green]done[/] {task['kind']} (task {task['id']})")


def _body_from(file: str | None, as_json: bool) -> dict[str, Any]:
    if file is None:
        return {}
    body = read_json_input(file, as_json)
    if not isinstance(body, dict):
        fail("the request is a JSON object", EXIT_USAGE, as_json=as_json, kind="input")
    return body


class TaskState(str, Enum):
    open = "open"
    done = "done"
    cancelled = "cancelled"


def tasks(
    state: Annotated[TaskState, typer.Option(help="which tasks")] = TaskState.open,
    url: UrlOption = None,
    review_url: ReviewUrlOption = DEFAULT_REVIEW_URL,
    as_json: JsonOption = False,
) -> None:
    """Your office's tasks in review, with the matter's number, the article requiring each and its due date."""
    with reporting_errors(as_json), open_client(url) as intake, _review(review_url) as review:
        found = review.tasks(state.value)
        numbers = matter_numbers(intake, found)
    found.sort(key=lambda t: (t["due"] or "9999-12-31", numbers[t["matter_id"]], t["created_at"]))
    if as_json:
        print_json([{**t, "matter_number": numbers[t["matter_id"]]} for t in found])
        return
    table = Table(title=f"{len(found)} {state.value} tasks")
    table.add_column("matter", no_wrap=True)
    table.add_column("task", no_wrap=True)
    table.add_column("due", no_wrap=True)
    table.add_column("holder")
    table.add_column("article", overflow="fold")
    table.add_column("id", overflow="fold")
    for t in found:
        kind = t["kind"] if t["target_index"] is None else f"{t['kind']} #{t['target_index']}"
        table.add_row(
            numbers[t["matter_id"]], kind, t["due"] or "", t["assignee"] or "", "; ".join(t["citations"][:1]), t["id"]
        )
    console().print(table)


def claim(
    task_id: Annotated[str, typer.Argument(help="the task's id (see `wenze tasks`)")],
    review_url: ReviewUrlOption = DEFAULT_REVIEW_URL,
    as_json: JsonOption = False,
) -> None:
    """Take a task of your office, so others see you hold it."""
    with reporting_errors(as_json), _review(review_url) as review:
        task = review.claim(task_id)
    if as_json:
        print_json(task)
        return
    console().print(f"[green]claimed[/] {task['kind']} (task {task['id']})")


def reassign(
    task_id: Annotated[str, typer.Argument(help="the task's id (see `wenze tasks`)")],
    username: Annotated[str, typer.Argument(help="a user of the task's office")],
    review_url: ReviewUrlOption = DEFAULT_REVIEW_URL,
    as_json: JsonOption = False,
) -> None:
    """Hand a task to another user of its office."""
    with reporting_errors(as_json), _review(review_url) as review:
        task = review.reassign(task_id, username)
    if as_json:
        print_json(task)
        return
    console().print(f"[green]reassigned[/] {task['kind']} (task {task['id']}) to {task['assignee']}")


Reference = Annotated[str, typer.Argument(help="the matter's number (KS-2026-00002) or id, or the task's id")]


class Opinion(str, Enum):
    agree = "agree"
    other = "other"


def sign(
    reference: Reference,
    opinion: Annotated[Opinion, typer.Option(help="agree with the proposed handler, or propose another")],
    handler: Annotated[str | None, typer.Option(help="the office you propose (with --opinion other)")] = None,
    text: Annotated[str | None, typer.Option(help="your office's opinion in words")] = None,
    url: UrlOption = None,
    review_url: ReviewUrlOption = DEFAULT_REVIEW_URL,
    as_json: JsonOption = False,
) -> None:
    """Sign a consultation (会商) or a joint review (会审) for your office."""
    body: dict[str, Any] = {"opinion": opinion.value}
    if handler is not None:
        body["handler"] = handler
    if text is not None:
        body["text"] = text
    _perform(SIGN, reference, body, target=None, url=url, review_url=review_url, as_json=as_json)


def approve(
    reference: Reference,
    comment: Annotated[str | None, typer.Option(help="a comment kept with the approval")] = None,
    url: UrlOption = None,
    review_url: ReviewUrlOption = DEFAULT_REVIEW_URL,
    as_json: JsonOption = False,
) -> None:
    """Approve what waits for your office: a consultation's or joint review's outcome, a case's start or decision."""
    body = {"comment": comment} if comment is not None else {}
    _perform(APPROVE, reference, body, target=None, url=url, review_url=review_url, as_json=as_json)


def findings(
    reference: Reference,
    text: Annotated[str, typer.Option("--findings", help="what the investigation found")],
    evidence: Annotated[list[str] | None, typer.Option("--evidence", help="one piece of evidence (repeat)")] = None,
    targets_file: Annotated[
        str | None,
        typer.Option(
            help="JSON list of the targets identified, when the matter named none; a person may carry their "
            "identity_number, which review keeps only as the person's reference"
        ),
    ] = None,
    url: UrlOption = None,
    review_url: ReviewUrlOption = DEFAULT_REVIEW_URL,
    as_json: JsonOption = False,
) -> None:
    """Record the findings of an investigation your office carries out."""
    body: dict[str, Any] = {"findings": text, "evidence": evidence or []}
    if targets_file is not None:
        body["identified_targets"] = read_json_input(targets_file, as_json)
    _perform(FINDINGS, reference, body, target=None, url=url, review_url=review_url, as_json=as_json)


def recommend(
    reference: Reference,
    file: Annotated[str, typer.Argument(help="the recommendation as JSON (see docs/review.md), or - for stdin")],
    target: TargetOption = None,
    url: UrlOption = None,
    review_url: ReviewUrlOption = DEFAULT_REVIEW_URL,
    as_json: JsonOption = False,
) -> None:
    """Record the handling office's recommendation for one target."""
    body = _body_from(file, as_json)
    _perform(RECOMMEND, reference, body, target=target, url=url, review_url=review_url, as_json=as_json)


def hear(
    reference: Reference,
    file: Annotated[str, typer.Argument(help="the hearing as JSON (see docs/review.md), or - for stdin")],
    target: TargetOption = None,
    url: UrlOption = None,
    review_url: ReviewUrlOption = DEFAULT_REVIEW_URL,
    as_json: JsonOption = False,
) -> None:
    """Record the hearing (陈述、申辩) of one target."""
    body = _body_from(file, as_json)
    _perform(HEAR, reference, body, target=target, url=url, review_url=review_url, as_json=as_json)


def decide(
    reference: Reference,
    file: Annotated[str, typer.Argument(help="the decision as JSON (see docs/review.md), or - for stdin")],
    url: UrlOption = None,
    review_url: ReviewUrlOption = DEFAULT_REVIEW_URL,
    as_json: JsonOption = False,
) -> None:
    """Make the written accountability decision (问责决定)."""
    body = _body_from(file, as_json)
    _perform(DECIDE, reference, body, target=None, url=url, review_url=review_url, as_json=as_json)
