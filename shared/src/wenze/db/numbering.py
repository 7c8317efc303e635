"""Gap-free sequence numbers per tenant, numbering kind and year, in the service's own schema.

Every numbered document of every service (matters, slips, consultations, decisions, letters)
takes its numbers here. The counter row is upserted inside the caller's transaction and stays
locked until it ends: concurrent numbering queues on it, and a rollback gives the numbers
back, so a kind's sequence has no gaps. Intake's single-statement registration (ADR 0005)
updates the same row in its own SQL.
"""

from __future__ import annotations

import functools
from typing import Any

from sqlalchemy import Integer, String, bindparam
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from wenze.db.base import Base, table_of


class NumberCounter(Base):
    __tablename__ = "number_counters"

    tenant: Mapped[str] = mapped_column(String(40), primary_key=True)
    kind: Mapped[str] = mapped_column(String(60), primary_key=True)
    year: Mapped[int] = mapped_column(Integer, primary_key=True)
    last: Mapped[int] = mapped_column(Integer, default=0)


@functools.cache
def _reserve_statement(dialect: str) -> Any:
    """The upsert that moves a counter on by ``count``, built once per dialect: building it
    anew cost more CPU than running it (a third of a routed matter's statements' time,
    docs/operations/benchmarks.md)."""
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    table = table_of(NumberCounter)
    count = bindparam("count", type_=Integer)
    return (
        insert(table)
        .values(tenant=bindparam("tenant"), kind=bindparam("kind"), year=bindparam("year"), last=count)
        .on_conflict_do_update(index_elements=["tenant", "kind", "year"], set_={"last": table.c.last + count})
        .returning(table.c.last)
    )


async def reserve_numbers(session: AsyncSession, tenant: str, kind: str, year: int, count: int = 1) -> range:
    """Reserve ``count`` consecutive sequence numbers of ``kind`` in ``year``: the range they span."""
    if count < 1:
        raise ValueError("reserve at least one number")
    last = await session.scalar(
        _reserve_statement(session.get_bind().dialect.name),
        {"tenant": tenant, "kind": kind, "year": year, "count": count},
    )
    assert last is not None
    return range(last - count + 1, last + 1)
