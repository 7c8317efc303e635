"""The reports' queries over the read model: counts by period, grouped as the reports need.

Every query takes a ``Visibility``: ``None`` when the caller sees every matter of the tenant
(an office overseeing them, with authority over every level the pack knows), else the clause
of ``wenze.auth.access`` over the matter each row belongs to.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, SQLColumnExpression, and_, exists, false, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from wenze.auth.access import ReadScope
from wenze_reporting.ledger.models import (
    ReportDeadline,
    ReportMatter,
    ReportMatterAccess,
    ReportMeasure,
    ReportSlip,
)
from wenze_reporting.ledger.repository import LEVEL, OFFICE, UNIT


@dataclass(frozen=True)
class Visibility:
    """The caller's read scope, or ``None`` scope: every matter of the tenant."""

    scope: ReadScope | None

    def clause(
        self, tenant: SQLColumnExpression[str], matter_id: SQLColumnExpression[str]
    ) -> ColumnElement[bool] | None:
        scope = self.scope
        if scope is None:
            return None
        if scope.integrator is not None:
            return false()

        def fact(facet: str, *conditions: ColumnElement[bool]) -> ColumnElement[bool]:
            return exists().where(
                ReportMatterAccess.tenant == tenant,
                ReportMatterAccess.matter_id == matter_id,
                ReportMatterAccess.facet == facet,
                *conditions,
            )

        party = fact(OFFICE, ReportMatterAccess.value == scope.office)
        outside = (
            fact(LEVEL, ReportMatterAccess.value.not_in(sorted(scope.authority))) if scope.authority else fact(LEVEL)
        )
        if scope.oversees:
            reach: ColumnElement[bool] = ~outside
        elif scope.linked_units:
            reach = and_(~outside, fact(UNIT, ReportMatterAccess.value.in_(sorted(scope.linked_units))))
        else:
            reach = false()
        return or_(party, reach)


def _where(
    visibility: Visibility, tenant: str, tenant_column: Any, matter_column: Any, *conditions: Any
) -> list[ColumnElement[bool]]:
    clauses = [tenant_column == tenant, *conditions]
    visible = visibility.clause(tenant_column, matter_column)
    if visible is not None:
        clauses.append(visible)
    return clauses


@dataclass
class MatterFigures:
    """The period's matter counts per date, and by source (received) and proposed form (accepted)."""

    totals: dict[str, int]
    by_source: dict[str | None, int]
    by_form: dict[str | None, int]


MATTER_DATES = {
    "received": ReportMatter.received_on,
    "accepted": ReportMatter.accepted_on,
    "rejected": ReportMatter.rejected_on,
    "routed": ReportMatter.routed_on,
    "consultations": ReportMatter.consultation_requested_on,
    "decided": ReportMatter.decided_on,
}


