"""Work queues (every open step is a task of one office) and timelines."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from wenze.auth.principal import Principal
from wenze.db.base import utcnow
from wenze.problems import invalid
from wenze_review.errors import CaseNotFound, MatterNotFound, NotYours, TaskNotFound, WrongState, found
from wenze_review.repositories import ReviewUnitOfWork, ReviewUnitOfWorkFactory
from wenze_review.work.models import Task, TaskState, TimelineEntry
from wenze_review.work.schemas import TaskRead, TimelineEntryRead


def task_read(task: Task) -> TaskRead:
    """The task with its whole history: the hand-overs it stores, then how it was closed."""
    history = list(task.history)
    if task.closed_at is not None:
        history.append({"at": task.closed_at.isoformat(), "action": task.state, "by": task.closed_by})
    return TaskRead.model_validate(task).model_copy(update={"history": history})


class WorkService:
    def __init__(self, uow: ReviewUnitOfWorkFactory, *, clock: Callable[[], dt.datetime] = utcnow):
        self.uow = uow
        self.clock = clock

    async def tasks(self, principal: Principal, state: str | None, limit: int) -> list[TaskRead]:
        if principal.office is None:
            return []
        async with self.uow() as uow:
            return [task_read(t) for t in await uow.repos.work.tasks(principal.tenant, principal.office, state, limit)]

    async def claim(self, principal: Principal, task_id: str) -> TaskRead:
        return await self._assign(principal, task_id, principal.username, "claimed")

    async def reassign(self, principal: Principal, task_id: str, username: str) -> TaskRead:
        return await self._assign(principal, task_id, username, "reassigned")

    async def _assign(self, principal: Principal, task_id: str, username: str, action: str) -> TaskRead:
        async with self.uow() as uow:
            task = await self._task(uow, principal.tenant, task_id)
            if principal.office != task.office:
                raise NotYours(f"task {task.kind}", [task.office], task.capability, principal.office)
            if task.state != TaskState.OPEN:
                raise WrongState(f"the task is {task.state}")
            if action == "reassigned" and task.assignee not in (None, principal.username):
                # Only whoever holds the task (or anyone of the office, while nobody does) hands it on.
                raise WrongState(f"the task is held by {task.assignee}; only they can reassign it")
            if action == "reassigned" and not username:
                raise invalid("body.username", "name a user of the office")
            task.history = [
                *task.history,
                {
                    "at": self.clock().isoformat(),
                    "action": action,
                    "by": principal.username,
                    "to": username,
                    "from": task.assignee,
                },
            ]
            task.assignee = username
            uow.repos.work.record(
                tenant=task.tenant,
                matter_id=task.matter_id,
                case_id=task.case_id,
                subject_id=task.subject_id,
                action=f"task_{action}",
                actor=principal.username,
                office=principal.office,
                citations=task.citations,
                detail={"task_id": task.id, "kind": task.kind, "to": username},
            )
            read = task_read(task)
            await uow.commit()
            return read

    @staticmethod
    async def _task(uow: ReviewUnitOfWork, tenant: str, task_id: str) -> Task:
        return await found(
            task_id, TaskNotFound, "task", lambda: uow.repos.work.get_task(tenant, task_id, for_update=True)
        )

    async def case_timeline(self, principal: Principal, case_id: str) -> list[TimelineEntryRead]:
        async with self.uow() as uow:
            await found(case_id, CaseNotFound, "case", lambda: uow.repos.cases.get(principal.tenant, case_id))
            entries = await uow.repos.work.timeline(principal.tenant, case_id=case_id)
            return [TimelineEntryRead.model_validate(e) for e in entries]

    async def matter_timeline(self, principal: Principal, matter_id: str) -> list[TimelineEntryRead]:
        async with self.uow() as uow:

            async def entries_of_a_known_matter() -> list[TimelineEntry] | None:
                # Review knows a matter once it has recorded an action on it (a case or consultation opened).
                return await uow.repos.work.timeline(principal.tenant, matter_id=matter_id) or None

            entries = await found(matter_id, MatterNotFound, "matter", entries_of_a_known_matter)
            return [TimelineEntryRead.model_validate(e) for e in entries]
