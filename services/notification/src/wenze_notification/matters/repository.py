from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from wenze.db.base import insert_new_rows, utcnow
from wenze_notification.matters.models import KnownMatter


class MatterRepository:
    """What notification has heard of each matter."""

    def __init__(self, session: AsyncSession):
        self.session = session

    async def get(self, tenant: str, matter_id: str) -> KnownMatter | None:
        return await self.session.scalar(
            select(KnownMatter).where(KnownMatter.tenant == tenant, KnownMatter.matter_id == matter_id)
        )

    async def get_or_add(self, tenant: str, matter_id: str, number: str) -> KnownMatter:
        """The matter, added with its number if this is the first event about it, and locked for
        this transaction. Events of one matter arrive on several consumers at once: a plain
        read-then-add let two of them add it and the second fail on the key."""
        await insert_new_rows(
            self.session,
            KnownMatter,
            [
                {
                    "matter_id": matter_id,
                    "tenant": tenant,
                    "number": number,
                    "summary": "",
                    "targets": [],
                    "cc": [],
                    "routing_citations": [],
                }
            ],
        )
        matter = await self.session.scalar(
            select(KnownMatter)
            .where(KnownMatter.tenant == tenant, KnownMatter.matter_id == matter_id)
            .with_for_update()
            .execution_options(populate_existing=True)
        )
        assert matter is not None
        matter.updated_at = utcnow()
        return matter
