"""The facts review keeps per matter for the read rule, and that rule as a SQL clause."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from sqlalchemy import ColumnElement, SQLColumnExpression, and_, exists, false, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from wenze.auth.access import MatterAccess, ReadScope
from wenze.db.base import insert_new_rows
from wenze_review.access.models import LEVEL, OFFICE, UNIT, MatterAccessFact


def target_levels(targets: Iterable[Mapping[str, Any]]) -> list[str | None]:
    """The cadre and organisation levels of ``targets`` (target snapshots as stored)."""
    return [level for t in targets for level in (t.get("cadre_level"), t.get("org_level"))]


def target_units(targets: Iterable[Mapping[str, Any]]) -> list[str | None]:
    return [t.get("unit") for t in targets]


def fact_rows(
    tenant: str, matter_id: str, offices: Iterable[str | None], targets: Iterable[Mapping[str, Any]]
) -> list[dict[str, str]]:
    """The rows recording ``offices`` as party to the matter and the levels and units of ``targets``."""
    targets = list(targets)
    facts = {(OFFICE, o) for o in offices if o}
    facts |= {(LEVEL, level) for level in target_levels(targets) if level}
    facts |= {(UNIT, unit) for unit in target_units(targets) if unit}
    return [
        {"tenant": tenant, "matter_id": matter_id, "facet": facet, "value": value} for facet, value in sorted(facts)
    ]


def access_of(rows: Iterable[tuple[str, str]]) -> MatterAccess:
    """The matter's :class:`MatterAccess` from its ``(facet, value)`` facts.

    Review learns nothing of who submitted a matter (intake's events do not say), so
    ``submitted_by`` stays unknown: an integrator's service account reads nothing here."""
    by_facet: dict[str, list[str]] = {OFFICE: [], LEVEL: [], UNIT: []}
    for facet, value in rows:
        by_facet[facet].append(value)
    return MatterAccess.of(offices=by_facet[OFFICE], levels=by_facet[LEVEL], units=by_facet[UNIT])


def visible_to(
    scope: ReadScope, tenant: SQLColumnExpression[str], matter_id: SQLColumnExpression[str]
) -> ColumnElement[bool]:
    """``wenze.auth.access.visible`` as a clause over rows whose matter is ``(tenant, matter_id)``:
    correlated ``EXISTS`` over the matter's facts, so a list filters, orders and limits in one
    statement and a page never holds what its caller may not read."""
    if scope.integrator is not None:
        return false()

    def fact(facet: str, *conditions: ColumnElement[bool]) -> ColumnElement[bool]:
        return exists().where(
            MatterAccessFact.tenant == tenant,
            MatterAccessFact.matter_id == matter_id,
            MatterAccessFact.facet == facet,
            *conditions,
        )

    party = fact(OFFICE, MatterAccessFact.value == scope.office)
    outside = fact(LEVEL, MatterAccessFact.value.not_in(sorted(scope.authority))) if scope.authority else fact(LEVEL)
    if scope.oversees:
        reach: ColumnElement[bool] = ~outside
    elif scope.linked_units:
        reach = and_(~outside, fact(UNIT, MatterAccessFact.value.in_(sorted(scope.linked_units))))
    else:
        reach = false()
    return or_(party, reach)


def party_to(office: str, tenant: SQLColumnExpression[str], matter_id: SQLColumnExpression[str]) -> ColumnElement[bool]:
    """Whether ``office`` is party to the row's matter: what concerns the office, as opposed to
    what its oversight or linked units merely let it read."""
    return exists().where(
        MatterAccessFact.tenant == tenant,
        MatterAccessFact.matter_id == matter_id,
        MatterAccessFact.facet == OFFICE,
        MatterAccessFact.value == office,
    )


class AccessRepository:
    def __init__(self, session: AsyncSession):
        self.session = session

    async def note(
        self,
        tenant: str,
        matter_id: str,
        *,
        offices: Iterable[str | None] = (),
        targets: Iterable[Mapping[str, Any]] = (),
    ) -> None:
        """Record ``offices`` as party to the matter and the levels and units of ``targets``;
        facts already known are kept as they are (a redelivered event adds nothing)."""
        rows = fact_rows(tenant, matter_id, offices, targets)
        if not rows:
            return
        await insert_new_rows(self.session, MatterAccessFact, rows)

    async def of_matter(self, tenant: str, matter_id: str) -> MatterAccess:
        """What review knows of the matter (nothing known: no office, level or unit)."""
        stmt = select(MatterAccessFact.facet, MatterAccessFact.value).where(
            MatterAccessFact.tenant == tenant, MatterAccessFact.matter_id == matter_id
        )
        return access_of((facet, value) for facet, value in (await self.session.execute(stmt)).all())
