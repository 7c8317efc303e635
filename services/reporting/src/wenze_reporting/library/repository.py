"""The case library's queries: decided cases with their marks."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import and_, select
from sqlalchemy.ext.asyncio import AsyncSession

from wenze_reporting.ledger.models import ReportDecision, ReportMatter
from wenze_reporting.library.models import CaseMark, MarkState
from wenze_reporting.reports.repository import Visibility


class LibraryRepository:
    def __init__(self, session: AsyncSession):
        self.session = session

    async def cases(
        self, tenant: str, start: dt.date, end: dt.date, visibility: Visibility, *, typical_only: bool = False
    ) -> list[tuple[ReportDecision, str | None, str | None]]:
        """Decisions made in the period: each with its matter's summary and its mark's state."""
        stmt = (
            select(ReportDecision, ReportMatter.summary, CaseMark.state)
            .outerjoin(
                ReportMatter,
                and_(ReportMatter.tenant == ReportDecision.tenant, ReportMatter.id == ReportDecision.matter_id),
            )
            .outerjoin(
                CaseMark, and_(CaseMark.tenant == ReportDecision.tenant, CaseMark.decision_id == ReportDecision.id)
            )
            .where(ReportDecision.tenant == tenant, ReportDecision.decided_on.between(start, end))
            .order_by(ReportDecision.decided_on, ReportDecision.number, ReportDecision.id)
        )
        visible = visibility.clause(ReportDecision.tenant, ReportDecision.matter_id)
        if visible is not None:
            stmt = stmt.where(visible)
        if typical_only:
            stmt = stmt.where(CaseMark.state == MarkState.TYPICAL)
        return [(decision, summary, state) for decision, summary, state in (await self.session.execute(stmt)).all()]

    async def case(self, tenant: str, decision_id: str, visibility: Visibility) -> ReportDecision | None:
        stmt = select(ReportDecision).where(ReportDecision.tenant == tenant, ReportDecision.id == decision_id)
        visible = visibility.clause(ReportDecision.tenant, ReportDecision.matter_id)
        if visible is not None:
            stmt = stmt.where(visible)
        return await self.session.scalar(stmt)

    async def mark(self, tenant: str, decision_id: str) -> CaseMark | None:
        stmt = select(CaseMark).where(CaseMark.tenant == tenant, CaseMark.decision_id == decision_id)
        return await self.session.scalar(stmt)

    def add_mark(self, mark: CaseMark) -> None:
        self.session.add(mark)
