"""Gap-free sequence numbers per tenant, numbering kind and year."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Integer, String, update
from sqlalchemy.dialects import postgresql
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from wenze.db.base import Base

CHINA = dt.timezone(dt.timedelta(hours=8))


class NumberCounter(Base):
    __tablename__ = "number_counters"

    tenant: Mapped[str] = mapped_column(String(40), primary_key=True)
    kind: Mapped[str] = mapped_column(String(60), primary_key=True)
    year: Mapped[int] = mapped_column(Integer, primary_key=True)
    last: Mapped[int] = mapped_column(Integer, default=0)


async def next_number(session: AsyncSession, pack, kind: str, on: dt.date) -> tuple[str | None, int | None]:
    """The pack's next number of ``kind`` for ``on``'s year, or ``(None, None)`` if the pack has no such kind.

    The counter row stays locked until the caller's transaction ends, so concurrent numbering
    queues and a rollback gives the number back.
    """
    if kind not in pack.number_kinds():
        return None, None
    await session.execute(postgresql.insert(NumberCounter).values(tenant=pack.tenant, kind=kind, year=on.year, last=0)
                          .on_conflict_do_nothing())
    seq = await session.scalar(
        update(NumberCounter)
        .where(NumberCounter.tenant == pack.tenant, NumberCounter.kind == kind, NumberCounter.year == on.year)
        .values(last=NumberCounter.last + 1)
        .returning(NumberCounter.last)
    )
    return pack.number(kind, on.year, int(seq), on), int(seq)


def china_today() -> dt.date:
    return dt.datetime.now(CHINA).date()
