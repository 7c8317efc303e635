from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from typing import Any

from sqlalchemy import and_, func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.attributes import set_committed_value

from wenze.auth.access import ReadScope
from wenze.db.base import utcnow
from wenze.ids import new_id
from wenze_review.access.repository import visible_to
from wenze_review.cases.models import Case
from wenze_review.deliberations.models import Deliberation
from wenze_review.work.models import TASKS, OfficeMember, Task, TaskState, TimelineEntry

SYSTEM = "system"


class WorkRepository:
    """Tasks and the timeline; every domain service opens, closes and records through it."""

    def __init__(self, session: AsyncSession):
        self.session = session

    def open_task(
        self,
        *,
        tenant: str,
        kind: str,
        office: str,
        capability: str,
        matter_id: str,
        case_id: str | None,
        subject_id: str,
        citations: Iterable[str] = (),
        target_index: int | None = None,
        due: dt.date | None = None,
    ) -> Task:
        now = utcnow()
        task = Task(
            id=new_id(),
            tenant=tenant,
            kind=kind,
            office=office,
            capability=capability,
            matter_id=matter_id,
            case_id=case_id,
            subject_id=subject_id,
            target_index=target_index,
            citations=list(citations),
            due=due,
            state=TaskState.OPEN,
            created_at=now,
            history=[{"at": now.isoformat(), "action": "opened", "by": SYSTEM}],
        )
        self.session.add(task)
        return task

    async def close_tasks(
        self, subject_id: str, kind: str, by: str, *, office: str | None = None, target_index: int | None = None
    ) -> None:
        """The open tasks of this step on ``subject_id`` (one office's, one target's) are done."""
        conditions = [Task.subject_id == subject_id, Task.kind == kind]
        if office is not None:
            conditions.append(Task.office == office)
        if target_index is not None:
            conditions.append(Task.target_index == target_index)
        await self._move_tasks("close", by, *conditions)

    async def cancel_tasks(self, subject_id: str, by: str) -> list[str]:
        """Steps that no longer apply (e.g. the case was reclassified) leave the queues; the
        kinds of the tasks cancelled, one per task."""
        return await self._move_tasks("cancel", by, Task.subject_id == subject_id)

    async def _move_tasks(self, action: str, by: str, *conditions: Any) -> list[str]:
        # Tasks opened in this transaction are written first, so that they are moved too.
        await self.session.flush()
        moved = await self.session.execute(
            update(Task)
            .where(*conditions, TASKS.can_move(action, Task.state))
            .values(state=TASKS.transition(action).target, closed_at=utcnow(), closed_by=by)
            .returning(Task.kind)
            .execution_options(synchronize_session=False)
        )
        return list(moved.scalars())

    async def move_to_office(
        self, case_id: str, kinds: Iterable[str], offices: Mapping[str, str], entry: dict[str, Any]
    ) -> list[str]:
        """The case's open tasks of ``kinds`` of each office in ``offices`` go to the office it
        maps to, held by nobody there yet; ``entry`` joins each one's history. The kinds moved,
        one per task."""
        await self.session.flush()
        stmt = select(Task).where(
            Task.case_id == case_id,
            Task.state == TaskState.OPEN,
            Task.kind.in_(list(kinds)),
            Task.office.in_(list(offices)),
        )
        moved = []
        for task in (await self.session.scalars(stmt.order_by(Task.created_at, Task.id))).all():
            to = offices[task.office]
            history = [*task.history, {**entry, "from": task.office, "to": to}]
            result = await self.session.execute(
                update(Task)
                .where(Task.id == task.id, Task.state == TaskState.OPEN, Task.office == task.office)
                .values(office=to, assignee=None, history=history)
                .execution_options(synchronize_session=False)
            )
            if result.rowcount == 1:  # type: ignore[attr-defined]
                moved.append(task.kind)
        return moved

    async def has_open_task(self, subject_id: str, kind: str) -> bool:
        """Whether a task of this step on ``subject_id`` is still open: the step is still to be done."""
        stmt = select(Task.id).where(Task.subject_id == subject_id, Task.kind == kind, Task.state == TaskState.OPEN)
        return (await self.session.scalar(stmt.limit(1))) is not None

    async def was_given(self, subject_id: str, kind: str, username: str, *, target_index: int | None = None) -> bool:
        """Whether a task of this step on ``subject_id`` (of one target) is ``username``'s: they
        hold it, or held it when it closed. The step was given to them by name, by a reassignment
        or by their own claim (which was checked as the step is)."""
        stmt = select(Task.id).where(Task.subject_id == subject_id, Task.kind == kind, Task.assignee == username)
        if target_index is not None:
            stmt = stmt.where(Task.target_index == target_index)
        return (await self.session.scalar(stmt.limit(1))) is not None

    async def get_task(self, tenant: str, task_id: str) -> Task | None:
        return await self.session.scalar(select(Task).where(Task.tenant == tenant, Task.id == task_id))

    async def hand_over(self, task: Task, to: str, entry: dict[str, Any]) -> bool:
        """Give the open ``task`` to ``to`` if nobody changed its holder since it was read.

        Of concurrent claims of one task exactly one is applied; the others get ``False``,
        with ``task`` read again to say who holds it now (or that it was closed)."""
        holder = Task.assignee.is_(None) if task.assignee is None else Task.assignee == task.assignee
        history = [*task.history, entry]
        result = await self.session.execute(
            update(Task)
            .where(Task.id == task.id, Task.state == TaskState.OPEN, holder)
            .values(assignee=to, history=history)
            .execution_options(synchronize_session=False)
        )
        if result.rowcount != 1:  # type: ignore[attr-defined]
            await self.session.refresh(task)
            return False
        set_committed_value(task, "assignee", to)
        set_committed_value(task, "history", history)
        return True

    async def tasks(self, tenant: str, office: str, state: str | None, limit: int, scope: ReadScope) -> list[Task]:
        """``office``'s tasks, of the matters ``scope`` may read."""
        stmt = select(Task).where(
            Task.tenant == tenant, Task.office == office, visible_to(scope, Task.tenant, Task.matter_id)
        )
        if state:
            stmt = stmt.where(Task.state == state)
        stmt = stmt.order_by(Task.created_at, Task.id).limit(limit)
        return list((await self.session.scalars(stmt)).all())

    async def work_queue(
        self, tenant: str, office: str, scope: ReadScope, limit: int, offset: int, *, matter_id: str | None = None
    ) -> tuple[list[tuple[Task, str | None, str | None, list | None]], int]:
        """One page of ``office``'s open tasks of the matters ``scope`` may read, soonest due first
        (undated last), the newest first among those due alike; each with its matter's number,
        summary and targets as its subject holds them. And how many such tasks there are in all.

        The subject is the deliberation a consultation or joint review task is on, else the
        task's case; both joins are on primary keys, so the page costs one statement whatever
        the size of the queue beyond it."""
        conditions = [
            Task.tenant == tenant,
            Task.office == office,
            Task.state == TaskState.OPEN,
            visible_to(scope, Task.tenant, Task.matter_id),
        ]
        if matter_id is not None:
            conditions.append(Task.matter_id == matter_id)
        total = await self.session.scalar(select(func.count()).select_from(Task).where(*conditions))
        stmt = (
            select(
                Task,
                func.coalesce(Deliberation.matter_number, Case.matter_number),
                func.coalesce(Deliberation.summary, Case.summary),
                Deliberation.targets,
                Case.targets,
            )
            .outerjoin(Deliberation, and_(Deliberation.tenant == Task.tenant, Deliberation.id == Task.subject_id))
            .outerjoin(Case, and_(Case.tenant == Task.tenant, Case.id == Task.case_id))
            .where(*conditions)
            .order_by(Task.due.asc().nulls_last(), Task.created_at.desc(), Task.id)
            .limit(limit)
            .offset(offset)
        )
        rows = [
            (task, number, summary, of_deliberation if of_deliberation is not None else of_case)
            for task, number, summary, of_deliberation, of_case in (await self.session.execute(stmt)).all()
        ]
        return rows, int(total or 0)

    def record(
        self,
        *,
        tenant: str,
        matter_id: str,
        action: str,
        actor: str,
        office: str | None,
        case_id: str | None = None,
        subject_id: str | None = None,
        citations: Iterable[str] = (),
        detail: dict | None = None,
    ) -> None:
        """Add an entry to the timeline (written with the transaction: nothing reads it before)."""
        self.session.add(
            TimelineEntry(
                tenant=tenant,
                matter_id=matter_id,
                case_id=case_id,
                subject_id=subject_id,
                actor=actor,
                office=office,
                action=action,
                citations=list(citations),
                detail=detail or {},
                at=utcnow(),
            )
        )

    async def timeline(
        self, tenant: str, *, matter_id: str | None = None, case_id: str | None = None
    ) -> list[TimelineEntry]:
        stmt = select(TimelineEntry).where(TimelineEntry.tenant == tenant)
        if matter_id is not None:
            stmt = stmt.where(TimelineEntry.matter_id == matter_id)
        if case_id is not None:
            stmt = stmt.where(TimelineEntry.case_id == case_id)
        return list((await self.session.scalars(stmt.order_by(TimelineEntry.id))).all())


class MemberRepository:
    """Who acts for which office, as their verified tokens said."""

    def __init__(self, session: AsyncSession):
        self.session = session

    async def record(
        self, tenant: str, username: str, office: str, capabilities: list[str], cadre_authority: list[str]
    ) -> None:
        insert = postgresql.insert if self.session.get_bind().dialect.name == "postgresql" else sqlite.insert
        values = {
            "office": office,
            "capabilities": capabilities,
            "cadre_authority": cadre_authority,
            "recorded_at": utcnow(),
        }
        await self.session.execute(
            insert(OfficeMember)
            .values(tenant=tenant, username=username, **values)
            .on_conflict_do_update(index_elements=["tenant", "username"], set_=values)
        )

    async def get(self, tenant: str, username: str) -> OfficeMember | None:
        return await self.session.get(OfficeMember, (tenant, username))
