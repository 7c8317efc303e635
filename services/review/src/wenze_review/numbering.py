"""Official numbers of the documents review issues (consultation and joint-review forms, decisions).

A number's year is the year of the day the document is issued, in the tenant's time zone: the
day a consultation or joint review opens, the day a decision is made. Never the year of a date
the document only refers to, such as the matter's relevant date.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy.ext.asyncio import AsyncSession

from wenze.db.numbering import reserve_numbers
from wenze.rules import RulePack


class NumberRepository:
    """The tenant's gap-free counters per numbering kind and year (``wenze.db.numbering``)."""

    def __init__(self, session: AsyncSession):
        self.session = session

    async def reserve(self, tenant: str, kind: str, year: int) -> int:
        (sequence,) = await reserve_numbers(self.session, tenant, kind, year)
        return sequence


async def document_number(numbers: NumberRepository, pack: RulePack, kind: str, issued_on: dt.date) -> str | None:
    """The pack's next number of ``kind`` for a document issued on ``issued_on``; ``None`` if the
    pack numbers no such documents. A pack whose numbering is not in force that day raises its
    ``RulesError``."""
    if kind not in pack.number_kinds():
        return None
    sequence = await numbers.reserve(pack.tenant, kind, issued_on.year)
    return pack.number(kind, issued_on.year, sequence, issued_on)
