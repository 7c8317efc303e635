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
    """One page of the office's open tasks, soonest due first, and how many it has in all."""

    items: list[WorkItem]
    total: int
    page: int = 1
    page_size: int = 50

    @property
    def first(self) -> int:
        """The position of the page's first task in the whole queue, counting from 1."""
        return (self.page - 1) * self.page_size + 1

    @property
    def last(self) -> int:
        return self.first + len(self.items) - 1

    @property
    def previous_page(self) -> int | None:
        return self.page - 1 if self.page > 1 else None

    @property
    def next_page(self) -> int | None:
        return self.page + 1 if self.page * self.page_size < self.total else None
