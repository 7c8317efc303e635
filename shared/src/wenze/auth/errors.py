"""Authentication and authorisation problems (RFC 9457)."""

from __future__ import annotations

from typing import Final, Literal

from wenze.problems import Problem

InvalidTokenReason = Literal[
    "malformed",
    "algorithm",
    "kid",
    "issuer",
    "unknown-key",
    "signature",
    "expired",
    "not-yet-valid",
    "audience",
    "claims",
    "typ",
]

# The challenge header carries fixed text only, never anything read from the token: a header
# value must be Latin-1 (and a quoted one free of '"' and '\'), and a crafted token must not
# be able to write into response headers. The problem body says more.
_CHALLENGE_DESCRIPTIONS: Final[dict[InvalidTokenReason, str]] = {
    "malformed": "The token is not a well-formed JWT",
    "algorithm": "The token is not signed with RS256",
    "kid": "The token names no signing key",
    "issuer": "The token's issuer is not a trusted realm",
    "unknown-key": "The token's signing key is not published by its realm",
    "signature": "The token's signature is invalid",
    "expired": "The token has expired",
    "not-yet-valid": "The token is not valid yet",
    "audience": "The token is not meant for this API",
    "claims": "The token lacks a required claim",
    "typ": "The token is not an access token",
}


def _bearer_challenge(reason: InvalidTokenReason | None = None) -> str:
    if reason is None:
        return 'Bearer realm="wenze"'
    return f'Bearer realm="wenze", error="invalid_token", error_description="{_CHALLENGE_DESCRIPTIONS[reason]}"'


class AuthenticationFailed(Problem):
    """A request refused because it does not prove who sends it (401).

    ``reason`` is a fixed code; ``tenant`` is the realm's tenant when the token named a
    trusted one. Both are for the log line each refusal writes.
    """

    status = 401

    def __init__(
        self,
        detail: str,
        *,
        reason: str,
        challenge: str,
        tenant: str | None = None,
        extra: dict[str, str] | None = None,
    ) -> None:
        super().__init__(detail, extra=extra, headers={"WWW-Authenticate": challenge})
        self.reason = reason
        self.tenant = tenant


class MissingToken(AuthenticationFailed):
    slug = "unauthenticated"
    title = "Authentication required"

    def __init__(
        self,
        detail: str = "no bearer token in the Authorization header",
        *,
        reason: Literal["no-token", "not-bearer"] = "no-token",
    ) -> None:
        super().__init__(detail, reason=reason, challenge=_bearer_challenge())


class InvalidToken(AuthenticationFailed):
    """The token is malformed, unsigned, wrongly signed, expired or meant for someone else."""

    slug = "invalid-token"
    title = "Invalid access token"

    def __init__(self, detail: str, *, reason: InvalidTokenReason, tenant: str | None = None) -> None:
        super().__init__(
            detail,
            reason=reason,
            challenge=_bearer_challenge(reason),
            tenant=tenant,
            extra={"reason": reason},
        )


class IdentityProviderUnavailable(Problem):
    status = 503
    slug = "identity-provider-unavailable"
    title = "Identity provider unavailable"


class MissingCapability(Problem):
    status = 403
    slug = "missing-capability"
    title = "Capability required"

    def __init__(self, capability: str) -> None:
        super().__init__(
            f"this operation requires the capability {capability!r}",
            extra={"capability": capability},
        )
        self.capability = capability


class TenantUserRequired(Problem):
    status = 403
    slug = "tenant-user-required"
    title = "Only a tenant's users may do this"

    def __init__(self) -> None:
        super().__init__(
            "this is a tenant's operation; a platform operator's sign-in reaches no tenant's data, "
            "sign in to the tenant's realm instead"
        )


class PlatformOperatorRequired(Problem):
    status = 403
    slug = "platform-operator-required"
    title = "Only a platform operator may do this"

    def __init__(self) -> None:
        super().__init__(
            "this is a platform operation (it changes what every tenant sees); "
            "sign in to the platform realm as a platform operator"
        )
