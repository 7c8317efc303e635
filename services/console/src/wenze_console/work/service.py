from __future__ import annotations

import asyncio
import datetime as dt
from typing import Any

from wenze_console.web import TenantPage
from wenze_console.work.schemas import WorkItem, WorkQueue

# A task due within this many days shows yellow, as sanction-execution's deadlines do by default.
DUE_SOON_DAYS = 3
# The page lists this many tasks, soonest due first; the rest are on the next pages.
WORK_PAGE_SIZE = 50


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


def _targets(item: dict[str, Any]) -> str:
    names = [str(t.get("name") or t.get("unit") or "") for t in item.get("targets") or []]
    return "、".join(n for n in names if n) or "尚不明确"


def work_item(item: dict[str, Any], today: dt.date) -> WorkItem:
    """One entry of review's work queue as the page shows it."""
    due = dt.date.fromisoformat(item["due"]) if item.get("due") else None
    light, days_left = traffic_light(due, today)
    return WorkItem(
        task=item,
        matter_number=item.get("matter_number") or item["matter_id"],
        summary=item.get("summary") or "",
        targets=_targets(item),
        light=light,
        days_left=days_left,
    )


async def work_queue(page: TenantPage, number: int = 1) -> WorkQueue:
    """Page ``number`` of the office's open tasks, soonest due first (the newest first among
    tasks due alike), in one call to review: it joins each task with its matter's number,
    summary and targets, so the page no longer asks intake for each matter."""
    today = page.pack.today()
    with page.review() as review:
        found = await asyncio.to_thread(review.work_queue, limit=WORK_PAGE_SIZE, offset=(number - 1) * WORK_PAGE_SIZE)
    items = [work_item(item, today) for item in found["items"]]
    return WorkQueue(items, total=int(found["total"]), page=number, page_size=WORK_PAGE_SIZE)
