from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from wenze.db.numbering import reserve_numbers
from wenze_routing.slips.models import RoutingSlip, SlipEvent

SLIP_NUMBERING = "routing_slip"


class SlipRepository:
    def __init__(self, session: AsyncSession):
        self.session = session

    async def reserve_numbers(self, tenant: str, year: int, count: int = 1) -> range:
        """The next ``count`` slip sequence numbers; the counter row stays locked until commit,
        so concurrent routings queue and a rollback gives the numbers back (no gaps)."""
        return await reserve_numbers(self.session, tenant, SLIP_NUMBERING, year, count)

    def add(self, slip: RoutingSlip) -> None:
        self.session.add(slip)

    def record(
        self, slip: RoutingSlip, actor: str, office: str | None, action: str, detail: dict, citations: list[str]
    ) -> None:
        self.session.add(
            SlipEvent(
                slip_id=slip.id,
                actor=actor,
                office=office,
                action=action,
                state=slip.state,
                detail=detail,
                citations=citations,
            )
        )

    async def get(self, tenant: str, slip_id: str, *, for_update: bool = False) -> RoutingSlip | None:
        stmt = select(RoutingSlip).where(RoutingSlip.tenant == tenant, RoutingSlip.id == slip_id)
        if for_update:
            stmt = stmt.with_for_update()
        return await self.session.scalar(stmt)

    async def list(self, tenant: str, *, matter_id: str | None, state: str | None, limit: int) -> list[RoutingSlip]:
        stmt = select(RoutingSlip).where(RoutingSlip.tenant == tenant)
        if matter_id is not None:
            stmt = stmt.where(RoutingSlip.matter_id == matter_id)
        if state is not None:
            stmt = stmt.where(RoutingSlip.state == state)
        stmt = stmt.order_by(RoutingSlip.created_at, RoutingSlip.id).limit(limit)
        return list(await self.session.scalars(stmt))

    async def timeline(self, slip_id: str) -> list[SlipEvent]:
        stmt = select(SlipEvent).where(SlipEvent.slip_id == slip_id).order_by(SlipEvent.id)
        return list(await self.session.scalars(stmt))
