"""Keycloak realm-import JSON generated from the rule packs and the capability table.

One realm per tenant (``wenze-<tenant>``) and one for platform operators. A tenant's realm
names every office and body of its pack's vocabulary as a realm role (``office:<code>``,
``body:<code>``) with a group of the same code, every capability of
:mod:`wenze.auth.capabilities` as a realm role of the same name, and declares the user
attributes that :func:`wenze.auth.principal.principal_from_claims` reads from the token.
Client secrets are ``${ENV}`` placeholders (see ``deploy/keycloak/README.md``): no secret is
ever written to these files.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any, Final

from wenze.auth.capabilities import CAPABILITIES, MATTER_BULK, MATTER_READ, MATTER_SUBMIT
from wenze.config import DEFAULT_PLATFORM_REALM
from wenze.rules import get_pack, list_tenants

REALM_PREFIX: Final = "wenze-"
API_CLIENT: Final = "wenze-api"
WEB_CLIENT: Final = "wenze-web"
INTEGRATOR_CLIENT: Final = "wenze-integrator"
# Integrators' service accounts submit and read what they submitted; nothing else.
INTEGRATOR_CAPABILITIES: Final = (MATTER_SUBMIT, MATTER_BULK, MATTER_READ)
# Every office reads what wenze.auth.access lets it see; what else it may do is granted per user.
OFFICE_CAPABILITIES: Final = (MATTER_READ,)

# Token claims, named as principal_from_claims reads them; each comes from the user
# attribute of the same name, or else from the attribute of the user's office group.
OFFICE_CLAIM: Final = "office"
OFFICE_NAME_CLAIM: Final = "office_name"
CADRE_AUTHORITY_CLAIM: Final = "cadre_authority"
LINKED_UNITS_CLAIM: Final = "linked_units"
_MULTIVALUED_CLAIMS: Final = frozenset({CADRE_AUTHORITY_CLAIM, LINKED_UNITS_CLAIM})
USER_CLAIMS: Final = (OFFICE_CLAIM, OFFICE_NAME_CLAIM, CADRE_AUTHORITY_CLAIM, LINKED_UNITS_CLAIM)


def realm_name(tenant: str) -> str:
    return f"{REALM_PREFIX}{tenant}"


def secret_placeholder(realm: str, client_id: str) -> str:
    """``${WENZE_KUNSHAN_INTEGRATOR_SECRET}``: filled from the environment when Keycloak imports."""
    tenant = realm.removeprefix(REALM_PREFIX)
    client = client_id.removeprefix(REALM_PREFIX)
    return "${WENZE_" + f"{tenant}_{client}".upper().replace("-", "_") + "_SECRET}"


def office_role(code: str) -> str:
    return f"office:{code}"


def body_role(code: str) -> str:
    return f"body:{code}"


def build_realms() -> dict[str, dict[str, Any]]:
    """Realm name → realm-import document, for every tenant with a rule pack and the platform."""
    realms = {realm_name(tenant): tenant_realm(tenant) for tenant in list_tenants()}
    realms[DEFAULT_PLATFORM_REALM] = platform_realm()
    return realms


def tenant_realm(tenant: str) -> dict[str, Any]:
    vocabulary = get_pack(tenant).vocabulary
    offices = vocabulary.get("offices", {})
    bodies = vocabulary.get("bodies", {})
    # A user acts for an office or a body (a leader, a meeting): both are valid "office" values.
    units = {code: (office_role(code), label) for code, label in offices.items()}
    units.update({code: (body_role(code), label) for code, label in bodies.items()})
    cadre_levels = {**vocabulary.get("cadre_levels", {}), **vocabulary.get("organisation_levels", {})}
    name = realm_name(tenant)
    roles = _capability_roles() + [_role(role, label) for role, label in units.values()]
    groups = [
        {
            "name": code,
            "path": f"/{code}",
            "attributes": {OFFICE_CLAIM: [code], OFFICE_NAME_CLAIM: [label]},
            "realmRoles": sorted([role, *OFFICE_CAPABILITIES]),
        }
        for code, (role, label) in units.items()
    ]
    return _realm(
        name,
        roles=roles,
        groups=groups,
        profile=_user_profile(office_codes=sorted(units), cadre_levels=sorted(cadre_levels)),
        clients=[_web_client(), _api_client(name), _integrator_client(name)],
        users=[_service_account(INTEGRATOR_CLIENT, INTEGRATOR_CAPABILITIES)],
    )


def platform_realm() -> dict[str, Any]:
    """Platform operators: national calendar years; no tenant, office or integrator."""
    name = DEFAULT_PLATFORM_REALM
    return _realm(
        name,
        roles=_capability_roles(),
        groups=[],
        profile=_user_profile(office_codes=[], cadre_levels=[]),
        clients=[_web_client(), _api_client(name)],
        users=[],
    )


def render(realm: Mapping[str, Any]) -> str:
    """Stable text: the same packs and capabilities always give the same bytes."""
    return json.dumps(realm, ensure_ascii=False, indent=2, sort_keys=True) + "\n"


def write_realms(out: Path, realms: Mapping[str, Mapping[str, Any]] | None = None) -> list[Path]:
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for name, realm in sorted((realms if realms is not None else build_realms()).items()):
        path = out / f"{name}.json"
        path.write_text(render(realm), encoding="utf-8")
        written.append(path)
    return written


def _realm(
    name: str,
    *,
    roles: list[dict[str, Any]],
    groups: list[dict[str, Any]],
    profile: Mapping[str, Any],
    clients: list[dict[str, Any]],
    users: list[dict[str, Any]],
) -> dict[str, Any]:
    return {
        "realm": name,
        "enabled": True,
        "sslRequired": "external",
        "registrationAllowed": False,
        "roles": {"realm": sorted(roles, key=lambda r: r["name"])},
        "groups": sorted(groups, key=lambda g: g["name"]),
        "clients": sorted(clients, key=lambda c: c["clientId"]),
        "users": users,
        "components": {
            "org.keycloak.userprofile.UserProfileProvider": [
                {
                    "providerId": "declarative-user-profile",
                    "subComponents": {},
                    # Keycloak keeps the profile as one JSON string in the component's config.
                    "config": {"kc.user.profile.config": [json.dumps(profile, ensure_ascii=False, sort_keys=True)]},
                }
            ]
        },
    }


def _role(name: str, description: str) -> dict[str, Any]:
    return {"name": name, "description": description, "composite": False, "clientRole": False}


def _capability_roles() -> list[dict[str, Any]]:
    return [_role(capability, f"Wenze capability {capability}") for capability in sorted(CAPABILITIES)]


def _user_profile(*, office_codes: list[str], cadre_levels: list[str]) -> dict[str, Any]:
    admin_only = {"view": ["admin", "user"], "edit": ["admin"]}
    standard = [
        {
            "name": "username",
            "displayName": "${username}",
            "permissions": admin_only,
            "validations": {"length": {"min": 3, "max": 255}, "username-prohibited-characters": {}},
        },
        {
            "name": "email",
            "displayName": "${email}",
            "permissions": admin_only,
            "validations": {"email": {}, "length": {"max": 255}},
        },
        {"name": "firstName", "displayName": "${firstName}", "permissions": admin_only, "validations": {}},
        {"name": "lastName", "displayName": "${lastName}", "permissions": admin_only, "validations": {}},
    ]

    def attribute(name: str, display: str, options: list[str] | None = None) -> dict[str, Any]:
        validations: dict[str, Any] = {"options": {"options": options}} if options else {}
        return {
            "name": name,
            "displayName": display,
            "multivalued": name in _MULTIVALUED_CLAIMS,
            "permissions": admin_only,
            "validations": validations,
        }

    wenze = [
        attribute(OFFICE_CLAIM, "Office or body (rule pack code)", office_codes),
        attribute(OFFICE_NAME_CLAIM, "Office name"),
        attribute(CADRE_AUTHORITY_CLAIM, "Cadre levels within authority", cadre_levels),
        attribute(LINKED_UNITS_CLAIM, "Linked towns and departments"),
    ]
    return {"attributes": standard + wenze, "groups": []}


def _claim_mappers() -> list[dict[str, Any]]:
    mappers = [
        {
            "name": claim,
            "protocol": "openid-connect",
            "protocolMapper": "oidc-usermodel-attribute-mapper",
            "config": {
                "user.attribute": claim,
                "claim.name": claim,
                "jsonType.label": "String",
                "multivalued": str(claim in _MULTIVALUED_CLAIMS).lower(),
                # Without aggregation Keycloak takes the user's own value and falls back to
                # the office group's, so a user's concrete office name wins over the generic one.
                "aggregate.attrs": "false",
                "access.token.claim": "true",
                "id.token.claim": "true",
                "userinfo.token.claim": "true",
                "introspection.token.claim": "true",
            },
        }
        for claim in USER_CLAIMS
    ]
    mappers.append(
        {
            "name": f"audience {API_CLIENT}",
            "protocol": "openid-connect",
            "protocolMapper": "oidc-audience-mapper",
            "config": {
                "included.client.audience": API_CLIENT,
                "access.token.claim": "true",
                "id.token.claim": "false",
                "introspection.token.claim": "true",
            },
        }
    )
    return mappers


def _client(client_id: str, **settings: Any) -> dict[str, Any]:
    return {
        "clientId": client_id,
        "enabled": True,
        "protocol": "openid-connect",
        "publicClient": False,
        "standardFlowEnabled": False,
        "directAccessGrantsEnabled": False,
        "serviceAccountsEnabled": False,
        "implicitFlowEnabled": False,
        "protocolMappers": _claim_mappers(),
        **settings,
    }


def _web_client() -> dict[str, Any]:
    # The browser app and the command line (`wenze login` uses the password grant).
    return _client(
        WEB_CLIENT,
        publicClient=True,
        standardFlowEnabled=True,
        directAccessGrantsEnabled=True,
        redirectUris=["${WENZE_WEB_URL}/*"],
        webOrigins=["${WENZE_WEB_URL}"],
        attributes={"pkce.code.challenge.method": "S256"},
    )


def _api_client(realm: str) -> dict[str, Any]:
    return _client(API_CLIENT, secret=secret_placeholder(realm, API_CLIENT))


def _integrator_client(realm: str) -> dict[str, Any]:
    return _client(INTEGRATOR_CLIENT, serviceAccountsEnabled=True, secret=secret_placeholder(realm, INTEGRATOR_CLIENT))


def _service_account(client_id: str, roles: Iterable[str]) -> dict[str, Any]:
    return {
        "username": f"service-account-{client_id}",
        "enabled": True,
        "serviceAccountClientId": client_id,
        "realmRoles": sorted(roles),
    }
