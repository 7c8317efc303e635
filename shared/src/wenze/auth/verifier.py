"""Verify Keycloak access tokens and turn them into a :class:`Principal`."""

from __future__ import annotations

import time
from collections import OrderedDict
from types import TracebackType
from typing import Any

import httpx
import jwt

from wenze.auth.errors import InvalidToken
from wenze.auth.jwks import SIGNING_ALGORITHM, JwksCache
from wenze.auth.principal import Principal, principal_from_claims
from wenze.auth.settings import AuthSettings

# Keycloak marks access tokens "Bearer"; its ID tokens ("ID") and refresh tokens
# ("Refresh") are signed by the same key and may carry our audience, so typ must be checked.
ACCESS_TOKEN_TYP = "Bearer"
_REQUIRED_CLAIMS = ["exp", "iat", "iss", "aud", "sub"]
# A client sends the same token with every request for its lifetime, and checking an RS256
# signature and three JSON segments was about a tenth of a busy API's CPU. Bounded so that
# a flood of distinct tokens cannot grow memory.
VERIFIED_CACHE_SIZE = 4096
# A problem detail quotes at most this much of a value read from the token: enough to spot a
# token sent to the wrong place, too little for a crafted one to fill responses and logs.
QUOTED_TOKEN_VALUE_CHARS = 60


class TokenVerifier:
    """Verifies bearer tokens against the trusted realms. Create one per app (lifespan)."""

    def __init__(
        self,
        settings: AuthSettings,
        *,
        http_client: httpx.AsyncClient | None = None,
        close_client: bool | None = None,
    ) -> None:
        """``http_client`` is closed with the verifier if the verifier created it, or if
        ``close_client`` says so."""
        self.settings = settings
        self._owns_client = close_client if close_client is not None else http_client is None
        self._client = http_client or httpx.AsyncClient(timeout=settings.http_timeout_seconds)
        self.jwks = JwksCache(
            self._client,
            min_refresh_seconds=settings.jwks_min_refresh_seconds,
            max_age_seconds=settings.jwks_max_age_seconds,
        )
        # token → (accepted until, monotonic clock; principal)
        self._verified: OrderedDict[str, tuple[float, Principal]] = OrderedDict()

    async def __aenter__(self) -> TokenVerifier:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        if self._owns_client:
            await self._client.aclose()

    async def verify(self, token: str) -> Principal:
        cached = self._verified.get(token)
        if cached is not None:
            until, principal = cached
            if time.monotonic() < until:
                return principal
            del self._verified[token]
        principal = await self._verify(token)
        self._remember(token, principal)
        return principal

    def _remember(self, token: str, principal: Principal) -> None:
        ttl = self.settings.verified_token_cache_seconds
        if ttl <= 0:
            return
        # Never past the token's own expiry (as the decoder reads it, leeway included), and
        # never longer than ``ttl``, so that a key the realm withdraws stops working soon.
        exp = principal.claims.get("exp")
        remaining = float(exp) + self.settings.leeway_seconds - time.time() if isinstance(exp, int | float) else 0
        lifetime = min(ttl, remaining)
        if lifetime <= 0:
            return
        self._verified[token] = (time.monotonic() + lifetime, principal)
        if len(self._verified) > VERIFIED_CACHE_SIZE:
            self._verified.popitem(last=False)

    async def _verify(self, token: str) -> Principal:
        header = _header(token)
        alg = header.get("alg")
        if alg != SIGNING_ALGORITHM:
            raise InvalidToken(
                f"signing algorithm{_quoted(alg)} is not accepted; tokens must be {SIGNING_ALGORITHM}",
                reason="algorithm",
            )
        kid = header.get("kid")
        if not isinstance(kid, str) or not kid:
            raise InvalidToken("token header names no key id (kid)", reason="kid")

        # The issuer is read before the signature is checked only to pick which realm's keys
        # to check it with; the keys URL comes from our settings, never from the token.
        unverified = _unverified_claims(token)
        issuer = unverified.get("iss")
        tenant = self.settings.tenant_of_issuer(issuer) if isinstance(issuer, str) else None
        if tenant is None:
            raise InvalidToken(f"token issuer{_quoted(issuer)} is not a trusted realm", reason="issuer")
        try:
            return await self._verify_in_realm(token, kid, tenant)
        except InvalidToken as refusal:
            refusal.tenant = tenant
            raise

    async def _verify_in_realm(self, token: str, kid: str, tenant: str) -> Principal:
        key = await self.jwks.key(self.settings.jwks_url_of(tenant), kid)
        if key is None:
            raise InvalidToken(
                f"signing key{_quoted(kid)} is not published by realm {self.settings.realm_of(tenant)!r}",
                reason="unknown-key",
            )
        claims = self._decode(token, key, tenant)
        if claims.get("typ") != ACCESS_TOKEN_TYP:
            raise InvalidToken(f"token type{_quoted(claims.get('typ'))} is not an access token", reason="typ")
        return principal_from_claims(tenant, claims, self.settings.oidc_audience)

    def _decode(self, token: str, key: jwt.PyJWK, tenant: str) -> dict[str, Any]:
        audience = self.settings.oidc_audience
        try:
            return jwt.decode(
                token,
                key,
                algorithms=[SIGNING_ALGORITHM],
                audience=audience,
                issuer=self.settings.issuer_of(tenant),
                leeway=self.settings.leeway_seconds,
                options={"require": _REQUIRED_CLAIMS},
            )
        except jwt.ExpiredSignatureError as exc:
            raise InvalidToken("token has expired", reason="expired") from exc
        except jwt.InvalidAudienceError as exc:
            raise InvalidToken(f"token audience does not include {audience!r}", reason="audience") from exc
        except jwt.InvalidIssuerError as exc:
            raise InvalidToken("token issuer does not match its realm", reason="issuer") from exc
        except jwt.InvalidSignatureError as exc:
            raise InvalidToken("token signature is invalid", reason="signature") from exc
        except jwt.MissingRequiredClaimError as exc:
            raise InvalidToken(f"token lacks the required claim {exc.claim!r}", reason="claims") from exc
        except jwt.ImmatureSignatureError as exc:
            raise InvalidToken("token is not valid yet", reason="not-yet-valid") from exc
        except jwt.PyJWTError as exc:
            # The library's own message is meant for developers; the caller gets fixed text.
            raise InvalidToken(
                "token is not well-formed: a part of it or one of its claims cannot be read",
                reason="malformed",
            ) from exc


def _header(token: str) -> dict[str, Any]:
    if not token or not isinstance(token, str):
        raise InvalidToken("token is empty", reason="malformed")
    try:
        return jwt.get_unverified_header(token)
    except jwt.PyJWTError as exc:
        raise InvalidToken("token is not a well-formed JWT", reason="malformed") from exc


def _unverified_claims(token: str) -> dict[str, Any]:
    try:
        claims = jwt.decode(token, options={"verify_signature": False})
    except jwt.PyJWTError as exc:
        raise InvalidToken("token payload is not well-formed", reason="malformed") from exc
    return claims


def _quoted(value: object) -> str:
    """`` 'value'`` for a detail to quote a string read from the token, cut to
    :data:`QUOTED_TOKEN_VALUE_CHARS`; nothing for any other JSON value."""
    if not isinstance(value, str):
        return ""
    if len(value) > QUOTED_TOKEN_VALUE_CHARS:
        return f" {value[:QUOTED_TOKEN_VALUE_CHARS]!r}…"
    return f" {value!r}"
