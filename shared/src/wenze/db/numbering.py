"""Gap-free sequence numbers per tenant, numbering kind and year, in the service's own schema.

The counter row is updated inside the caller's transaction and stays locked until it ends:
concurrent numbering queues on it, and a rollback gives the numbers back, so a kind's
sequence has no gaps. Intake's registration numbers use their own single-statement path
(ADR 0005); every other numbered document (slips, consultations, decisions) comes from here.
"""

from __future__ import annotations

from sqlalchemy import Integer, String, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from wenze.db.base import Base


class NumberCounter(Base):
    __tablename__ = "number_counters"

    tenant: Mapped[str] = mapped_column(String(40), primary_key=True)
    kind: Mapped[str] = mapped_column(String(60), primary_key=True)
    year: Mapped[int] = mapped_column(Integer, primary_key=True)
    last: Mapped[int] = mapped_column(Integer, default=0)


async def reserve_numbers(session: AsyncSession, tenant: str, kind: str, year: int, count: int = 1) -> int:
    """Reserve ``count`` consecutive sequence numbers of ``kind``; returns the last of them."""
    insert = postgresql.insert if session.bind.dialect.name == "postgresql" else sqlite.insert
    await session.execute(
        insert(NumberCounter).values(tenant=tenant, kind=kind, year=year, last=0).on_conflict_do_nothing()
    )
    return int(
        await session.scalar(
            update(NumberCounter)
            .where(NumberCounter.tenant == tenant, NumberCounter.kind == kind, NumberCounter.year == year)
            .values(last=NumberCounter.last + count)
            .returning(NumberCounter.last)
        )
    )
