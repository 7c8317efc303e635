from __future__ import annotations

import datetime as dt

from sqlalchemy import bindparam, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from wenze.db.base import utcnow
from wenze.rules.readings import ReadingChoice
from wenze_routing.interpretations.models import InterpretationChoice

# Built once: every routed batch reads its tenant's choices, and building the statement cost
# more than running it.
_READING_CHOICES = select(
    InterpretationChoice.point,
    InterpretationChoice.reading,
    InterpretationChoice.effective_from,
    InterpretationChoice.version,
).where(InterpretationChoice.tenant == bindparam("tenant"))


class InterpretationRepository:
    def __init__(self, session: AsyncSession):
        self.session = session

    async def choices(self, tenant: str) -> list[InterpretationChoice]:
        stmt = (
            select(InterpretationChoice)
            .where(InterpretationChoice.tenant == tenant)
            .order_by(InterpretationChoice.point, InterpretationChoice.version)
        )
        return list(await self.session.scalars(stmt))

    async def reading_choices(self, tenant: str) -> list[ReadingChoice]:
        """The tenant's choices as :func:`wenze.rules.readings.readings_in_force` reads them."""
        return [ReadingChoice(*row) for row in await self.session.execute(_READING_CHOICES, {"tenant": tenant})]

    async def next_version(self, tenant: str, point: str) -> int:
        stmt = select(func.coalesce(func.max(InterpretationChoice.version), 0)).where(
            InterpretationChoice.tenant == tenant, InterpretationChoice.point == point
        )
        return int(await self.session.scalar(stmt) or 0) + 1

    async def add(
        self,
        tenant: str,
        point: str,
        version: int,
        reading: str,
        effective_from: dt.date,
        reason: str,
        chosen_by: str,
    ) -> InterpretationChoice:
        row = InterpretationChoice(
            tenant=tenant,
            point=point,
            version=version,
            reading=reading,
            effective_from=effective_from,
            reason=reason,
            chosen_by=chosen_by,
            chosen_at=utcnow(),
        )
        self.session.add(row)
        # Flushed here so that a concurrent choice of the same version fails on the key now.
        await self.session.flush()
        return row
