from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from wenze_sanction_execution.appeals.models import APPEALS, Appeal, AppealState


class AppealRepository:
    def __init__(self, session: AsyncSession):
        self.session = session

    async def add(self, appeal: Appeal) -> None:
        self.session.add(appeal)
        await self.session.flush()

    async def get(self, tenant: str, appeal_id: str) -> Appeal | None:
        return await self.session.scalar(select(Appeal).where(Appeal.tenant == tenant, Appeal.id == appeal_id))

    async def pending_for(self, tenant: str, decision_id: str, person_id: str) -> Appeal | None:
        return await self.session.scalar(
            select(Appeal).where(
                Appeal.tenant == tenant,
                Appeal.decision_id == decision_id,
                Appeal.person_id == person_id,
                Appeal.state == AppealState.FILED,
            )
        )

    async def decide(self, appeal: Appeal, **values: Any) -> None:
        await APPEALS.move(self.session, appeal, "decide", **values)
