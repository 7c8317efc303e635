"""``Idempotency-Key`` replays, stored in the same transaction as the request's effect.

The HTTP edge (``wenze.http.idempotency``) turns the header into an :class:`IdempotentRequest`;
services hand it to :func:`run_once`, which answers a retry with the stored response, refuses
the key reused for another request, and otherwise runs the action and stores its response
with it, in one transaction, so a response is stored exactly when its effect is.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeVar

from sqlalchemy import Integer, String, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from wenze.db.base import Base, utcnow
from wenze.problems import Conflict

if TYPE_CHECKING:
    from wenze.db.common import CommonRepositories
    from wenze.db.uow import UnitOfWork, UnitOfWorkFactory


class IdempotencyRecord(Base):
    __tablename__ = "idempotency_keys"

    tenant: Mapped[str] = mapped_column(String(40), primary_key=True)
    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    fingerprint: Mapped[str] = mapped_column(String(64))
    status_code: Mapped[int] = mapped_column(Integer)
    body: Mapped[dict[str, Any]] = mapped_column()
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class IdempotencyRepository:
    def __init__(self, session: AsyncSession):
        self.session = session

    async def get(self, tenant: str, key: str) -> IdempotencyRecord | None:
        return await self.session.scalar(
            select(IdempotencyRecord).where(IdempotencyRecord.tenant == tenant, IdempotencyRecord.key == key)
        )

    def store(self, tenant: str, key: str, fingerprint: str, status_code: int, body: dict[str, Any]) -> None:
        self.session.add(
            IdempotencyRecord(tenant=tenant, key=key, fingerprint=fingerprint, status_code=status_code, body=body)
        )


def fingerprint(*parts: str | bytes) -> str:
    """A digest of a request's parts; the separator keeps ("ab", "c") apart from ("a", "bc")."""
    digest = hashlib.sha256()
    for part in parts:
        digest.update(part.encode() if isinstance(part, str) else part)
        digest.update(b"\x1f")
    return digest.hexdigest()


class IdempotencyKeyReused(Conflict):
    slug = "idempotency-key-reused"
    title = "Idempotency-Key already used for a different request"

    def __init__(self) -> None:
        super().__init__(
            "this Idempotency-Key was already used for a different request; use a new key for a new request",
            extra={"errors": [{"field": "header.Idempotency-Key", "reason": "already used for a different request"}]},
        )


class ConcurrentChange(Conflict):
    slug = "concurrent-change"
    title = "Changed by another request at the same time"


@dataclass
class IdempotentRequest:
    """A request that carries an ``Idempotency-Key``: who sent it, the key, what was sent."""

    tenant: str
    key: str
    fingerprint: str
    # Told when the answer is a replay (the HTTP edge marks the response with it).
    on_replay: Callable[[], None] = field(default=lambda: None, repr=False, compare=False)

    async def replay(self, repository: IdempotencyRepository) -> dict[str, Any] | None:
        """The stored response body of the first request with this key, or ``None``."""
        record = await repository.get(self.tenant, self.key)
        if record is None:
            return None
        if record.fingerprint != self.fingerprint:
            raise IdempotencyKeyReused()
        self.on_replay()
        return record.body

    def remember(self, repository: IdempotencyRepository, status_code: int, body: dict[str, Any]) -> None:
        repository.store(self.tenant, self.key, self.fingerprint, status_code, body)


R = TypeVar("R", bound="CommonRepositories")


async def run_once(
    units_of_work: UnitOfWorkFactory[R],
    request: IdempotentRequest | None,
    action: Callable[[UnitOfWork[R]], Awaitable[dict[str, Any]]],
    *,
    status_code: int = 200,
) -> dict[str, Any]:
    """Run ``action(uow)`` (which must not commit) in one unit of work and commit it, once per key.

    A retry with the same key and request gets the first response (``request.on_replay`` is
    told); the same key with another request is refused. A unique constraint broken by a
    concurrent request is a 409: the other request with the same key (then its response is
    replayed) or another change to the same step, which the caller should read again.
    """
    async with units_of_work() as uow:
        if request is not None:
            stored = await request.replay(uow.repos.idempotency)
            if stored is not None:
                return stored
        try:
            body = await action(uow)
            if request is not None:
                request.remember(uow.repos.idempotency, status_code, body)
            await uow.commit()
        except IntegrityError as exc:
            if not is_unique_violation(exc):
                raise
            await uow.rollback()
            if request is not None:
                stored = await request.replay(uow.repos.idempotency)
                if stored is not None:
                    return stored
            raise ConcurrentChange("another request changed this at the same time; read it again") from exc
        return body


def is_unique_violation(exc: IntegrityError) -> bool:
    """Whether ``exc`` is a broken unique or primary-key constraint (PostgreSQL or SQLite)."""
    original = exc.orig
    if getattr(original, "sqlstate", None) == "23505" or getattr(original, "pgcode", None) == "23505":
        return True
    return "UNIQUE constraint failed" in str(original)
