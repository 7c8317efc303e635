"""Gap-free sequence numbers per tenant, numbering kind and year."""

from __future__ import annotations

import datetime as dt

from sqlalchemy.ext.asyncio import AsyncSession

from wenze.db.numbering import reserve_numbers


async def next_number(session: AsyncSession, pack, kind: str, on: dt.date) -> tuple[str | None, int | None]:
    """The pack's next number of ``kind`` for ``on``'s year, or ``(None, None)`` if the pack has no such kind."""
    if kind not in pack.number_kinds():
        return None, None
    (seq,) = await reserve_numbers(session, pack.tenant, kind, on.year)
    return pack.number(kind, on.year, seq, on), seq
