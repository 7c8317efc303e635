"""``Idempotency-Key`` replays, stored in the same transaction as the request's effect.

The HTTP edge (``wenze.http.idempotency``) turns the header into an :class:`IdempotentRequest`;
services hand it to :func:`run_once`, which answers a retry with the stored response, refuses
the key reused for another request, and otherwise runs the action and stores its response
with it, in one transaction, so a response is stored exactly when its effect is.

A request is recognised by its fingerprint, an HMAC-SHA256 of who sent what to which path
(:class:`RequestFingerprints`). A body may hold a resident identity number, and a plain digest
of a body known but for its number gives the number back to anyone who hashes the candidates
(ADR 0044), so the digest is keyed.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeVar

from pydantic import SecretStr
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


# What the fingerprint key is derived for from the person reference key. A person's reference
# is an HMAC of "<tenant>\x1f<number>" under that key; this message has no separator, so the
# derived key is never one of those references, and neither use can stand in for the other.
FINGERPRINT_KEY_PURPOSE = b"idempotency-fingerprint"


def plain_digest(*parts: str | bytes) -> str:
    """An unkeyed SHA-256 of ``parts``; the separator keeps ("ab", "c") apart from ("a", "bc").

    Stored as a fingerprint before fingerprints were keyed; now only a part of one (an
    upload's format, name and content) or compared with a record stored then."""
    digest = hashlib.sha256()
    for part in parts:
        digest.update(_bytes(part))
        digest.update(b"\x1f")
    return digest.hexdigest()


class RequestFingerprints:
    """Fingerprints of requests under a key derived from the deployment's person reference key.

    The person reference key is the one secret every service already has and keeps for good
    (ADR 0044); a key derived from it for this purpose alone protects the fingerprints without
    a second secret to deploy, and never signs what the other use signs."""

    def __init__(self, person_reference_key: SecretStr | str):
        key = person_reference_key
        secret = key.get_secret_value() if isinstance(key, SecretStr) else key
        if not secret:
            raise ValueError("the person reference key is empty")
        self._key = hmac.new(secret.encode(), FINGERPRINT_KEY_PURPOSE, hashlib.sha256).digest()

    def of(self, *parts: str | bytes) -> str:
        """The fingerprint of a request made of ``parts`` (64 hex characters)."""
        mac = hmac.new(self._key, digestmod=hashlib.sha256)
        for part in parts:
            mac.update(_bytes(part))
            mac.update(b"\x1f")
        return mac.hexdigest()


def _bytes(part: str | bytes) -> bytes:
    return part.encode() if isinstance(part, str) else part


class IdempotencyKeyReused(Conflict):
    slug = "idempotency-key-reused"
    title = "Idempotency-Key already used for a different request"

    def __init__(self) -> None:
        super().__init__(
            "this Idempotency-Key was already used for a different request; use a new key for a new request",
            extra={
                "errors": [
                    {
                        "field": "header.Idempotency-Key",
                        "reason": "already used for a different request",
                        "code": "key_reused",
                    }
                ]
            },
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
    # The same request's plain digest, as fingerprints were stored before they were keyed:
    # a key first used then is still answered with its response. Compared, never stored.
    plain_fingerprint: str | None = field(default=None, repr=False)
    # Told when the answer is a replay (the HTTP edge marks the response with it).
    on_replay: Callable[[], None] = field(default=lambda: None, repr=False, compare=False)

    async def replay(self, repository: IdempotencyRepository) -> dict[str, Any] | None:
        """The stored response body of the first request with this key, or ``None``."""
        record = await repository.get(self.tenant, self.key)
        if record is None:
            return None
        if record.fingerprint != self.fingerprint and (
            self.plain_fingerprint is None or record.fingerprint != self.plain_fingerprint
        ):
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
