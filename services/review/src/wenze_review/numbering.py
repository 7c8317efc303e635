"""Official numbers of the documents review issues (consultation and joint-review forms, decisions).

A number's year is the year of the day the document is issued, in the tenant's time zone: the
day a consultation or joint review opens, the day a decision is made. Never the year of a date
the document only refers to, such as the matter's relevant date.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy.ext.asyncio import AsyncSession

from wenze.db.numbering import reserve_numbers


async def next_number(session: AsyncSession, pack, kind: str, issued_on: dt.date) -> tuple[str | None, int | None]:
    """The pack's next number of ``kind`` for a document issued on ``issued_on``, or ``(None, None)``
    if the pack has no such kind."""
    if kind not in pack.number_kinds():
        return None, None
    (seq,) = await reserve_numbers(session, pack.tenant, kind, issued_on.year)
    return pack.number(kind, issued_on.year, seq, issued_on), seq
