from __future__ import annotations

import datetime as dt

from sqlalchemy import insert, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from wenze.db.base import utcnow
from wenze_intake.imports.models import ImportJob, ImportRowError

# A running job whose runner has not reported for this long is taken over by another runner.
# The worker running a job reports every STALE_AFTER / 6, however long a batch takes.
STALE_AFTER = dt.timedelta(seconds=30)


class ImportRepository:
    def __init__(self, session: AsyncSession):
        self.session = session

    def add(self, job: ImportJob) -> None:
        self.session.add(job)

    async def get(self, tenant: str, job_id: str) -> ImportJob | None:
        return await self.session.scalar(select(ImportJob).where(ImportJob.tenant == tenant, ImportJob.id == job_id))

    async def claim_next(self) -> ImportJob | None:
        """Take a queued job, or a running one whose runner died; skips jobs others hold."""
        now = utcnow()
        stmt = (
            select(ImportJob)
            .where(
                or_(
                    ImportJob.state == "queued",
                    (ImportJob.state == "running") & (ImportJob.heartbeat_at < now - STALE_AFTER),
                )
            )
            .order_by(ImportJob.created_at)
            .limit(1)
            .with_for_update(skip_locked=True)
        )
        job = await self.session.scalar(stmt)
        if job is not None:
            job.state = "running"
            job.started_at = job.started_at or now
            job.heartbeat_at = now
        return job

    async def find(self, job_id: str) -> ImportJob | None:
        return await self.session.get(ImportJob, job_id)

    async def heartbeat(self, job_id: str) -> None:
        await self.session.execute(
            update(ImportJob).where(ImportJob.id == job_id, ImportJob.state == "running").values(heartbeat_at=utcnow())
        )

    async def requeue(self, job_id: str) -> None:
        await self.session.execute(
            update(ImportJob).where(ImportJob.id == job_id, ImportJob.state == "running").values(state="queued")
        )

    async def lock(self, job_id: str) -> ImportJob:
        # FOR NO KEY UPDATE: the next batch's row errors reference the job (a key-share lock),
        # which must not wait for this lock while this batch waits for that batch (ADR 0006).
        # The job is the caller's running job: it exists, and its absence is an error here.
        stmt = select(ImportJob).where(ImportJob.id == job_id).with_for_update(key_share=True)
        return (await self.session.execute(stmt)).scalar_one()

    async def add_row_errors(self, job_id: str, rows: list[tuple[int, list[dict]]]) -> None:
        if rows:
            await self.session.execute(
                insert(ImportRowError), [{"job_id": job_id, "row": r, "errors": e} for r, e in rows]
            )

    async def row_errors(self, job_id: str, after: int, limit: int) -> list[ImportRowError]:
        stmt = (
            select(ImportRowError)
            .where(ImportRowError.job_id == job_id, ImportRowError.row > after)
            .order_by(ImportRowError.row)
            .limit(limit)
        )
        return list((await self.session.scalars(stmt)).all())

    async def mark_failed(self, job_id: str, reason: str) -> None:
        """Fail a running job; one that has completed or failed meanwhile keeps its outcome."""
        await self.session.execute(
            update(ImportJob)
            .where(ImportJob.id == job_id, ImportJob.state == "running")
            .values(state="failed", failure=reason, finished_at=utcnow())
        )
