"""What the token verifier needs to know about the identity provider."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from wenze.auth.principal import PLATFORM
from wenze.config import DEFAULT_PLATFORM_REALM, DEFAULT_TENANTS

REALM_PREFIX = "wenze-"


class AuthSettings(BaseModel):
    """Identity-provider settings.

    The realm of a tenant is ``wenze-<tenant>`` by convention; only the listed tenants are
    trusted, so a token from any other realm on the same server is refused. Platform
    operators sign in to ``platform_realm`` of the same server; their principals carry the
    tenant :data:`~wenze.auth.principal.PLATFORM`.
    """

    model_config = ConfigDict(frozen=True)

    oidc_base_url: str = "http://127.0.0.1:8080"
    oidc_audience: str = "wenze-api"
    tenants: tuple[str, ...] = DEFAULT_TENANTS
    platform_realm: str = Field(
        default=DEFAULT_PLATFORM_REALM,
        min_length=1,
        description="the realm of platform operators (national calendar years); never a tenant's realm or name",
    )
    # In a cluster the services reach Keycloak on an internal address while tokens carry
    # the public one in ``iss``; keys are fetched from here when it is set.
    oidc_internal_url: str | None = None
    jwks_min_refresh_seconds: float = Field(
        default=10.0,
        ge=0,
        description="at most one JWKS fetch per realm in this interval, however many "
        "tokens with unknown key ids arrive",
    )
    jwks_max_age_seconds: float = Field(
        default=3600.0,
        gt=0,
        description="re-fetch a realm's JWKS after this long so revoked keys stop working",
    )
    leeway_seconds: float = Field(default=30.0, ge=0, description="clock skew tolerated on exp")
    verified_token_cache_seconds: float = Field(
        default=60.0,
        ge=0,
        description="a token verified once is accepted again for this long (never past its exp) "
        "without checking its signature again; 0 checks every request",
    )
    http_timeout_seconds: float = 5.0

    @field_validator("oidc_base_url", "oidc_internal_url")
    @classmethod
    def _strip_slash(cls, value: str | None) -> str | None:
        return value.rstrip("/") if value else value

    @field_validator("tenants", mode="before")
    @classmethod
    def _split_tenants(cls, value: Any) -> Any:
        if isinstance(value, str):
            return tuple(t.strip() for t in value.split(",") if t.strip())
        return value

    @model_validator(mode="after")
    def _platform_is_no_tenant(self) -> AuthSettings:
        if PLATFORM in self.tenants:
            raise ValueError(f"{PLATFORM!r} cannot be a tenant: it stands for platform operators")
        if self.platform_realm in {*self.tenants, *map(self.realm_of, self.tenants)}:
            raise ValueError(
                f"platform_realm {self.platform_realm!r} is a tenant or a tenant's realm; "
                "platform operators need a realm of their own"
            )
        return self

    @classmethod
    def from_settings(cls, settings: Any, **overrides: Any) -> AuthSettings:
        """Build from a service's settings object (anything with the same attribute names)."""
        values = {
            name: getattr(settings, name) for name in cls.model_fields if getattr(settings, name, None) is not None
        }
        values.update(overrides)
        return cls(**values)

    def realm_of(self, tenant: str) -> str:
        """The realm of ``tenant``, or the platform realm for :data:`~wenze.auth.principal.PLATFORM`."""
        return self.platform_realm if tenant == PLATFORM else REALM_PREFIX + tenant

    def issuer_of(self, tenant: str) -> str:
        return f"{self.oidc_base_url}/realms/{self.realm_of(tenant)}"

    def jwks_url_of(self, tenant: str) -> str:
        base = self.oidc_internal_url or self.oidc_base_url
        return f"{base}/realms/{self.realm_of(tenant)}/protocol/openid-connect/certs"

    def tenant_of_issuer(self, issuer: str) -> str | None:
        """The tenant whose realm issued ``issuer``, :data:`~wenze.auth.principal.PLATFORM`
        for the platform realm, or ``None`` when it is not trusted."""
        for tenant in (*self.tenants, PLATFORM):
            if issuer == self.issuer_of(tenant):
                return tenant
        return None
