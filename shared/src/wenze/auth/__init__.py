"""Request authentication against Keycloak realms (one realm per tenant, one for platform operators)."""

from wenze.auth.capabilities import CAPABILITIES, check_capability
from wenze.auth.dependencies import (
    authenticate,
    get_principal,
    require,
    require_platform,
    token_verifier_lifespan,
)
from wenze.auth.errors import (
    IdentityProviderUnavailable,
    InvalidToken,
    MissingCapability,
    MissingToken,
    PlatformOperatorRequired,
    TenantUserRequired,
)
from wenze.auth.principal import PLATFORM, Principal, principal_from_claims
from wenze.auth.settings import AuthSettings
from wenze.auth.verifier import TokenVerifier

__all__ = [
    "CAPABILITIES",
    "PLATFORM",
    "AuthSettings",
    "IdentityProviderUnavailable",
    "InvalidToken",
    "MissingCapability",
    "MissingToken",
    "PlatformOperatorRequired",
    "Principal",
    "TenantUserRequired",
    "TokenVerifier",
    "authenticate",
    "check_capability",
    "get_principal",
    "principal_from_claims",
    "require",
    "require_platform",
    "token_verifier_lifespan",
]
