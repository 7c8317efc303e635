"""Authentication and authorisation problems (RFC 9457)."""

from __future__ import annotations

from wenze.problems import Problem


def _bearer_challenge(error: str | None = None, description: str | None = None) -> str:
    challenge = 'Bearer realm="wenze"'
    if error:
        challenge += f', error="{error}"'
    if description:
        # RFC 6750 forbids '"' and '\' inside the quoted description.
        safe = description.replace('"', "'").replace("\\", "/")
        challenge += f', error_description="{safe}"'
    return challenge


class MissingToken(Problem):
    status = 401
    slug = "unauthenticated"
    title = "Authentication required"

    def __init__(self, detail: str = "no bearer token in the Authorization header") -> None:
        super().__init__(detail, headers={"WWW-Authenticate": _bearer_challenge()})


class InvalidToken(Problem):
    """The token is malformed, unsigned, wrongly signed, expired or meant for someone else."""

    status = 401
    slug = "invalid-token"
    title = "Invalid access token"

    def __init__(self, detail: str, *, reason: str) -> None:
        super().__init__(
            detail,
            extra={"reason": reason},
            headers={"WWW-Authenticate": _bearer_challenge("invalid_token", detail)},
        )
        self.reason = reason


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
