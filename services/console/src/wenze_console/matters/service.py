from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from wenze.cli.client import IntakeClient, ProblemError, ReportingClient, ReviewClient
from wenze.cli.steps import request_body, step_of
from wenze_console.web import TenantPage


@dataclass
class MatterView:
    """What the caller may see of one matter: intake's record, routing's slips, review's cases
    and open tasks, the executions of its decisions, and reporting's progress (stage, holders,
    timeline from every service)."""

    matter: dict[str, Any]
    slips: list[dict[str, Any]] = field(default_factory=list)
    cases: list[dict[str, Any]] = field(default_factory=list)
    executions: list[dict[str, Any]] = field(default_factory=list)
    progress: dict[str, Any] | None = None
    tasks: list[dict[str, Any]] = field(default_factory=list)
    withheld: list[str] = field(default_factory=list)

    @property
    def timeline(self) -> list[dict[str, Any]]:
        return list(self.progress["timeline"]) if self.progress else []


def _or_withheld(withheld: list[str], what: str, read: Callable[[], list[dict[str, Any]]]) -> list[dict[str, Any]]:
    """A service's part, or a note in ``withheld`` that it is not shown to this caller (its own access rules)."""
    try:
        return read()
    except ProblemError as exc:
        if exc.status in (403, 404):
            withheld.append(what)
            return []
        raise


def _progress_so_far(reporting: ReportingClient, matter_id: str) -> dict[str, Any] | None:
    """Reporting's progress of the matter, or None while its events have not reached reporting
    yet (they travel asynchronously): the page then shows what the services answered and says
    the rest is on its way. Reporting answers 404 alike for a matter it has not seen and for one
    the caller may not read; the other services have already shown the caller the matter."""
    try:
        return reporting.progress(matter_id)
    except ProblemError as exc:
        if exc.status == 404:
            return None
        raise


def _matter_from_review(review: ReviewClient, reference: str, tasks: list[dict[str, Any]]) -> dict[str, Any] | None:
    """The matter as review shows it, through a task of the caller's office on it: a leader
    approving a joint review may act on a matter intake does not list for that office."""
    for task in tasks:
        if not step_of(task["kind"]):
            continue
        try:
            subject = review.subject(task)
        except ProblemError:
            continue
        if reference in (subject.get("matter_number"), subject.get("matter_id")):
            return {
                "id": subject["matter_id"],
                "number": subject["matter_number"],
                "state": None,
                "summary": subject.get("summary", ""),
                "targets": subject.get("targets") or [],
                "facts": "",
                "source": None,
            }
    return None


def _intake_matter(intake: IntakeClient, matter_id: str) -> dict[str, Any] | ProblemError:
    try:
        return intake.get(matter_id)
    except ProblemError as exc:
        return exc


# As many of the office's open tasks as review pages at once: the tasks of one matter are far fewer.
TASKS_OF_A_MATTER = 200


def _tasks_of(review: ReviewClient, matter_id: str) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = review.work_queue(limit=TASKS_OF_A_MATTER, matter_id=matter_id)["items"]
    return items


def _matter_id(intake: IntakeClient, review: ReviewClient, reference: str) -> str:
    """The id of the matter ``reference`` names (its id, or its number). A number intake does not
    show the caller may still be that of a matter the office has a task on: review says its id."""
    try:
        return intake.matter_id(reference)
    except ProblemError as exc:
        if exc.status != 404:
            raise
        on_it = [t for t in review.work_queue(limit=TASKS_OF_A_MATTER)["items"] if t["matter_number"] == reference]
        if not on_it:
            raise
        found: str = on_it[0]["matter_id"]
        return found


async def matter_view(page: TenantPage, reference: str) -> MatterView:
    """Raises ProblemError (404) when no service shows the caller the matter.

    Once the matter's id is known (a page linked by number asks intake for it first), the
    page's calls go out together in one round: the page then costs about its slowest call
    rather than the sum of them all."""
    with (
        page.intake() as intake,
        page.review() as review,
        page.routing() as routing,
        page.reporting() as reporting,
        page.execution() as execution,
    ):
        matter_id = await asyncio.to_thread(_matter_id, intake, review, reference)
        withheld: list[str] = []
        found, tasks, slips, cases, executions, progress = await asyncio.gather(
            asyncio.to_thread(_intake_matter, intake, matter_id),
            asyncio.to_thread(_tasks_of, review, matter_id),
            asyncio.to_thread(_or_withheld, withheld, "分办", lambda: routing.slips(matter_id)),
            asyncio.to_thread(_or_withheld, withheld, "审理", lambda: review.cases(matter_id)),
            asyncio.to_thread(_or_withheld, withheld, "执行", lambda: execution.executions(matter_id=matter_id)),
            asyncio.to_thread(_progress_so_far, reporting, matter_id),
        )
        withheld_by_intake = isinstance(found, ProblemError)
        if isinstance(found, ProblemError):
            from_review = None
            if found.status == 404:
                from_review = await asyncio.to_thread(_matter_from_review, review, matter_id, tasks)
            if from_review is None:
                raise found
            found = from_review
    view = MatterView(found, slips=slips, cases=cases, executions=executions, progress=progress)
    view.withheld = (["受理"] if withheld_by_intake else []) + [w for w in ("分办", "审理", "执行") if w in withheld]
    view.tasks = [t for t in tasks if step_of(t["kind"])]
    return view


def perform_step(page: TenantPage, matter_id: str, task_id: str, body: dict[str, Any]) -> dict[str, Any]:
    """The step the open task ``task_id`` of the caller's office on the matter stands for;
    ProblemError when review refuses it, or 404 when the office has no such open task."""
    with page.review() as review:
        task = next((t for t in _tasks_of(review, matter_id) if t["id"] == task_id), None)
        step = step_of(task["kind"]) if task else None
        if task is None or step is None:
            raise ProblemError(404, {"title": "Not found", "status": 404, "detail": "该待办已办结或不属于本部门"})
        return review.act(step.path(task), request_body(task, body))
