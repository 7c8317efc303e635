"""Reads and writes of the read model's rows; only this module builds their queries."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, TypeVar

from sqlalchemy import bindparam, delete, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from wenze.db.base import Base, among, insert_new_rows, table_of
from wenze_reporting.ledger.models import (
    PROJECTIONS,
    ReportAppeal,
    ReportDeadline,
    ReportExecution,
    ReportMatter,
    ReportMatterAccess,
    ReportSlip,
)
from wenze_reporting.progress.models import PROJECTIONS as PROGRESS_PROJECTIONS

M = TypeVar("M", bound=Base)

# Access facts, as review keeps them (wenze_review.access): an office party to the matter, a
# target's cadre or organisation level, a target's unit.
OFFICE = "office"
LEVEL = "level"
UNIT = "unit"


class LedgerRepository:
    def __init__(self, session: AsyncSession):
        self.session = session

    async def matters(self, tenant: str, ids: Iterable[str]) -> dict[str, ReportMatter]:
        """The matters ``ids``, each created empty if reporting has not heard of it yet; locked
        for this transaction, so two consumers filling different columns do not overwrite
        each other's."""
        ids = sorted(set(ids))
        if not ids:
            return {}
        await insert_new_rows(self.session, ReportMatter, [{"tenant": tenant, "id": i, "targets": []} for i in ids])
        stmt = (
            select(ReportMatter)
            .where(ReportMatter.tenant == tenant, among(self.session, ReportMatter.id, ids))
            .with_for_update()
            .execution_options(populate_existing=True)
        )
        return {m.id: m for m in (await self.session.scalars(stmt)).all()}

    async def add_new(self, model: type[Base], rows: Sequence[Mapping[str, Any]]) -> None:
        """Rows of events not seen before; a row already stored is kept as it is."""
        await insert_new_rows(self.session, model, rows)

    async def slips_decided(self, tenant: str, decided: Mapping[str, dt.date]) -> None:
        """Give the slips of each matter in ``decided`` its decision date, unless an earlier one is stored."""
        if not decided:
            return
        slips = table_of(ReportSlip)
        statement = (
            update(slips)
            .where(
                slips.c.tenant == tenant,
                slips.c.matter_id == bindparam("matter"),
                or_(slips.c.decided_on.is_(None), slips.c.decided_on > bindparam("day")),
            )
            .values(decided_on=bindparam("day"))
        )
        await self.session.execute(statement, [{"matter": m, "day": d} for m, d in sorted(decided.items())])

    async def note_access(self, tenant: str, facts: Iterable[tuple[str, str, str]]) -> None:
        """Record ``(matter_id, facet, value)`` facts about who may read a matter."""
        rows = [
            {"tenant": tenant, "matter_id": matter_id, "facet": facet, "value": value}
            for matter_id, facet, value in sorted(set(facts))
            if value
        ]
        await insert_new_rows(self.session, ReportMatterAccess, rows)

    async def existing(self, model: type[M], tenant: str, ids: Iterable[str]) -> dict[str, M]:
        """The stored rows of ``model`` (deadlines, executions, appeals: keyed by ``id``), locked
        for this transaction."""
        ids = sorted(set(ids))
        if not ids:
            return {}
        table: Any = model
        stmt = (
            select(model)
            .where(table.tenant == tenant, among(self.session, table.id, ids))
            .with_for_update()
            .execution_options(populate_existing=True)
        )
        return {row.id: row for row in (await self.session.scalars(stmt)).all()}  # type: ignore[attr-defined]

    async def deadlines(self, tenant: str, ids: Iterable[str]) -> dict[str, ReportDeadline]:
        return await self.existing(ReportDeadline, tenant, ids)

    async def executions(self, tenant: str, ids: Iterable[str]) -> dict[str, ReportExecution]:
        return await self.existing(ReportExecution, tenant, ids)

    async def appeals(self, tenant: str, ids: Iterable[str]) -> dict[str, ReportAppeal]:
        return await self.existing(ReportAppeal, tenant, ids)

    def add(self, row: Base) -> None:
        self.session.add(row)

    async def empty(self) -> dict[str, int]:
        """Delete every projected row of every tenant (a rebuild, in system scope)."""
        removed: dict[str, int] = {}
        for model in (*PROGRESS_PROJECTIONS, *PROJECTIONS):
            result = await self.session.execute(delete(model))
            removed[model.__tablename__] = result.rowcount  # type: ignore[attr-defined]
        return removed
