"""``Idempotency-Key`` support for POST endpoints.

The response of the first request is stored in the same transaction as its effect; a
retry with the same key and the same request gets the stored response, a retry with the
same key and a different request is refused.
"""

from __future__ import annotations

import datetime as dt
import hashlib

from sqlalchemy import Integer, String, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from wenze.db.base import Base, utcnow


class IdempotencyRecord(Base):
    __tablename__ = "idempotency_keys"

    tenant: Mapped[str] = mapped_column(String(40), primary_key=True)
    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    fingerprint: Mapped[str] = mapped_column(String(64))
    status_code: Mapped[int] = mapped_column(Integer)
    body: Mapped[dict] = mapped_column()
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


def fingerprint(*parts: str) -> str:
    digest = hashlib.sha256()
    for part in parts:
        digest.update(part.encode())
        digest.update(b"\x1f")
    return digest.hexdigest()


class IdempotencyRepository:
    def __init__(self, session: AsyncSession):
        self.session = session

    async def get(self, tenant: str, key: str) -> IdempotencyRecord | None:
        return await self.session.scalar(
            select(IdempotencyRecord).where(IdempotencyRecord.tenant == tenant, IdempotencyRecord.key == key)
        )

    def store(self, tenant: str, key: str, fingerprint: str, status_code: int, body: dict) -> None:
        self.session.add(
            IdempotencyRecord(tenant=tenant, key=key, fingerprint=fingerprint, status_code=status_code, body=body)
        )
