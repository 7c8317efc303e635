"""Request authentication against Keycloak realms (one realm per tenant)."""

from wenze.auth.capabilities import CAPABILITIES, check_capability
from wenze.auth.dependencies import get_principal, require, token_verifier_lifespan
from wenze.auth.errors import (
    IdentityProviderUnavailable,
    InvalidToken,
    MissingCapability,
    MissingToken,
)
from wenze.auth.principal import Principal, principal_from_claims
from wenze.auth.settings import AuthSettings
from wenze.auth.verifier import TokenVerifier

__all__ = [
    "CAPABILITIES",
    "AuthSettings",
    "IdentityProviderUnavailable",
    "InvalidToken",
    "MissingCapability",
    "MissingToken",
    "Principal",
    "TokenVerifier",
    "check_capability",
    "get_principal",
    "principal_from_claims",
    "require",
    "token_verifier_lifespan",
]