class ReportRepository:
    def __init__(self, session: AsyncSession):
        self.session = session

    async def matter_figures(self, tenant: str, start: dt.date, end: dt.date, visibility: Visibility) -> MatterFigures:
        """Matters received, accepted, rejected, routed, consulted on and decided in the period,
        with those received counted by source and those accepted by proposed form.

        One statement: the date indexes are OR-ed into one bitmap and every matter with any
        of its dates in the period is read once. Counting each date (and each grouping) on
        its own read the same rows from the heap up to eight times, which over a million
        matters took most of a report's time."""
        within = {key: column.between(start, end) for key, column in MATTER_DATES.items()}
        stmt = (
            select(
                ReportMatter.source,
                ReportMatter.proposed_form,
                *(func.count().filter(condition).label(key) for key, condition in within.items()),
            )
            .where(*_where(visibility, tenant, ReportMatter.tenant, ReportMatter.id, or_(*within.values())))
            .group_by(ReportMatter.source, ReportMatter.proposed_form)
        )
        figures = MatterFigures(totals=dict.fromkeys(MATTER_DATES, 0), by_source={}, by_form={})
        for row in (await self.session.execute(stmt)).mappings():
            for key in MATTER_DATES:
                figures.totals[key] += int(row[key])
            if row["received"]:
                figures.by_source[row["source"]] = figures.by_source.get(row["source"], 0) + int(row["received"])
            if row["accepted"]:
                form = row["proposed_form"]
                figures.by_form[form] = figures.by_form.get(form, 0) + int(row["accepted"])
        return figures

    async def matter_counts(self, tenant: str, start: dt.date, end: dt.date, visibility: Visibility) -> dict[str, int]:
        """Matters received, accepted, rejected, routed, consulted on and decided in the period."""
        return (await self.matter_figures(tenant, start, end, visibility)).totals

    async def measures(
        self, tenant: str, start: dt.date, end: dt.date, visibility: Visibility
    ) -> Sequence[tuple[str, int, str, str | None, str | None, str]]:
        """Every measure decided in the period: ``(decision, target index, target kind, level,
        unit, measure)``."""
        stmt = select(
            ReportMeasure.decision_id,
            ReportMeasure.target_index,
            ReportMeasure.target_kind,
            ReportMeasure.level,
            ReportMeasure.unit,
            ReportMeasure.measure,
        ).where(
            *_where(
                visibility,
                tenant,
                ReportMeasure.tenant,
                ReportMeasure.matter_id,
                ReportMeasure.decided_on.between(start, end),
            )
        )
        return [tuple(row) for row in (await self.session.execute(stmt)).all()]  # type: ignore[misc]

    async def office_figures(
        self, tenant: str, start: dt.date, end: dt.date, visibility: Visibility
    ) -> list[tuple[str | None, int, int, int]]:
        """Per handling office: slips routed in the period, slips whose matter was decided in
        it, and slips routed by ``end`` whose matter was not decided by then; one statement
        over the covering index of routed slips (a slip decided in the period and routed
        after it is found through the index of decided slips)."""
        routed = ReportSlip.routed_on.between(start, end)
        decided = ReportSlip.decided_on.between(start, end)
        still_open = and_(
            ReportSlip.routed_on <= end, or_(ReportSlip.decided_on.is_(None), ReportSlip.decided_on > end)
        )
        stmt = (
            select(
                ReportSlip.handler,
                func.count().filter(routed),
                func.count().filter(decided),
                func.count().filter(still_open),
            )
            .where(
                *_where(
                    visibility,
                    tenant,
                    ReportSlip.tenant,
                    ReportSlip.matter_id,
                    or_(ReportSlip.routed_on <= end, decided),
                )
            )
            .group_by(ReportSlip.handler)
        )
        return [
            (code, int(n_routed), int(n_decided), int(n_open))
            for code, n_routed, n_decided, n_open in (await self.session.execute(stmt)).all()
        ]

    async def open_slips(
        self, tenant: str, end: dt.date, visibility: Visibility
    ) -> list[tuple[str | None, int, dt.date | None]]:
        """Per handling office: slips routed by ``end`` whose matter was not decided by then,
        and the oldest of them."""
        undecided = or_(ReportSlip.decided_on.is_(None), ReportSlip.decided_on > end)
        stmt = (
            select(ReportSlip.handler, func.count(), func.min(ReportSlip.routed_on))
            .where(
                *_where(
                    visibility, tenant, ReportSlip.tenant, ReportSlip.matter_id, ReportSlip.routed_on <= end, undecided
                )
            )
            .group_by(ReportSlip.handler)
        )
        return [(code, int(n), oldest) for code, n, oldest in (await self.session.execute(stmt)).all()]

    async def missed_deadlines(
        self, tenant: str, start: dt.date, end: dt.date, visibility: Visibility
    ) -> list[ReportDeadline]:
        stmt = (
            select(ReportDeadline)
            .where(
                *_where(
                    visibility,
                    tenant,
                    ReportDeadline.tenant,
                    ReportDeadline.matter_id,
                    ReportDeadline.missed.is_(True),
                    ReportDeadline.due_on.between(start, end),
                )
            )
            .order_by(ReportDeadline.due_on, ReportDeadline.matter_number, ReportDeadline.id)
        )
        return list((await self.session.scalars(stmt)).all())
