from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import insert, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from wenze.db.base import utcnow
from wenze_intake.imports.models import IMPORT_JOBS, ImportJob, ImportJobState, ImportRowError

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

    async def next_claimable(self) -> ImportJob | None:
        """The oldest queued job, or running one whose runner stopped reporting."""
        stale_before = utcnow() - STALE_AFTER
        stmt = (
            select(ImportJob)
            .where(
                or_(
                    ImportJob.state == ImportJobState.QUEUED,
                    (ImportJob.state == ImportJobState.RUNNING) & (ImportJob.heartbeat_at < stale_before),
                )
            )
            .order_by(ImportJob.created_at)
            .limit(1)
        )
        return await self.session.scalar(stmt)

    async def claim(self, job: ImportJob) -> None:
        """Make ``job`` this runner's; refused if another runner claimed it since it was read."""
        now = utcnow()
        action = "take_over" if job.state == ImportJobState.RUNNING else "claim"
        await IMPORT_JOBS.move(
            self.session, job, action, unchanged=("heartbeat_at",), started_at=job.started_at or now, heartbeat_at=now
        )

    async def move(self, job: ImportJob, action: str, **values: Any) -> ImportJobState:
        """Move ``job`` by ``action`` (see IMPORT_JOBS) if nothing moved it first."""
        return await IMPORT_JOBS.move(self.session, job, action, **values)

    async def find(self, job_id: str) -> ImportJob | None:
        return await self.session.get(ImportJob, job_id)

    async def finished(self, job_ids: list[str]) -> list[str]:
        """Those of ``job_ids`` that have completed or failed."""
        stmt = select(ImportJob.id).where(
            ImportJob.id.in_(job_ids), ImportJob.state.in_([ImportJobState.COMPLETED, ImportJobState.FAILED])
        )
        return list((await self.session.scalars(stmt)).all())

    async def heartbeat(self, job_id: str) -> None:
        await self.session.execute(
            update(ImportJob)
            .where(ImportJob.id == job_id, ImportJob.state == ImportJobState.RUNNING)
            .values(heartbeat_at=utcnow())
        )

    async def set_total(self, job_id: str, total: int) -> None:
        """The file's row count, found when the job starts (a running job's progress)."""
        await self.session.execute(
            update(ImportJob)
            .where(ImportJob.id == job_id, ImportJob.state == ImportJobState.RUNNING)
            .values(total_rows=total)
        )

    async def lock(self, job_id: str) -> ImportJob:
        # FOR NO KEY UPDATE: the key-share lock a row error's foreign key takes on the job
        # does not conflict with it.
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
