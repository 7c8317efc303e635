"""Reads and writes of the matters' progress and timelines; only this module builds their queries."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from sqlalchemy import and_, delete, exists, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from wenze.db.base import among, insert_new_rows, table_of
from wenze_reporting.progress.models import MatterHolder, MatterProgress, TimelineEntry
from wenze_reporting.reports.repository import Visibility


class ProgressRepository:
    def __init__(self, session: AsyncSession):
        self.session = session

    async def add_entries(self, rows: Sequence[Mapping[str, Any]]) -> None:
        """Entries of events not seen before; an event already on a timeline is kept as it is."""
        await insert_new_rows(self.session, TimelineEntry, rows)

    async def entries(self, tenant: str, matter_ids: Iterable[str]) -> dict[str, list[TimelineEntry]]:
        ids = sorted(set(matter_ids))
        if not ids:
            return {}
        of_matters = among(self.session, TimelineEntry.matter_id, ids)
        stmt = select(TimelineEntry).where(TimelineEntry.tenant == tenant, of_matters)
        found: dict[str, list[TimelineEntry]] = {}
        for entry in (await self.session.scalars(stmt)).all():
            found.setdefault(entry.matter_id, []).append(entry)
        return found

    async def stages(self, tenant: str, matter_ids: Iterable[str]) -> dict[str, list[Any]]:
        """Of every entry of the matters, only what their progress is computed from: rows, not
        objects, without the words and citations, read again for every batch of events."""
        ids = sorted(set(matter_ids))
        if not ids:
            return {}
        timeline = table_of(TimelineEntry)
        stmt = select(
            timeline.c.matter_id,
            timeline.c.event_id,
            timeline.c.occurred_at,
            timeline.c.stage,
            timeline.c.holders,
            timeline.c.subject_id,
        ).where(timeline.c.tenant == tenant, among(self.session, timeline.c.matter_id, ids))
        found: dict[str, list[Any]] = {}
        for row in (await self.session.execute(stmt)).all():
            found.setdefault(row.matter_id, []).append(row)
        return found

    async def put_progress(
        self, tenant: str, rows: Sequence[Mapping[str, Any]], holders: Mapping[str, Sequence[str]]
    ) -> None:
        """Replace the progress rows and holding offices of the matters in ``rows``."""
        ids = sorted(row["matter_id"] for row in rows)
        if not ids:
            return
        # The matters are locked by the ledger for this transaction: nobody else writes them now.
        for model in (MatterHolder, MatterProgress):
            await self.session.execute(
                delete(table_of(model)).where(model.tenant == tenant, among(self.session, model.matter_id, ids))
            )
        await insert_new_rows(self.session, MatterProgress, rows)
        await insert_new_rows(
            self.session,
            MatterHolder,
            [
                {"tenant": tenant, "matter_id": matter_id, "office": office}
                for matter_id in ids
                for office in dict.fromkeys(holders.get(matter_id, ()))
            ],
        )

    async def _holders(self, tenant: str, matter_ids: Sequence[str]) -> dict[str, list[str]]:
        if not matter_ids:
            return {}
        stmt = (
            select(MatterHolder.matter_id, MatterHolder.office)
            .where(MatterHolder.tenant == tenant, among(self.session, MatterHolder.matter_id, matter_ids))
            .order_by(MatterHolder.matter_id, MatterHolder.office)
        )
        found: dict[str, list[str]] = {}
        for matter_id, office in (await self.session.execute(stmt)).all():
            found.setdefault(matter_id, []).append(office)
        return found

    async def progress(
        self, tenant: str, matter_id: str, visibility: Visibility
    ) -> tuple[MatterProgress, list[str]] | None:
        """The matter's progress and holding offices, if the caller may read the matter."""
        stmt = select(MatterProgress).where(MatterProgress.tenant == tenant, MatterProgress.matter_id == matter_id)
        visible = visibility.clause(MatterProgress.tenant, MatterProgress.matter_id)
        if visible is not None:
            stmt = stmt.where(visible)
        progress = await self.session.scalar(stmt)
        if progress is None:
            return None
        return progress, (await self._holders(tenant, [matter_id])).get(matter_id, [])

    async def page(
        self,
        tenant: str,
        visibility: Visibility,
        *,
        office: str | None,
        stage: str | None,
        limit: int,
        offset: int,
    ) -> tuple[int, list[tuple[MatterProgress, list[str]]]]:
        """The matters the caller may read, held by ``office`` and in ``stage`` where given,
        the most recently moved first; with how many there are in all."""
        conditions: list[Any] = [MatterProgress.tenant == tenant]
        visible = visibility.clause(MatterProgress.tenant, MatterProgress.matter_id)
        if visible is not None:
            conditions.append(visible)
        if stage is not None:
            conditions.append(MatterProgress.stage == stage)
        if office is not None:
            conditions.append(
                exists().where(
                    and_(
                        MatterHolder.tenant == MatterProgress.tenant,
                        MatterHolder.matter_id == MatterProgress.matter_id,
                        MatterHolder.office == office,
                    )
                )
            )
        total = await self.session.scalar(select(func.count()).select_from(MatterProgress).where(*conditions))
        stmt = (
            select(MatterProgress)
            .where(*conditions)
            .order_by(MatterProgress.last_event_at.desc(), MatterProgress.matter_id)
            .limit(limit)
            .offset(offset)
        )
        rows = list((await self.session.scalars(stmt)).all())
        holders = await self._holders(tenant, [row.matter_id for row in rows])
        return total or 0, [(row, holders.get(row.matter_id, [])) for row in rows]
