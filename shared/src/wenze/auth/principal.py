"""Who is calling: the verified identity a request acts for."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Final

from wenze.auth.capabilities import check_capability

# The ``tenant`` of a platform operator's principal: no tenant may have this name, so no
# tenant's data is ever found under it.
PLATFORM: Final = "platform"


@dataclass(frozen=True, slots=True)
class Principal:
    """A verified caller.

    ``tenant`` comes from the token's issuer and nothing else: a tenant's realm gives that
    tenant, the platform realm gives :data:`PLATFORM` (a platform operator). ``office`` is
    ``None`` for integrators' service accounts, which act for a system, not an office.
    """

    tenant: str
    subject: str
    username: str
    roles: frozenset[str]
    office: str | None = None
    office_name: str | None = None
    cadre_authority: frozenset[str] = frozenset()
    linked_units: tuple[str, ...] = ()
    client_id: str | None = None
    claims: Mapping[str, Any] = field(default_factory=dict, repr=False, compare=False)

    def has(self, capability: str) -> bool:
        return check_capability(capability) in self.roles

    def may_act_on(self, cadre_level: str) -> bool:
        """Whether the caller's office has authority (干部管理权限) over ``cadre_level``."""
        return cadre_level in self.cadre_authority

    @property
    def is_platform_operator(self) -> bool:
        """Signed in to the platform realm: acts on the platform, never on a tenant's data."""
        return self.tenant == PLATFORM

    @property
    def is_service_account(self) -> bool:
        return self.username.startswith("service-account-")


def principal_from_claims(tenant: str, claims: Mapping[str, Any], audience: str) -> Principal:
    """Map Keycloak's claim shapes onto a :class:`Principal`.

    Capabilities are the realm roles plus the API client's own client roles: Keycloak
    deployments model API permissions either way, and both are issued by the same realm.
    """
    realm_roles = _strings(_object(claims.get("realm_access")).get("roles"))
    client_roles = _strings(_object(_object(claims.get("resource_access")).get(audience)).get("roles"))
    return Principal(
        tenant=tenant,
        subject=str(claims["sub"]),
        username=str(claims.get("preferred_username") or claims["sub"]),
        roles=frozenset(realm_roles) | frozenset(client_roles),
        office=_single(claims.get("office")),
        office_name=_single(claims.get("office_name")),
        cadre_authority=frozenset(_strings(claims.get("cadre_authority"))),
        linked_units=tuple(_strings(claims.get("linked_units"))),
        client_id=_single(claims.get("azp")),
        claims=dict(claims),
    )


def _object(value: Any) -> Mapping[str, Any]:
    # A signed token is trusted, not well-formed: a claim of the wrong shape grants nothing
    # rather than failing the request.
    return value if isinstance(value, Mapping) else {}


def _strings(value: Any) -> list[str]:
    # Keycloak emits a single-valued user attribute as a string even when the mapper
    # is meant to be multivalued, so accept both shapes.
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    if isinstance(value, list | tuple):
        return [str(v) for v in value]
    return []


def _single(value: Any) -> str | None:
    if isinstance(value, list | tuple):
        return str(value[0]) if value else None
    return str(value) if value else None
