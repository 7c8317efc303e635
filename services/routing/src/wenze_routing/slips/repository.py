from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from wenze.db.base import utcnow
from wenze.db.numbering import reserve_numbers
from wenze_routing.slips.models import SLIPS, RoutingSlip, SlipEvent, SlipState

SLIP_NUMBERING = "routing_slip"


class SlipRepository:
    def __init__(self, session: AsyncSession):
        self.session = session

    async def reserve_numbers(self, tenant: str, year: int, count: int = 1) -> range:
        """The next ``count`` slip sequence numbers; the counter row stays locked until commit,
        so concurrent routings queue and a rollback gives the numbers back (no gaps)."""
        return await reserve_numbers(self.session, tenant, SLIP_NUMBERING, year, count)

    async def add(self, slips: Sequence[RoutingSlip]) -> None:
        """Insert ``slips`` now, so that each has its id for the timeline and the events."""
        self.session.add_all(slips)
        await self.session.flush()

    async def move(self, slip: RoutingSlip, action: str, *, detail: str | None = None, **values: Any) -> None:
        """Move ``slip`` by ``action`` (see ``SLIPS``), setting ``values``; refused with a 409 if
        the slip is in no state to, or another request moved it since it was read."""
        await SLIPS.move(
            self.session,
            slip,
            action,
            detail=detail,
            unchanged=("revision",),
            revision=slip.revision + 1,
            updated_at=utcnow(),
            **values,
        )

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

    async def get(self, tenant: str, slip_id: str) -> RoutingSlip | None:
        return await self.session.scalar(
            select(RoutingSlip).where(RoutingSlip.tenant == tenant, RoutingSlip.id == slip_id)
        )

    async def list_slips(
        self, tenant: str, *, matter_id: str | None, state: SlipState | None, limit: int
    ) -> list[RoutingSlip]:
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
