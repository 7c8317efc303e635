"""FastAPI dependencies: who is calling, and may they do this.

A service creates one :class:`TokenVerifier` in its lifespan and stores it on
``app.state.token_verifier`` (see :func:`token_verifier_lifespan`); endpoints then declare
``principal: Principal = Depends(require(MATTER_SUBMIT))``. ``require`` admits a tenant's users
only; the few platform endpoints (national calendar years) declare
``Depends(require_platform(CALENDAR_ADMIN))``, which admits platform operators only.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Annotated

import structlog
from fastapi import Depends, FastAPI, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from wenze.auth.capabilities import check_capability
from wenze.auth.errors import (
    AuthenticationFailed,
    MissingCapability,
    MissingToken,
    PlatformOperatorRequired,
    TenantUserRequired,
)
from wenze.auth.principal import Principal
from wenze.auth.settings import AuthSettings
from wenze.auth.verifier import TokenVerifier
from wenze.db.tenancy import bind_request_tenant

# auto_error=False: the missing-token case must be our 401 problem, not FastAPI's 403.
_bearer = HTTPBearer(auto_error=False, bearerFormat="JWT", description="Keycloak access token")
log = structlog.get_logger(__name__)


@asynccontextmanager
async def token_verifier_lifespan(app: FastAPI, settings: AuthSettings) -> AsyncIterator[TokenVerifier]:
    """Open a verifier for the app's lifetime; nest it inside the service's own lifespan."""
    async with TokenVerifier(settings) as verifier:
        app.state.token_verifier = verifier
        try:
            yield verifier
        finally:
            del app.state.token_verifier


async def authenticate(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Principal:
    """Whoever a valid token names: a tenant's user or a platform operator. Endpoints take
    :func:`get_principal` (tenant users) or :func:`require_platform` instead; only those open
    to both, such as reading the national calendar, take this."""
    try:
        principal = await _authenticate(request, credentials)
    except AuthenticationFailed as refusal:
        # One line of fixed fields: nothing the token said, and no traceback.
        log.warning(
            "authentication failed",
            reason=refusal.reason,
            tenant=refusal.tenant,
            client=request.client.host if request.client else None,
        )
        raise
    request.state.principal = principal
    # Every unit of work this request opens from here on is confined to the caller's tenant
    # by row-level security (a platform operator's "platform" matches no tenant's rows).
    bind_request_tenant(principal.tenant)
    return principal


async def _authenticate(request: Request, credentials: HTTPAuthorizationCredentials | None) -> Principal:
    if credentials is None:
        if request.headers.get("authorization"):
            raise MissingToken("the Authorization header must use the Bearer scheme", reason="not-bearer")
        raise MissingToken()
    verifier: TokenVerifier = request.app.state.token_verifier
    return await verifier.verify(credentials.credentials)


def require(capability: str) -> Callable[..., Awaitable[Principal]]:
    """A dependency that yields the principal if it holds ``capability``, else a 403 problem."""
    check_capability(capability)

    async def _require(principal: Annotated[Principal, Depends(get_principal)]) -> Principal:
        if capability not in principal.roles:
            raise MissingCapability(capability)
        return principal

    _require.__name__ = f"require_{capability.replace(':', '_')}"
    return _require


async def get_principal(principal: Annotated[Principal, Depends(authenticate)]) -> Principal:
    """The caller, a tenant's user: a platform operator's token reaches no tenant's data."""
    if principal.is_platform_operator:
        raise TenantUserRequired()
    return principal


def require_platform(capability: str) -> Callable[..., Awaitable[Principal]]:
    """A dependency that yields the principal if it is a platform operator holding ``capability``."""
    check_capability(capability)

    async def _require_platform(principal: Annotated[Principal, Depends(authenticate)]) -> Principal:
        if not principal.is_platform_operator:
            raise PlatformOperatorRequired()
        if capability not in principal.roles:
            raise MissingCapability(capability)
        return principal

    _require_platform.__name__ = f"require_platform_{capability.replace(':', '_')}"
    return _require_platform
