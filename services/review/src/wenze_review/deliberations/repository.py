from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from wenze_review.deliberations.models import (
    DELIBERATIONS,
    Approval,
    Deliberation,
    DeliberationState,
    EscalationRecord,
    Signature,
)


class DeliberationRepository:
    def __init__(self, session: AsyncSession):
        self.session = session

    async def add(self, deliberation: Deliberation) -> None:
        self.session.add(deliberation)
        await self.session.flush()

    async def get(
        self, tenant: str, kind: str, deliberation_id: str, *, for_update: bool = False
    ) -> Deliberation | None:
        stmt = select(Deliberation).where(
            Deliberation.tenant == tenant, Deliberation.kind == kind, Deliberation.id == deliberation_id
        )
        if for_update:
            stmt = stmt.with_for_update()
        return await self.session.scalar(stmt)

    async def has_consultation(self, tenant: str, slip_id: str) -> bool:
        stmt = select(Deliberation.id).where(
            Deliberation.tenant == tenant,
            Deliberation.kind == "consultation",
            Deliberation.slip_id == slip_id,
            Deliberation.case_id.is_(None),
        )
        return (await self.session.scalar(stmt)) is not None

    async def consultation_of_slip(self, tenant: str, slip_id: str) -> Deliberation | None:
        """The routing slip's consultation, held against other changes until commit."""
        stmt = select(Deliberation).where(
            Deliberation.tenant == tenant,
            Deliberation.kind == "consultation",
            Deliberation.slip_id == slip_id,
            Deliberation.case_id.is_(None),
        )
        return await self.session.scalar(stmt.with_for_update())

    async def move(
        self, deliberation: Deliberation, action: str, *, detail: str | None = None, **values: Any
    ) -> DeliberationState:
        return await DELIBERATIONS.move(self.session, deliberation, action, detail=detail, **values)

    async def add_signature(self, deliberation: Deliberation, signature: Signature) -> None:
        deliberation.signatures.append(signature)
        await self.session.flush()
        # Read the round back within the transaction that now holds the write: a signature
        # committed since the deliberation was read (SQLite has no row lock to keep it out) then
        # counts, so the last of two signers arriving together finds the round complete.
        await self.session.refresh(deliberation, ["signatures"])

    async def add_level(self, deliberation: Deliberation, level: EscalationRecord) -> None:
        deliberation.levels.append(level)
        await self.session.flush()

    async def approvals(self, subject_id: str) -> list[Approval]:
        """Approvals of a consultation, a joint review or a case (``subject_kind`` tells which stage)."""
        stmt = select(Approval).where(Approval.subject_id == subject_id).order_by(Approval.approved_at)
        return list((await self.session.scalars(stmt)).all())

    async def add_approval(self, approval: Approval) -> None:
        self.session.add(approval)
        await self.session.flush()
