from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from wenze.db.numbering import reserve_numbers
from wenze_notification.documents.models import IssuedDocument


class DocumentRepository:
    def __init__(self, session: AsyncSession):
        self.session = session

    async def issued(self, tenant: str, matter_id: str, kind: str, subject_key: str) -> IssuedDocument | None:
        return await self.session.scalar(
            select(IssuedDocument).where(
                IssuedDocument.tenant == tenant,
                IssuedDocument.matter_id == matter_id,
                IssuedDocument.kind == kind,
                IssuedDocument.subject_key == subject_key,
            )
        )

    async def of_matter(self, tenant: str, matter_id: str) -> list[IssuedDocument]:
        return list(
            await self.session.scalars(
                select(IssuedDocument)
                .where(IssuedDocument.tenant == tenant, IssuedDocument.matter_id == matter_id)
                .order_by(IssuedDocument.created_at)
            )
        )

    def add(self, document: IssuedDocument) -> None:
        self.session.add(document)

    async def reserve_number(self, tenant: str, kind: str, year: int) -> int:
        (sequence,) = await reserve_numbers(self.session, tenant, kind, year)
        return sequence
