"""Work queues (every open step is a task of one office), who may hold a task, and timelines."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from wenze.auth.capabilities import CAPABILITIES, MATTER_READ
from wenze.auth.principal import Principal
from wenze.db.base import USERNAME_LENGTH, utcnow
from wenze.db.idempotency import IdempotentRequest, run_once
from wenze.problems import invalid
from wenze_review.access import authorise
from wenze_review.errors import CaseNotFound, MatterNotFound, TaskHeld, TaskNotFound, WrongState, found
from wenze_review.repositories import ReviewUnitOfWork, ReviewUnitOfWorkFactory
from wenze_review.work.models import (
    MEMBER_OFFICE_LENGTH,
    OfficeMember,
    Task,
    TaskState,
    TimelineEntry,
)
from wenze_review.work.schemas import TaskRead, TimelineEntryRead

# Members noted by this process: one write per user and change of office or capabilities,
# not one per request. Bounded by the number of users; emptied if ever that grows past this.
NOTED_MEMBERS_KEPT = 10_000


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
        self._noted: dict[tuple[str, str], tuple[str, tuple[str, ...]]] = {}

    # -- members --------------------------------------------------------------------------

    async def note_member(self, principal: Principal) -> None:
        """Record the office and capabilities a verified caller acts with: whom a task may be handed to."""
        office = principal.office
        if office is None or len(office) > MEMBER_OFFICE_LENGTH or len(principal.username) > USERNAME_LENGTH:
            return
        key = (principal.tenant, principal.username)
        capabilities = tuple(sorted(principal.roles & CAPABILITIES))
        if self._noted.get(key) == (office, capabilities):
            return
        async with self.uow() as uow:
            await uow.repos.members.record(principal.tenant, principal.username, office, list(capabilities))
            await uow.commit()
        if len(self._noted) >= NOTED_MEMBERS_KEPT:
            self._noted.clear()
        self._noted[key] = (office, capabilities)

    # -- tasks ----------------------------------------------------------------------------

    async def tasks(self, principal: Principal, state: str | None, limit: int) -> list[TaskRead]:
        if principal.office is None:
            return []
        async with self.uow() as uow:
            return [task_read(t) for t in await uow.repos.work.tasks(principal.tenant, principal.office, state, limit)]

    async def claim(self, principal: Principal, task_id: str, idempotency: IdempotentRequest | None) -> dict:
        """Take an open task of one's office that nobody (able to act on it) holds; its holder
        claiming it again changes nothing."""

        async def act(uow: ReviewUnitOfWork) -> dict:
            task = await self._task(uow, principal.tenant, task_id)
            # The holder acts on the task, so the claimant needs what acting needs.
            authorise(principal, f"task {task.kind}", [task.office], task.capability)
            self._check_open(task)
            if task.assignee != principal.username:
                await self._check_not_held(uow, task)
                await self._hand_over(uow, principal, task, principal.username, "claimed")
            return task_read(task).model_dump(mode="json")

        return await run_once(self.uow, idempotency, act)

    async def reassign(
        self, principal: Principal, task_id: str, username: str, idempotency: IdempotentRequest | None
    ) -> dict:
        """Hand an open task to a known user of its office who can act on it: its holder does, or
        anyone of the office while nobody (able to act on it) holds it."""

        async def act(uow: ReviewUnitOfWork) -> dict:
            task = await self._task(uow, principal.tenant, task_id)
            authorise(principal, f"task {task.kind}", [task.office], MATTER_READ)
            self._check_open(task)
            if task.assignee != principal.username:
                await self._check_not_held(uow, task)
            member = await uow.repos.members.get(task.tenant, username)
            reason = self._why_not_holder(member, task)
            if reason is not None:
                raise invalid("body.username", reason)
            if task.assignee != username:
                await self._hand_over(uow, principal, task, username, "reassigned")
            return task_read(task).model_dump(mode="json")

        return await run_once(self.uow, idempotency, act)

    @staticmethod
    def _check_open(task: Task) -> None:
        if task.state != TaskState.OPEN:
            raise WrongState(f"the {task.kind} task is {task.state}")

    async def _check_not_held(self, uow: ReviewUnitOfWork, task: Task) -> None:
        """Refuse while the task is held by a user who can still act on it. One who has left its
        office (or lost its capability) holds it no more: their office takes it over."""
        if task.assignee is None:
            return
        holder = await uow.repos.members.get(task.tenant, task.assignee)
        if self._why_not_holder(holder, task) is None:
            raise TaskHeld(task.kind, task.assignee)

    @staticmethod
    def _why_not_holder(member: OfficeMember | None, task: Task) -> str | None:
        """Why ``member`` may not hold ``task``, in the user's terms; ``None`` if they may: a user
        who acts for the task's office with the task's capability."""
        if member is None:
            return (
                "no user of that name has used the review service in this tenant; "
                "a user is known once they have signed in to it"
            )
        if member.office != task.office:
            return f"{member.username} acts for {member.office}, not for {task.office}"
        if task.capability not in member.capabilities:
            return f"{member.username} lacks {task.capability}, which acting on this task needs"
        return None

    async def _hand_over(self, uow: ReviewUnitOfWork, principal: Principal, task: Task, to: str, action: str) -> None:
        entry = {
            "at": self.clock().isoformat(),
            "action": action,
            "by": principal.username,
            "to": to,
            "from": task.assignee,
        }
        if not await uow.repos.work.hand_over(task, to, entry):
            # Another request took or closed the task between our read and our update.
            if task.assignee is not None and task.state == TaskState.OPEN:
                raise TaskHeld(task.kind, task.assignee)
            raise WrongState(f"the {task.kind} task is {task.state}")
        uow.repos.work.record(
            tenant=task.tenant,
            matter_id=task.matter_id,
            case_id=task.case_id,
            subject_id=task.subject_id,
            action=f"task_{action}",
            actor=principal.username,
            office=principal.office,
            citations=task.citations,
            detail={"task_id": task.id, "kind": task.kind, "to": to},
        )

    @staticmethod
    async def _task(uow: ReviewUnitOfWork, tenant: str, task_id: str) -> Task:
        return await found(task_id, TaskNotFound, "task", lambda: uow.repos.work.get_task(tenant, task_id))

    # -- timelines --------------------------------------------------------------------------

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
