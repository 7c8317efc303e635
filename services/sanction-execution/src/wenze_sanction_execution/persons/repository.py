from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from sqlalchemy import or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from wenze.db.base import insert_new_rows
from wenze.ids import new_id
from wenze_sanction_execution.persons.models import EFFECTS, AfterEffect, EffectState, IdentifiedBy, Person


class PersonRepository:
    def __init__(self, session: AsyncSession):
        self.session = session

    async def find_or_add(self, tenant: str, target: dict[str, Any], decided_on: dt.date) -> Person:
        """The person a decision's target names, added on first sight; two decisions naming the
        same person at once both end with the one row (the insert keeps a row already there).

        A target with a ``person_ref`` is that person whatever unit or post it names: a decision
        at least as recent as the one the row is as of moves the row to its name, unit, post and
        level. Without one, the person is whoever has the target's kind, name and unit."""
        current = {
            "name": target.get("name") or "",
            "unit": target.get("unit") or "",
            "post": target.get("post"),
            "cadre_level": target.get("cadre_level"),
        }
        reference = target.get("person_ref")
        kind = target.get("kind") or "unknown"
        row = {
            "id": new_id(),
            "tenant": tenant,
            "kind": kind,
            "person_ref": reference,
            "identified_by": IdentifiedBy.PERSON_REF if reference else IdentifiedBy.NAME_AND_UNIT,
            "current_as_of": decided_on,
            **current,
        }
        await insert_new_rows(self.session, Person, [row])
        if reference:
            found = select(Person).where(Person.tenant == tenant, Person.person_ref == reference)
            await self.session.execute(
                update(Person)
                .where(
                    Person.tenant == tenant,
                    Person.person_ref == reference,
                    or_(Person.current_as_of.is_(None), Person.current_as_of <= decided_on),
                )
                .values(current_as_of=decided_on, **current)
                .execution_options(synchronize_session=False)
            )
        else:
            found = select(Person).where(
                Person.tenant == tenant,
                Person.person_ref.is_(None),
                Person.kind == kind,
                Person.name == current["name"],
                Person.unit == current["unit"],
            )
        person = await self.session.scalar(found.execution_options(populate_existing=True))
        assert person is not None
        return person

    async def by_reference(self, tenant: str, reference: str) -> Person | None:
        return await self.session.scalar(select(Person).where(Person.tenant == tenant, Person.person_ref == reference))

    async def get(self, tenant: str, person_id: str) -> Person | None:
        return await self.session.scalar(select(Person).where(Person.tenant == tenant, Person.id == person_id))

    async def search(
        self,
        tenant: str,
        name: str | None,
        unit: str | None,
        ids: Sequence[str] | None,
        limit: int,
        reference: str | None = None,
    ) -> list[Person]:
        stmt = select(Person).where(Person.tenant == tenant)
        if reference is not None:
            stmt = stmt.where(Person.person_ref == reference)
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

    async def effects_of_decisions(
        self, tenant: str, decision_ids: Sequence[str], person_ids: Sequence[str]
    ) -> list[AfterEffect]:
        """Every period, active or lifted, the decisions set for the persons; the caller pairs them."""
        if not decision_ids:
            return []
        stmt = select(AfterEffect).where(
            AfterEffect.tenant == tenant,
            AfterEffect.decision_id.in_(list(decision_ids)),
            AfterEffect.person_id.in_(list(person_ids)),
        )
        return list(await self.session.scalars(stmt.order_by(AfterEffect.purpose, AfterEffect.starts_on)))

    async def lift(self, effect: AfterEffect) -> None:
        await EFFECTS.move(self.session, effect, "lift")
