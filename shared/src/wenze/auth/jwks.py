"""Per-realm JWKS cache with rate-limited refresh.

A token naming an unknown ``kid`` triggers a refresh (the realm may have rotated its
key), but at most once per ``min_refresh_seconds`` per realm, so a flood of forged
tokens cannot turn into a flood of requests to the identity provider.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx
import jwt

from wenze.auth.errors import IdentityProviderUnavailable

logger = logging.getLogger(__name__)

SIGNING_ALGORITHM = "RS256"


@dataclass
class _RealmKeys:
    keys: dict[str, jwt.PyJWK] = field(default_factory=dict)
    fetched_at: float | None = None
    attempted_at: float | None = None
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)


class JwksCache:
    def __init__(
        self,
        client: httpx.AsyncClient,
        *,
        min_refresh_seconds: float,
        max_age_seconds: float,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._client = client
        self._min_refresh = min_refresh_seconds
        self._max_age = max_age_seconds
        self._clock = clock
        self._realms: dict[str, _RealmKeys] = {}
        self.fetch_count = 0

    async def key(self, jwks_url: str, kid: str) -> jwt.PyJWK | None:
        """The signing key ``kid`` published at ``jwks_url``, or ``None`` if there is none."""
        realm = self._realms.setdefault(jwks_url, _RealmKeys())
        if kid in realm.keys and not self._stale(realm):
            return realm.keys[kid]
        async with realm.lock:
            # Another request may have refreshed while this one waited for the lock.
            if kid in realm.keys and not self._stale(realm):
                return realm.keys[kid]
            if self._may_fetch(realm):
                await self._refresh(jwks_url, realm, kid_wanted=kid)
            return realm.keys.get(kid)

    def _stale(self, realm: _RealmKeys) -> bool:
        return realm.fetched_at is None or self._clock() - realm.fetched_at >= self._max_age

    def _may_fetch(self, realm: _RealmKeys) -> bool:
        return realm.attempted_at is None or self._clock() - realm.attempted_at >= self._min_refresh

    async def _refresh(self, jwks_url: str, realm: _RealmKeys, *, kid_wanted: str) -> None:
        realm.attempted_at = self._clock()
        self.fetch_count += 1
        try:
            response = await self._client.get(jwks_url, headers={"Accept": "application/json"})
            response.raise_for_status()
            document = response.json()
        except (httpx.HTTPError, ValueError) as exc:
            logger.warning("JWKS fetch from %s failed: %s", jwks_url, exc)
            if kid_wanted in realm.keys:
                # A stale but known key beats refusing every request while the IdP blips.
                return
            raise IdentityProviderUnavailable("the identity provider's signing keys could not be fetched") from exc
        realm.keys = _signing_keys(document)
        realm.fetched_at = realm.attempted_at
        logger.info("JWKS from %s: %d signing keys", jwks_url, len(realm.keys))


def _signing_keys(document: Any) -> dict[str, jwt.PyJWK]:
    keys: dict[str, jwt.PyJWK] = {}
    entries = document.get("keys", []) if isinstance(document, dict) else []
    for entry in entries:
        if not isinstance(entry, dict) or "kid" not in entry:
            continue
        # Keycloak also publishes RSA-OAEP encryption keys; only RS256 signing keys count.
        if entry.get("kty") != "RSA" or entry.get("use", "sig") != "sig":
            continue
        if entry.get("alg", SIGNING_ALGORITHM) != SIGNING_ALGORITHM:
            continue
        try:
            keys[str(entry["kid"])] = jwt.PyJWK(entry, algorithm=SIGNING_ALGORITHM)
        except jwt.PyJWTError as exc:
            logger.warning("ignoring unusable JWK %s: %s", entry.get("kid"), exc)
    return keys
