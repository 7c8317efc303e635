from __future__ import annotations

import asyncio
import datetime as dt
from typing import Any

from wenze.cli.client import IntakeClient, ProblemError, ReviewClient
from wenze_console.web import TenantPage
from wenze_console.work.schemas import WorkItem, WorkQueue

# A task due within this many days shows yellow, as sanction-execution's deadlines do by default.
DUE_SOON_DAYS = 3


def traffic_light(due: dt.date | None, today: dt.date) -> tuple[str, int | None]:
    """green on time, yellow due within three days, red overdue; green without a due date."""
    if due is None:
        return "green", None
    days_left = (due - today).days
    if days_left < 0:
        return "red", days_left
    if days_left <= DUE_SOON_DAYS:
        return "yellow", days_left
    return "green", days_left


def _targets(matter: dict[str, Any]) -> str:
    names = [str(t.get("name") or t.get("unit") or "") for t in matter.get("targets") or []]
    return "、".join(n for n in names if n) or "尚不明确"


# How many of the page's matters are asked of intake at once: enough to overlap the calls'
# waiting, few enough not to take every connection intake has.
MATTER_READS_AT_ONCE = 8
# The page lists this many tasks, soonest due first: an office with thousands of open tasks
# would otherwise wait for a read of every matter they are on.
WORK_PAGE_SIZE = 50


def _matter_of(intake: IntakeClient, review: ReviewClient, matter_id: str, task: dict[str, Any]) -> dict[str, Any]:
    try:
        return intake.get(matter_id)
    except ProblemError:
        # Review lists the task; intake may not show this office the matter itself:
        # review's own record of it then gives its number and summary.
        try:
            subject = review.subject(task)
            return {
                "number": subject.get("matter_number", ""),
                "summary": subject.get("summary", ""),
                "targets": subject.get("targets") or [],
            }
        except ProblemError:
            return {"number": "", "summary": "", "targets": []}


async def work_queue(page: TenantPage) -> WorkQueue:
    today = page.pack.today()
    with page.review() as review, page.intake() as intake:
        open_tasks = await asyncio.to_thread(review.tasks, "open")
        # Soonest due first; among tasks due alike (or not at all), the newest first, so work
        # that has just arrived is on the page however many older tasks wait.
        open_tasks.sort(key=lambda t: t["created_at"], reverse=True)
        open_tasks.sort(key=lambda t: t["due"] or "9999-12-31")
        tasks = open_tasks[:WORK_PAGE_SIZE]
        first_task = {t["matter_id"]: t for t in reversed(tasks)}
        limit = asyncio.Semaphore(MATTER_READS_AT_ONCE)

        async def read(matter_id: str) -> dict[str, Any]:
            async with limit:
                return await asyncio.to_thread(_matter_of, intake, review, matter_id, first_task[matter_id])

        # The matters are read together rather than one after another: the page costs about
        # the slowest few reads instead of their sum.
        matter_ids = list(dict.fromkeys(t["matter_id"] for t in tasks))
        found = await asyncio.gather(*(read(matter_id) for matter_id in matter_ids))
        matters = dict(zip(matter_ids, found, strict=True))
    items = []
    for task in tasks:
        matter = matters[task["matter_id"]]
        due = dt.date.fromisoformat(task["due"]) if task.get("due") else None
        light, days_left = traffic_light(due, today)
        items.append(
            WorkItem(
                task=task,
                matter_number=matter["number"] or task["matter_id"],
                summary=matter["summary"],
                targets=_targets(matter),
                light=light,
                days_left=days_left,
            )
        )
    items.sort(key=lambda i: i.task["created_at"], reverse=True)
    items.sort(key=lambda i: i.task["due"] or "9999-12-31")
    return WorkQueue(items, total=len(open_tasks))
