"""Work queues (every open step is a task of one office), who may hold a task, and timelines."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from wenze.auth.access import read_scope
from wenze.auth.capabilities import CAPABILITIES, MATTER_READ
from wenze.auth.principal import Principal
from wenze.db.base import USERNAME_LENGTH, utcnow
from wenze.db.idempotency import IdempotentRequest, run_once
from wenze.events import StepRecorded
from wenze.problems import ValidationFailed, invalid
from wenze_review.access.policy import audit, authorise, check_readable, targets_access
from wenze_review.errors import CaseNotFound, MatterNotFound, TaskHeld, TaskNotFound, WrongState, found
from wenze_review.repositories import ReviewUnitOfWork, ReviewUnitOfWorkFactory
from wenze_review.work.models import (
    MEMBER_OFFICE_LENGTH,
    OfficeMember,
    Task,
    TaskState,
    TimelineEntry,
)
from wenze_review.work.schemas import TaskRead, TimelineEntryRead, WorkItemRead, WorkQueuePage, WorkTargetRead

# Members noted by this process: one write per user and change of office or capabilities,
# not one per request. Bounded by the number of users; emptied if ever that grows past this.
NOTED_MEMBERS_KEPT = 10_000


def task_read(task: Task) -> TaskRead:
    """The task with its whole history: the hand-overs it stores, then how it was closed."""
    history = list(task.history)
    if task.closed_at is not None:
        history.append({"at": task.closed_at.isoformat(), "action": task.state, "by": task.closed_by})
    return TaskRead.model_validate(task).model_copy(update={"history": history})


def work_item(task: Task, matter_number: str | None, summary: str | None, targets: list | None) -> WorkItemRead:
    return WorkItemRead(
        **TaskRead.model_validate(task).model_dump(include=set(WorkItemRead.model_fields)),
        matter_number=matter_number,
        summary=summary,
        targets=[
            WorkTargetRead(name=t.get("name"), post=t.get("post"), unit=t.get("unit"))
            for t in targets or []
            if isinstance(t, dict)
        ],
    )


def record_step(
    uow: ReviewUnitOfWork,
    *,
    kind: str,
    tenant: str,
    matter_id: str,
    action: str,
    actor: str,
    office: str | None,
    case_id: str | None = None,
    subject_id: str | None = None,
    case_state: str | None = None,
    citations: Iterable[str] = (),
    detail: dict | None = None,
) -> None:
    """Add an entry to the matter's review timeline and publish it (``review.timeline.recorded``)
    in the same transaction: other services show where the matter is from these events rather
    than by asking review on every read."""
    citations = list(citations)
    uow.repos.work.record(
        tenant=tenant,
        matter_id=matter_id,
        case_id=case_id,
        subject_id=subject_id,
        action=action,
        actor=actor,
        office=office,
        citations=citations,
        detail=detail,
    )
    uow.publish(
        StepRecorded(
            tenant=tenant,
            matter_id=uuid.UUID(matter_id),
            kind=kind,
            case_id=uuid.UUID(case_id) if case_id else None,
            subject_id=uuid.UUID(subject_id) if subject_id else None,
            action=action,
            office=office,
            case_state=case_state,
            citations=citations,
        )
    )


class WorkService:
    def __init__(self, uow: ReviewUnitOfWorkFactory, *, clock: Callable[[], dt.datetime] = utcnow):
        self.uow = uow
        self.clock = clock
        self._noted: dict[tuple[str, str], tuple[str, tuple[str, ...], tuple[str, ...]]] = {}

    # -- members --------------------------------------------------------------------------

    async def note_member(self, principal: Principal) -> None:
        """Record the office, capabilities and authority a verified caller acts with: whom a task
        may be handed to."""
        office = principal.office
        if office is None or len(office) > MEMBER_OFFICE_LENGTH or len(principal.username) > USERNAME_LENGTH:
            return
        key = (principal.tenant, principal.username)
        capabilities = tuple(sorted(principal.roles & CAPABILITIES))
        authority = tuple(sorted(principal.cadre_authority))
        if self._noted.get(key) == (office, capabilities, authority):
            return
        async with self.uow() as uow:
            await uow.repos.members.record(
                principal.tenant, principal.username, office, list(capabilities), list(authority)
            )
            await uow.commit()
        if len(self._noted) >= NOTED_MEMBERS_KEPT:
            self._noted.clear()
        self._noted[key] = (office, capabilities, authority)

    # -- tasks ----------------------------------------------------------------------------

    async def tasks(
        self, principal: Principal, state: str | None, limit: int, *, client_address: str | None = None
    ) -> list[TaskRead]:
        """The caller's office's tasks, of the matters the caller may read."""
        async with self.uow() as uow:
            tasks = []
            if principal.office is not None:
                tasks = await uow.repos.work.tasks(
                    principal.tenant, principal.office, state, limit, read_scope(principal)
                )
            reads = [task_read(t) for t in tasks]
            # One entry per list: what was asked and how many tasks it showed.
            record = audit(principal, client_address, "task.list", "task", "*", state=state, count=len(reads))
            await uow.repos.audit.append(principal.tenant, [record])
            await uow.commit()
            return reads

    async def work_queue(
        self,
        principal: Principal,
        limit: int,
        offset: int,
        *,
        matter_id: str | None = None,
        client_address: str | None = None,
    ) -> WorkQueuePage:
        """A page of the caller's office's open tasks, of the matters the caller may read, each
        with its matter's number, summary and targets: a list of work in one call rather than
        one for the tasks and one per matter."""
        if matter_id is not None:
            try:
                uuid.UUID(matter_id)
            except ValueError:
                raise invalid("query.matter_id", "not a UUID", code="not_a_uuid") from None
        async with self.uow() as uow:
            rows: list[tuple[Task, str | None, str | None, list | None]] = []
            total = 0
            if principal.office is not None:
                rows, total = await uow.repos.work.work_queue(
                    principal.tenant, principal.office, read_scope(principal), limit, offset, matter_id=matter_id
                )
            items = [work_item(*row) for row in rows]
            record = audit(
                principal,
                client_address,
                "task.list",
                "task",
                "*",
                state=TaskState.OPEN.value,
                matter_id=matter_id,
                offset=offset,
                count=len(items),
            )
            await uow.repos.audit.append(principal.tenant, [record])
            await uow.commit()
            return WorkQueuePage(items=items, total=total, limit=limit, offset=offset)

    async def claim(
        self,
        principal: Principal,
        task_id: str,
        idempotency: IdempotentRequest | None,
        *,
        client_address: str | None = None,
    ) -> dict:
        """Take an open task of one's office that nobody (able to act on it) holds; its holder
        claiming it again changes nothing."""

        async def act(uow: ReviewUnitOfWork) -> dict:
            task = await self._task(uow, principal, task_id)
            targets = await self._targets(uow, task)
            # The holder acts on the task, so the claimant needs what acting needs; a claim is
            # not a hand-over by name, so an office linked to other units is refused here.
            authorise(
                principal,
                targets,
                step=f"task {task.kind}",
                offices=[task.office],
                capability=task.capability,
                assigned=task.assignee == principal.username,
            )
            self._check_open(task)
            if task.assignee != principal.username:
                await self._check_not_held(uow, task, targets)
                await self._hand_over(uow, principal, task, principal.username, "claimed")
                await self._audit(uow, principal, client_address, task, "claim")
            return task_read(task).model_dump(mode="json")

        return await run_once(self.uow, idempotency, act)

    async def reassign(
        self,
        principal: Principal,
        task_id: str,
        username: str,
        idempotency: IdempotentRequest | None,
        *,
        client_address: str | None = None,
    ) -> dict:
        """Hand an open task to a known user of its office who can act on it: its holder does, or
        anyone of the office who could take it while nobody (able to act on it) holds it. The
        task is then the new holder's by name, whatever units their office is linked to."""

        async def act(uow: ReviewUnitOfWork) -> dict:
            task = await self._task(uow, principal, task_id)
            targets = await self._targets(uow, task)
            authorise(
                principal,
                targets,
                step=f"task {task.kind}",
                offices=[task.office],
                capability=MATTER_READ,
                assigned=task.assignee == principal.username,
            )
            self._check_open(task)
            if task.assignee != principal.username:
                await self._check_not_held(uow, task, targets)
            member = await uow.repos.members.get(task.tenant, username)
            refusal = self._why_not_holder(member, task, targets)
            if refusal is not None:
                raise refusal
            if task.assignee != username:
                await self._hand_over(uow, principal, task, username, "reassigned")
                await self._audit(uow, principal, client_address, task, "reassign", to=username)
            return task_read(task).model_dump(mode="json")

        return await run_once(self.uow, idempotency, act)

    @staticmethod
    async def _targets(uow: ReviewUnitOfWork, task: Task) -> list[dict]:
        """The targets the task's step concerns: its case's, or its consultation's."""
        if task.case_id is not None:
            case = await uow.repos.cases.get(task.tenant, task.case_id)
            if case is not None:
                return case.targets
        else:
            consultation = await uow.repos.deliberations.get(task.tenant, "consultation", task.subject_id)
            if consultation is not None:
                return consultation.targets
        # Nothing is ever deleted: a task without its subject is a defect, not a request to refuse.
        raise LookupError(f"task {task.id} names no case or consultation of tenant {task.tenant}")

    @staticmethod
    async def _audit(
        uow: ReviewUnitOfWork,
        principal: Principal,
        client_address: str | None,
        task: Task,
        verb: str,
        **detail: Any,
    ) -> None:
        record = audit(
            principal,
            client_address,
            f"task.{verb}",
            "task",
            task.id,
            matter_id=task.matter_id,
            kind=task.kind,
            subject_id=task.subject_id,
            **detail,
        )
        await uow.repos.audit.append(principal.tenant, [record])

    @staticmethod
    def _check_open(task: Task) -> None:
        if task.state != TaskState.OPEN:
            raise WrongState(f"the {task.kind} task is {task.state}")

    async def _check_not_held(self, uow: ReviewUnitOfWork, task: Task, targets: Iterable[Mapping[str, Any]]) -> None:
        """Refuse while the task is held by a user who can still act on it. One who has left its
        office (or lost its capability or authority) holds it no more: their office takes it over."""
        if task.assignee is None:
            return
        holder = await uow.repos.members.get(task.tenant, task.assignee)
        if self._why_not_holder(holder, task, targets) is None:
            raise TaskHeld(task.kind, task.assignee)

    @staticmethod
    def _why_not_holder(
        member: OfficeMember | None, task: Task, targets: Iterable[Mapping[str, Any]]
    ) -> ValidationFailed | None:
        """Why ``member`` may not hold ``task``, in the user's terms, as the refusal of handing it
        to them; ``None`` if they may: a user who acts for the task's office with the task's
        capability and authority over its targets. The units their office is linked to do not
        matter: the task is theirs by name."""
        if member is None:
            return invalid(
                "body.username",
                "no user of that name has used the review service in this tenant; "
                "a user is known once they have signed in to it",
                code="user_unknown",
            )
        if member.office != task.office:
            return invalid(
                "body.username",
                f"{member.username} acts for {member.office}, not for {task.office}",
                code="user_of_another_office",
            )
        if task.capability not in member.capabilities:
            return invalid(
                "body.username",
                f"{member.username} lacks {task.capability}, which acting on this task needs",
                code="user_lacks_capability",
            )
        outside = targets_access(targets).levels - set(member.cadre_authority)
        if outside:
            return invalid(
                "body.username",
                f"{member.username}'s authority (干部管理权限) does not cover {', '.join(sorted(outside))}, "
                "the level of this task's targets",
                code="user_outside_authority",
            )
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
        record_step(
            uow,
            kind="task",
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
    async def _task(uow: ReviewUnitOfWork, principal: Principal, task_id: str) -> Task:
        """The task, if it is in the caller's tenant and the caller may read its matter."""
        task = await found(task_id, TaskNotFound, "task", lambda: uow.repos.work.get_task(principal.tenant, task_id))
        await check_readable(uow, principal, task.matter_id, TaskNotFound, "task", task_id)
        return task

    # -- timelines --------------------------------------------------------------------------

    async def case_timeline(
        self, principal: Principal, case_id: str, *, client_address: str | None = None
    ) -> list[TimelineEntryRead]:
        async with self.uow() as uow:
            case = await found(case_id, CaseNotFound, "case", lambda: uow.repos.cases.get(principal.tenant, case_id))
            await check_readable(uow, principal, case.matter_id, CaseNotFound, "case", case_id)
            entries = [
                TimelineEntryRead.model_validate(e)
                for e in await uow.repos.work.timeline(principal.tenant, case_id=case_id)
            ]
            record = audit(principal, client_address, "case.read_timeline", "case", case.id, matter_id=case.matter_id)
            await uow.repos.audit.append(principal.tenant, [record])
            await uow.commit()
            return entries

    async def matter_timeline(
        self, principal: Principal, matter_id: str, *, client_address: str | None = None
    ) -> list[TimelineEntryRead]:
        async with self.uow() as uow:

            async def entries_of_a_known_matter() -> list[TimelineEntry] | None:
                # Review knows a matter once it has recorded an action on it (a case or consultation opened).
                return await uow.repos.work.timeline(principal.tenant, matter_id=matter_id) or None

            found_entries = await found(matter_id, MatterNotFound, "matter", entries_of_a_known_matter)
            await check_readable(uow, principal, matter_id, MatterNotFound, "matter", matter_id)
            entries = [TimelineEntryRead.model_validate(e) for e in found_entries]
            record = audit(principal, client_address, "matter.read_timeline", "matter", matter_id, matter_id=matter_id)
            await uow.repos.audit.append(principal.tenant, [record])
            await uow.commit()
            return entries
