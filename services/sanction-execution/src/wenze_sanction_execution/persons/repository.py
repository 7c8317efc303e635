from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from wenze.db.base import insert_new_rows
from wenze.ids import new_id
from wenze_sanction_execution.persons.models import EFFECTS, AfterEffect, EffectState, Person


class PersonRepository:
    def __init__(self, session: AsyncSession):
        self.session = session

    async def find_or_add(self, tenant: str, target: dict[str, Any]) -> Person:
        """The person a decision's target names, added on first sight; two decisions naming the
        same person at once both end with the one row (the insert keeps a row already there)."""
        identity = {
            "tenant": tenant,
            "kind": target.get("kind") or "unknown",
            "name": target.get("name") or "",
            "unit": target.get("unit") or "",
        }
        row = {"id": new_id(), "post": target.get("post"), "cadre_level": target.get("cadre_level"), **identity}
        await insert_new_rows(self.session, Person, [row])
        person = await self.session.scalar(
            select(Person).where(*(getattr(Person, k) == v for k, v in identity.items()))
        )
        assert person is not None
        return person

    async def get(self, tenant: str, person_id: str) -> Person | None:
        return await self.session.scalar(select(Person).where(Person.tenant == tenant, Person.id == person_id))

    async def search(
        self, tenant: str, name: str | None, unit: str | None, ids: Sequence[str] | None, limit: int
    ) -> list[Person]:
        stmt = select(Person).where(Person.tenant == tenant)
        if name:
            stmt = stmt.where(Person.name == name)
        if unit:
            stmt = stmt.where(Person.unit == unit)
        if ids is not None:
            stmt = stmt.where(Person.id.in_(list(ids)))
        return list(await self.session.scalars(stmt.order_by(Person.name, Person.id).limit(limit)))

    async def add_effects(self, effects: Sequence[AfterEffect]) -> None:
        self.session.add_all(effects)
        await self.session.flush()

    async def effects(self, tenant: str, person_id: str, purpose: str | None = None) -> list[AfterEffect]:
        stmt = select(AfterEffect).where(AfterEffect.tenant == tenant, AfterEffect.person_id == person_id)
        if purpose is not None:
            stmt = stmt.where(AfterEffect.purpose == purpose)
        return list(await self.session.scalars(stmt.order_by(AfterEffect.starts_on, AfterEffect.id)))

    async def active_effects_of_decision(self, tenant: str, person_id: str, decision_id: str) -> list[AfterEffect]:
        stmt = select(AfterEffect).where(
            AfterEffect.tenant == tenant,
            AfterEffect.person_id == person_id,
            AfterEffect.decision_id == decision_id,
            AfterEffect.state == EffectState.ACTIVE,
        )
        return list(await self.session.scalars(stmt))

    async def lift(self, effect: AfterEffect) -> None:
        await EFFECTS.move(self.session, effect, "lift")
