"""Realms, clients and demo users of the test issuer."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from wenze.auth.capabilities import CAPABILITIES
from wenze.config import DEFAULT_PLATFORM_REALM
from wenze.keycloak.realms import API_CLIENT, INTEGRATOR_CLIENT, WEB_CLIENT
from wenze.keycloak.realms import INTEGRATOR_CAPABILITIES as INTEGRATOR_ROLES
from wenze_devtools.testing.issuer.keys import SigningKey

TENANT_REALMS = ("wenze-kunshan", "wenze-jintan", "wenze-zhenxiong", "wenze-hubei")
# Platform operators' realm: national calendar years, never a tenant's data.
PLATFORM_REALM = DEFAULT_PLATFORM_REALM
DEFAULT_REALMS = (*TENANT_REALMS, PLATFORM_REALM)
DEFAULT_API_SECRET = "wenze-dev-secret"
DEFAULT_INTEGRATOR_SECRET = "wenze-integrator-secret"
DEFAULT_PASSWORD = "wenze"

# Stable user ids across restarts, like a Keycloak database that keeps its users.
_ID_NAMESPACE = uuid.UUID("6f1c0c1e-8f5b-4a57-9a54-3c1f0e7d2a10")


@dataclass(frozen=True)
class Client:
    client_id: str
    public: bool
    secret: str | None = None
    direct_access: bool = True
    # None: service accounts are disabled for this client (Keycloak's default).
    service_account_roles: tuple[str, ...] | None = None


@dataclass(frozen=True)
class DemoUser:
    realm: str
    username: str
    name: str
    password: str
    office: str | None = None
    office_name: str | None = None
    roles: tuple[str, ...] = ()
    cadre_authority: tuple[str, ...] = ()
    linked_units: tuple[str, ...] = ()

    @property
    def id(self) -> str:
        return str(uuid.uuid5(_ID_NAMESPACE, f"{self.realm}/{self.username}"))

    @property
    def email(self) -> str:
        tenant = self.realm.removeprefix("wenze-")
        return f"{self.username}@{tenant}.wenze.example"


@dataclass
class Realm:
    name: str
    display_name: str
    users: dict[str, DemoUser]
    clients: dict[str, Client]
    # The last key signs; earlier ones stay published so tokens they signed still verify,
    # as after a Keycloak key rotation.
    keys: list[SigningKey] = field(default_factory=list)

    @property
    def active_key(self) -> SigningKey:
        return self.keys[-1]

    def key(self, kid: str) -> SigningKey | None:
        return next((k for k in self.keys if k.kid == kid), None)

    @property
    def default_roles(self) -> tuple[str, ...]:
        return ("offline_access", "uma_authorization", f"default-roles-{self.name}")


def service_account_id(realm: str, client_id: str) -> str:
    return str(uuid.uuid5(_ID_NAMESPACE, f"{realm}/service-account-{client_id}"))


def standard_clients(api_secret: str, integrator_secret: str, *, integrator: bool = True) -> dict[str, Client]:
    clients = [
        Client(WEB_CLIENT, public=True),
        Client(API_CLIENT, public=False, secret=api_secret),
    ]
    if integrator:
        clients.append(
            Client(
                INTEGRATOR_CLIENT,
                public=False,
                secret=integrator_secret,
                direct_access=False,
                service_account_roles=INTEGRATOR_ROLES,
            )
        )
    return {c.client_id: c for c in clients}


def load_demo_users(path: Path | None = None) -> dict[str, tuple[str, list[DemoUser]]]:
    """Realm name → (display name, users).

    By default one file per realm from the package's ``demo_users`` folder (the file's stem is
    the realm); ``path`` may name such a folder, or a single file holding ``realms:``.
    """
    if path is not None and path.is_file():
        document = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        return {realm: _realm(realm, spec) for realm, spec in (document.get("realms") or {}).items()}
    folder = resources.files("wenze_devtools.testing.issuer").joinpath("demo_users") if path is None else path
    realms: dict[str, tuple[str, list[DemoUser]]] = {}
    for entry in sorted(folder.iterdir(), key=lambda e: e.name):
        if entry.name.endswith(".yaml"):
            realm = entry.name.removesuffix(".yaml")
            realms[realm] = _realm(realm, yaml.safe_load(entry.read_text(encoding="utf-8")) or {})
    return realms


def _realm(realm: str, spec: Mapping[str, Any]) -> tuple[str, list[DemoUser]]:
    password = str(spec.get("password", DEFAULT_PASSWORD))
    users = [_user(realm, entry, password) for entry in spec.get("users", [])]
    return str(spec.get("display_name", realm)), users


def _user(realm: str, entry: Mapping[str, Any], default_password: str) -> DemoUser:
    roles = tuple(entry.get("roles", ()))
    unknown = set(roles) - CAPABILITIES
    if unknown:
        raise ValueError(f"{realm}/{entry['username']}: unknown roles {sorted(unknown)}")
    return DemoUser(
        realm=realm,
        username=str(entry["username"]),
        name=str(entry.get("name", entry["username"])),
        password=str(entry.get("password", default_password)),
        office=entry.get("office"),
        office_name=entry.get("office_name"),
        roles=roles,
        cadre_authority=tuple(entry.get("cadre_authority", ())),
        linked_units=tuple(entry.get("linked_units", ())),
    )


def build_realms(
    names: Iterable[str],
    *,
    keys: Mapping[str, SigningKey],
    users_path: Path | None = None,
    api_secret: str = DEFAULT_API_SECRET,
    integrator_secret: str = DEFAULT_INTEGRATOR_SECRET,
) -> dict[str, Realm]:
    demo = load_demo_users(users_path)
    realms: dict[str, Realm] = {}
    for name in names:
        display_name, users = demo.get(name, (name, []))
        realms[name] = Realm(
            name=name,
            display_name=display_name,
            users={u.username: u for u in users},
            # Integrators submit matters to a tenant; the platform realm has none.
            clients=standard_clients(api_secret, integrator_secret, integrator=name != PLATFORM_REALM),
            keys=[keys[name]],
        )
    return realms
