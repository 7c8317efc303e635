from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class WorkItem:
    """One open task as the work queue shows it."""

    task: dict[str, Any]
    matter_number: str
    summary: str
    targets: str
    light: str
    days_left: int | None

    @property
    def due(self) -> dt.date | None:
        due = self.task.get("due")
        return dt.date.fromisoformat(due) if due else None


@dataclass(frozen=True)
class WorkQueue:
    """The soonest-due open tasks of the office, and how many it has in all."""

    items: list[WorkItem]
    total: int
