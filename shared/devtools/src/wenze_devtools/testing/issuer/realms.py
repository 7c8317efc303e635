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
from wenze_devtools.testing.issuer.directory import (
    OFFLINE_ACCESS,
    UMA_AUTHORIZATION,
    ClientRecord,
    Directory,
    RoleRecord,
    UserRecord,
    service_account_id,
    user_id,
)
from wenze_devtools.testing.issuer.keys import SigningKey

TENANT_REALMS = ("wenze-kunshan", "wenze-jintan", "wenze-zhenxiong", "wenze-hubei")
# Platform operators' realm: national calendar years, never a tenant's data.
PLATFORM_REALM = DEFAULT_PLATFORM_REALM
DEFAULT_REALMS = (*TENANT_REALMS, PLATFORM_REALM)
DEFAULT_API_SECRET = "wenze-dev-secret"
DEFAULT_INTEGRATOR_SECRET = "wenze-integrator-secret"
DEFAULT_PASSWORD = "wenze"
# Keycloak's administration realm: its admin user holds the admin role, which the Admin REST
# API requires; admin-cli is the public client administration tools log in with.
ADMIN_REALM = "master"
ADMIN_ROLE = "admin"
ADMIN_CLIENT = "admin-cli"
DEFAULT_ADMIN_USERNAME = "admin"
DEFAULT_ADMIN_PASSWORD = "admin"


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
        return user_id(self.realm, self.username)

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
    # What the Admin REST API reads and writes; ``users`` and ``clients`` follow it after
    # every change made through that API (see :meth:`sync`).
    directory: Directory | None = None

    @property
    def active_key(self) -> SigningKey:
        return self.keys[-1]

    def key(self, kid: str) -> SigningKey | None:
        return next((k for k in self.keys if k.kid == kid), None)

    @property
    def default_roles(self) -> tuple[str, ...]:
        return (OFFLINE_ACCESS, UMA_AUTHORIZATION, f"default-roles-{self.name}")

    def admin_directory(self) -> Directory:
        """The realm as the Admin REST API sees it; a realm built from demo users gets its
        users, clients and their roles on first use."""
        if self.directory is None:
            self.directory = _seed_directory(self)
        return self.directory

    def sync(self) -> None:
        """Sign tokens for the users and clients the directory holds now, with the roles and
        attributes (own, else the first group's) it gives them."""
        directory = self.admin_directory()
        defaults = set(self.default_roles)

        def roles_of(user: UserRecord) -> tuple[str, ...]:
            return tuple(r for r in directory.effective_roles(user) if r not in defaults)

        clients: dict[str, Client] = {}
        for record in directory.clients.values():
            if not record.setting("enabled"):
                continue
            account_roles: tuple[str, ...] | None = None
            if record.setting("serviceAccountsEnabled"):
                account = directory.service_account(record.id)
                account_roles = roles_of(account) if account is not None else ()
            clients[record.client_id] = Client(
                record.client_id,
                public=bool(record.setting("publicClient")),
                secret=record.secret,
                direct_access=bool(record.setting("directAccessGrantsEnabled")),
                service_account_roles=account_roles,
            )
        users: dict[str, DemoUser] = {}
        for user in directory.users.values():
            if user.service_account_of is not None or not user.enabled:
                continue

            def first(name: str, user: UserRecord = user) -> str | None:
                values = directory.resolve_attribute(user, name)
                return values[0] if values else None

            users[user.username] = DemoUser(
                realm=self.name,
                username=user.username,
                name=f"{user.last_name or ''}{user.first_name or ''}" or user.username,
                password=user.password or "",
                office=first("office"),
                office_name=first("office_name"),
                roles=roles_of(user),
                cadre_authority=tuple(directory.resolve_attribute(user, "cadre_authority")),
                linked_units=tuple(directory.resolve_attribute(user, "linked_units")),
            )
        self.users = users
        self.clients = clients


def _seed_directory(realm: Realm) -> Directory:
    directory = Directory.new(realm.name, {"displayName": realm.display_name})

    def role_ids(names: Iterable[str]) -> list[str]:
        ids = []
        for name in names:
            role = directory.roles.get(name)
            if role is None:
                role = directory.roles[name] = RoleRecord(str(uuid.uuid4()), name)
            ids.append(role.id)
        return ids

    default_role = [f"default-roles-{realm.name}"]
    for user in realm.users.values():
        attributes = {
            "office": [user.office] if user.office else [],
            "office_name": [user.office_name] if user.office_name else [],
            "cadre_authority": list(user.cadre_authority),
            "linked_units": list(user.linked_units),
        }
        record = UserRecord(
            id=user.id,
            username=user.username,
            # The issuer reads a name as family name first, as Chinese names are written.
            first_name=user.name[1:],
            last_name=user.name[:1],
            email=user.email,
            attributes={k: v for k, v in attributes.items() if v},
            role_ids=role_ids([*user.roles, *default_role]),
            password=user.password,
        )
        directory.users[record.id] = record
    for client in realm.clients.values():
        settings = {
            "publicClient": client.public,
            "directAccessGrantsEnabled": client.direct_access,
            "serviceAccountsEnabled": client.service_account_roles is not None,
        }
        client_record = ClientRecord(str(uuid.uuid4()), client.client_id, settings, client.secret)
        directory.clients[client_record.id] = client_record
        if client.service_account_roles is not None:
            account = UserRecord(
                id=service_account_id(realm.name, client.client_id),
                username=f"service-account-{client.client_id}",
                role_ids=role_ids([*client.service_account_roles, *default_role]),
                service_account_of=client_record.id,
            )
            directory.users[account.id] = account
    return directory


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
    admin_username: str = DEFAULT_ADMIN_USERNAME,
    admin_password: str = DEFAULT_ADMIN_PASSWORD,
) -> dict[str, Realm]:
    demo = load_demo_users(users_path)
    realms: dict[str, Realm] = {}
    for name in names:
        if name == ADMIN_REALM:
            realms[name] = admin_realm(keys[name], admin_username, admin_password)
            continue
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


def admin_realm(key: SigningKey, username: str, password: str) -> Realm:
    """Keycloak's master realm with its bootstrap administrator, as a fresh server has it."""
    admin = DemoUser(
        realm=ADMIN_REALM,
        username=username,
        name=username,
        password=password,
        roles=(ADMIN_ROLE, "create-realm"),
    )
    return Realm(
        name=ADMIN_REALM,
        display_name="Keycloak",
        users={admin.username: admin},
        clients={ADMIN_CLIENT: Client(ADMIN_CLIENT, public=True)},
        keys=[key],
    )
