"""A repeat of an idempotent request is answered with the first response, whether its
fingerprint was stored keyed or, before fingerprints were keyed, as a plain digest; another
request with the same key is refused either way. On both databases the platform uses."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker

from wenze.db.base import table_of
from wenze.db.idempotency import (
    IdempotencyKeyReused,
    IdempotencyRecord,
    IdempotencyRepository,
    IdempotentRequest,
    RequestFingerprints,
    plain_digest,
)

from .support import BACKENDS, engine_holding

pytestmark = pytest.mark.integration

FINGERPRINTS = RequestFingerprints("a-deployment-person-reference-key")
REQUEST = ("ks-intake", "POST", "/v1/matters", b'{"identity_number": "320583198506150030"}')
OTHER = ("ks-intake", "POST", "/v1/matters", b'{"identity_number": "11010519491231002X"}')
ANSWER = {"id": "the first request's matter"}


@pytest.fixture(params=BACKENDS)
async def engine(request: pytest.FixtureRequest, tmp_path: Path, database_url: str) -> AsyncIterator[AsyncEngine]:
    async with engine_holding(
        table_of(IdempotencyRecord), "idempotency", request.param, tmp_path, database_url
    ) as engine:
        yield engine


def request_of(key: str, parts: tuple[str | bytes, ...], replays: list[str]) -> IdempotentRequest:
    """The request as the HTTP edge identifies it."""
    return IdempotentRequest(
        tenant="kunshan",
        key=key,
        fingerprint=FINGERPRINTS.of(*parts),
        plain_fingerprint=plain_digest(*parts),
        on_replay=lambda: replays.append(key),
    )


@pytest.mark.parametrize("stored_as", ["keyed", "plain, as before fingerprints were keyed"])
async def test_a_repeat_gets_the_first_answer_and_another_request_is_refused(
    engine: AsyncEngine, stored_as: str
) -> None:
    sessions = async_sessionmaker(engine, expire_on_commit=False)
    key = f"key-{uuid.uuid4().hex}"
    replays: list[str] = []
    first = request_of(key, REQUEST, replays)
    async with sessions() as session:
        repository = IdempotencyRepository(session)
        assert await first.replay(repository) is None
        if stored_as == "keyed":
            first.remember(repository, 201, ANSWER)
        else:
            repository.store("kunshan", key, plain_digest(*REQUEST), 201, ANSWER)
        await session.commit()

    async with sessions() as session:
        repository = IdempotencyRepository(session)
        stored = await session.get(IdempotencyRecord, ("kunshan", key))
        assert stored is not None
        if stored_as == "keyed":
            assert stored.fingerprint == FINGERPRINTS.of(*REQUEST) != plain_digest(*REQUEST)
        assert await request_of(key, REQUEST, replays).replay(repository) == ANSWER
        assert replays == [key]
        with pytest.raises(IdempotencyKeyReused):
            await request_of(key, OTHER, replays).replay(repository)
        # Under another deployment's key the same body is another request.
        elsewhere = IdempotentRequest(
            tenant="kunshan", key=key, fingerprint=RequestFingerprints("another-deployment-key").of(*REQUEST)
        )
        with pytest.raises(IdempotencyKeyReused):
            await elsewhere.replay(repository)
