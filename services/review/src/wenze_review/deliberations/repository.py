from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from wenze_review.deliberations.models import Approval, Deliberation


class DeliberationRepository:
    def __init__(self, session: AsyncSession):
        self.session = session

    def add(self, deliberation: Deliberation) -> None:
        self.session.add(deliberation)

    async def get(
        self, tenant: str, kind: str, deliberation_id: str, *, for_update: bool = False
    ) -> Deliberation | None:
        stmt = select(Deliberation).where(
            Deliberation.tenant == tenant, Deliberation.kind == kind, Deliberation.id == deliberation_id
        )
        if for_update:
            stmt = stmt.with_for_update()
        return await self.session.scalar(stmt)

    async def of_matter(self, tenant: str, matter_id: str) -> list[Deliberation]:
        stmt = select(Deliberation).where(Deliberation.tenant == tenant, Deliberation.matter_id == matter_id)
        return list((await self.session.scalars(stmt.order_by(Deliberation.created_at))).all())

    async def approvals(self, subject_id: str) -> list[Approval]:
        stmt = select(Approval).where(Approval.subject_id == subject_id).order_by(Approval.approved_at)
        return list((await self.session.scalars(stmt)).all())

    def add_approval(self, approval: Approval) -> None:
        self.session.add(approval)
