from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import bindparam, literal, select, union_all
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from wenze.db.base import Base, utcnow
from wenze_routing.calendar.models import NationalYear, TenantLocalDays


@dataclass(frozen=True)
class CalendarStamps:
    national: tuple[tuple[int, dt.datetime], ...]
    local: tuple[tuple[int, dt.datetime], ...]


# Built once: building the statement cost more than running it.
_NATIONAL_STAMPS = select(literal(True).label("national"), NationalYear.year, NationalYear.loaded_at)
_STAMPS = union_all(
    _NATIONAL_STAMPS,
    select(literal(False), TenantLocalDays.year, TenantLocalDays.declared_at).where(
        TenantLocalDays.tenant == bindparam("tenant")
    ),
)


class CalendarRepository:
    def __init__(self, session: AsyncSession):
        self.session = session

    async def stamps(self, tenant: str | None) -> CalendarStamps:
        """Each loaded national year and each of ``tenant``'s years of local days (none without
        a tenant), with when it was stored, in one round trip: what a cached calendar is checked
        against."""
        if tenant is None:
            rows = (await self.session.execute(_NATIONAL_STAMPS)).all()
        else:
            rows = (await self.session.execute(_STAMPS, {"tenant": tenant})).all()
        return CalendarStamps(
            national=tuple(sorted((year, at) for is_national, year, at in rows if is_national)),
            local=tuple(sorted((year, at) for is_national, year, at in rows if not is_national)),
        )

    async def national_years(self) -> list[NationalYear]:
        return list(await self.session.scalars(select(NationalYear).order_by(NationalYear.year)))

    async def national_year(self, year: int) -> NationalYear | None:
        return await self.session.get(NationalYear, year)

    async def store_national(self, year: int, definition: dict[str, Any], loaded_by: str) -> NationalYear:
        await self._upsert(NationalYear, {"year": year, "definition": definition, "loaded_by": loaded_by}, "loaded_at")
        stored = await self.session.get(NationalYear, year, populate_existing=True)
        assert stored is not None
        return stored

    async def local_days(self, tenant: str) -> list[TenantLocalDays]:
        stmt = select(TenantLocalDays).where(TenantLocalDays.tenant == tenant).order_by(TenantLocalDays.year)
        return list(await self.session.scalars(stmt))

    async def local_year(self, tenant: str, year: int) -> TenantLocalDays | None:
        return await self.session.get(TenantLocalDays, (tenant, year))

    async def store_local(self, tenant: str, year: int, days: dict[str, Any], declared_by: str) -> TenantLocalDays:
        values = {"tenant": tenant, "year": year, "days": days, "declared_by": declared_by}
        await self._upsert(TenantLocalDays, values, "declared_at")
        stored = await self.session.get(TenantLocalDays, (tenant, year), populate_existing=True)
        assert stored is not None
        return stored

    async def _upsert(self, model: type[Base], values: dict[str, Any], stamp: str) -> None:
        # One statement, so two operators storing the same year at once both succeed, the later winning.
        insert = postgresql.insert if self.session.get_bind().dialect.name == "postgresql" else sqlite.insert
        row = {**values, stamp: utcnow()}
        keys = [column.name for column in model.__table__.primary_key]
        statement = insert(model).values(row)
        await self.session.execute(
            statement.on_conflict_do_update(index_elements=keys, set_={k: v for k, v in row.items() if k not in keys})
        )
