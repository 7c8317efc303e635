from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from wenze.db.base import Base, utcnow
from wenze_review.calendar.models import RoutingCalendarYear, RoutingLocalDays


class CalendarRepository:
    def __init__(self, session: AsyncSession):
        self.session = session

    async def national_stamps(self) -> list[tuple[int, dt.datetime]]:
        """Each stored national year with routing's stamp: what a cached calendar is checked against."""
        rows = await self.session.execute(
            select(RoutingCalendarYear.year, RoutingCalendarYear.loaded_at).order_by(RoutingCalendarYear.year)
        )
        return [(year, loaded_at) for year, loaded_at in rows]

    async def national_years(self) -> list[RoutingCalendarYear]:
        return list(await self.session.scalars(select(RoutingCalendarYear).order_by(RoutingCalendarYear.year)))

    async def local_days(self, tenant: str) -> list[RoutingLocalDays]:
        stmt = select(RoutingLocalDays).where(RoutingLocalDays.tenant == tenant).order_by(RoutingLocalDays.year)
        return list(await self.session.scalars(stmt))

    async def store_national(
        self, year: int, definition: dict[str, Any], loaded_by: str, loaded_at: dt.datetime
    ) -> bool:
        """Keep the year unless a later load of it is stored already; whether it was kept."""
        values = {"year": year, "definition": definition, "loaded_by": loaded_by, "loaded_at": loaded_at}
        return await self._store_if_later(RoutingCalendarYear, values, "loaded_at")

    async def store_local(
        self, tenant: str, year: int, days: dict[str, Any], declared_by: str, declared_at: dt.datetime
    ) -> bool:
        """Keep the tenant's days of the year unless a later declaration is stored already."""
        values = {"tenant": tenant, "year": year, "days": days, "declared_by": declared_by, "declared_at": declared_at}
        return await self._store_if_later(RoutingLocalDays, values, "declared_at")

    async def _store_if_later(self, model: type[Base], values: dict[str, Any], stamp: str) -> bool:
        # One statement: an insert, or an update only of an earlier row, so events delivered out
        # of order (or twice) leave the latest state.
        insert = postgresql.insert if self.session.get_bind().dialect.name == "postgresql" else sqlite.insert
        row = {**values, "received_at": utcnow()}
        keys = [column.name for column in model.__table__.primary_key]
        statement = insert(model).values(row)
        table = model.__table__
        result = await self.session.execute(
            statement.on_conflict_do_update(
                index_elements=keys,
                set_={k: v for k, v in row.items() if k not in keys},
                where=table.c[stamp] < statement.excluded[stamp],
            ).returning(table.c[keys[0]])
        )
        return result.first() is not None
