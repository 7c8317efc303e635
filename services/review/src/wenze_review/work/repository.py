from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from wenze.db.base import utcnow
from wenze_review.work.models import Task, TimelineEntry

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
    ) -> Task:
        task = Task(
            tenant=tenant,
            kind=kind,
            office=office,
            capability=capability,
            matter_id=matter_id,
            case_id=case_id,
            subject_id=subject_id,
            target_index=target_index,
            citations=list(citations),
            state="open",
            history=[{"at": utcnow().isoformat(), "action": "opened", "by": SYSTEM}],
        )
        self.session.add(task)
        return task

    async def close_tasks(
        self, subject_id: str, kind: str, by: str, *, office: str | None = None, target_index: int | None = None
    ) -> None:
        stmt = select(Task).where(Task.subject_id == subject_id, Task.kind == kind, Task.state == "open")
        if office is not None:
            stmt = stmt.where(Task.office == office)
        if target_index is not None:
            stmt = stmt.where(Task.target_index == target_index)
        now = utcnow()
        for task in (await self.session.scalars(stmt)).all():
            task.state = "done"
            task.closed_at = now
            task.closed_by = by
            task.history = [*task.history, {"at": now.isoformat(), "action": "done", "by": by}]

    async def cancel_open(self, subject_id: str, by: str) -> None:
        """Steps that no longer apply (e.g. the case was reclassified) leave the queues."""
        now = utcnow()
        await self.session.execute(
            update(Task)
            .where(Task.subject_id == subject_id, Task.state == "open")
            .values(state="cancelled", closed_at=now, closed_by=by)
        )

    async def get_task(self, tenant: str, task_id: str, *, for_update: bool = False) -> Task | None:
        stmt = select(Task).where(Task.tenant == tenant, Task.id == task_id)
        if for_update:
            stmt = stmt.with_for_update()
        return await self.session.scalar(stmt)

    async def tasks(self, tenant: str, office: str, state: str | None, limit: int) -> list[Task]:
        stmt = select(Task).where(Task.tenant == tenant, Task.office == office)
        if state:
            stmt = stmt.where(Task.state == state)
        stmt = stmt.order_by(Task.created_at, Task.id).limit(limit)
        return list((await self.session.scalars(stmt)).all())

    async def tasks_of_case(self, tenant: str, case_id: str) -> list[Task]:
        stmt = select(Task).where(Task.tenant == tenant, Task.case_id == case_id).order_by(Task.created_at)
        return list((await self.session.scalars(stmt)).all())

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
