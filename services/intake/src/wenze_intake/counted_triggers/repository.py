from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from sqlalchemy import select, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from wenze.db.base import insert_new_rows, table_of
from wenze_intake.counted_triggers.models import CountedDecision, TriggerFiring


class CountedTriggerRepository:
    def __init__(self, session: AsyncSession):
        self.session = session

    async def lock_organisation(self, tenant: str, organisation: str) -> None:
        """Hold the organisation's counts until the transaction ends.

        Two decisions of one organisation counted at once would each see only the other's
        committed rows, and a trigger needing both would fire for neither. The lock makes the
        second wait for the first to commit; its next read sees both. SQLite writes one
        transaction at a time, so it needs none."""
        if self.session.get_bind().dialect.name != "postgresql":
            return
        await self.session.execute(
            text("SELECT pg_advisory_xact_lock(hashtextextended(:key, 0))"),
            {"key": f"counted_triggers\x1f{tenant}\x1f{organisation}"},
        )

    async def count(self, rows: Sequence[dict[str, Any]]) -> None:
        """Add counted decisions; a target of a decision already counted is kept as it is."""
        await insert_new_rows(self.session, CountedDecision, rows)

    async def counted_in(self, tenant: str, organisation: str, start: dt.date, end: dt.date) -> list[CountedDecision]:
        """The organisation's counted decisions dated in ``[start, end)``."""
        stmt = (
            select(CountedDecision)
            .where(
                CountedDecision.tenant == tenant,
                CountedDecision.organisation == organisation,
                CountedDecision.decided_on >= start,
                CountedDecision.decided_on < end,
            )
            .order_by(CountedDecision.decided_on, CountedDecision.decision_number, CountedDecision.target_index)
        )
        return list((await self.session.scalars(stmt)).all())

    async def claim(self, rows: Sequence[dict[str, Any]]) -> set[str]:
        """Record firings; the triggers of the rows stored now, not those that had fired before.

        The key (tenant, organisation, decision, window start, trigger) refuses a second
        firing, in this transaction or any other, so the caller opens a matter only for what
        this returns."""
        if not rows:
            return set()
        insert = postgresql.insert if self.session.get_bind().dialect.name == "postgresql" else sqlite.insert
        table = table_of(TriggerFiring)
        stmt = insert(table).on_conflict_do_nothing().returning(table.c.trigger)
        stored: set[str] = set()
        # One statement per row: RETURNING with several VALUES rows is not portable.
        for row in rows:
            stored.update((await self.session.scalars(stmt, row)).all())
        return stored

    async def firings_of_matter(self, tenant: str, matter_id: str) -> list[TriggerFiring]:
        stmt = (
            select(TriggerFiring)
            .where(TriggerFiring.tenant == tenant, TriggerFiring.matter_id == matter_id)
            .order_by(TriggerFiring.trigger)
        )
        return list((await self.session.scalars(stmt)).all())

    async def firings_in(
        self, tenant: str, organisation: str, decision: str, start: dt.date, end: dt.date
    ) -> list[TriggerFiring]:
        """The firings made by a decision dated in ``[start, end)``."""
        stmt = select(TriggerFiring).where(
            TriggerFiring.tenant == tenant,
            TriggerFiring.organisation == organisation,
            TriggerFiring.decision == decision,
            TriggerFiring.fired_on >= start,
            TriggerFiring.fired_on < end,
        )
        return list((await self.session.scalars(stmt)).all())
