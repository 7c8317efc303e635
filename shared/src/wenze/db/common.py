"""The repositories every service's unit of work carries, whatever its domain.

Each service's schema holds its own idempotency keys (``POST`` replays), outbox (events its
relay publishes), inbox (events its consumers applied) and audit log (who did or read
what); a service's repositories extend
:class:`CommonRepositories` so these are always there under the same names, and add their
domain repositories as fields.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Self

from sqlalchemy.ext.asyncio import AsyncSession

from wenze.db.audit import AuditRepository
from wenze.db.idempotency import IdempotencyRepository
from wenze.db.inbox import InboxRepository
from wenze.db.outbox import OutboxRepository


@dataclass
class CommonRepositories:
    idempotency: IdempotencyRepository
    outbox: OutboxRepository
    inbox: InboxRepository
    audit: AuditRepository

    @classmethod
    def for_session(cls, session: AsyncSession, **domain: Any) -> Self:
        """The common repositories on ``session`` plus a subclass's ``domain`` fields."""
        return cls(
            idempotency=IdempotencyRepository(session),
            outbox=OutboxRepository(session),
            inbox=InboxRepository(session),
            audit=AuditRepository(session),
            **domain,
        )
