"""Apply the generated realm definitions to a running Keycloak through its Admin REST API.

:func:`read_realm` reads what a realm holds now, :func:`diff` compares it with the generated
definition (a pure function: one :class:`Change` per realm setting, role, group, client,
protocol mapper, service account and user profile), and :func:`execute` carries out the
changes that create or update. Only what the definitions name is compared and written:
roles, groups, clients, users and attributes Wenze did not define are left as they are and
reported as "not managed", and a role granted by hand to a managed group stays granted.

``${NAME}`` placeholders (client secrets, the web app's URL) are resolved from the environment
before anything is read or written; a secret is never part of a change's description.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Final, Literal

from keycloak import KeycloakAdmin, KeycloakOpenIDConnection
from keycloak.exceptions import KeycloakAuthenticationError, KeycloakConnectionError, KeycloakError

from wenze.keycloak.realms import build_realms

Action = Literal["create", "update", "unchanged", "not managed"]
PENDING: Final = ("create", "update")

REALM: Final = "realm"
ROLE: Final = "role"
GROUP: Final = "group"
CLIENT: Final = "client"
MAPPER: Final = "mapper"
SERVICE_ACCOUNT: Final = "service account"
USER_PROFILE: Final = "user profile"

_USER_PROFILE_PROVIDER: Final = "org.keycloak.userprofile.UserProfileProvider"
_USER_PROFILE_CONFIG: Final = "kc.user.profile.config"
# Parts of a realm document that have their own admin endpoints; the rest are realm settings.
_REALM_PARTS: Final = frozenset({"roles", "groups", "clients", "users", "components"})
# Set by the client's own endpoints, or compared on their own.
_CLIENT_OWN_FIELDS: Final = frozenset({"clientId", "protocolMappers", "secret"})
# What Keycloak puts in every realm it creates: never Wenze's, never reported.
_KEYCLOAK_CLIENTS: Final = frozenset(
    {"account", "account-console", "admin-cli", "broker", "realm-management", "security-admin-console"}
)
_KEYCLOAK_ROLES: Final = frozenset({"offline_access", "uma_authorization"})
# Environment placeholders are in capitals; Keycloak's own message keys (${username}) are not.
_PLACEHOLDER: Final = re.compile(r"\$\{([A-Z][A-Z0-9_]*)\}")
_MESSAGE_LIMIT: Final = 200


class ApplyError(Exception):
    """A reason the realms could not be applied, in one sentence for an operator."""


class MissingVariables(ApplyError):
    def __init__(self, names: Iterable[str]) -> None:
        self.names = sorted(set(names))
        listed = ", ".join(self.names)
        super().__init__(
            f"the environment lacks {listed}, which the realm definitions need "
            "(client secrets and the web app's URL); set them and run again — nothing was changed"
        )


class KeycloakUnreachable(ApplyError):
    pass


class BadCredentials(ApplyError):
    pass


class NotAllowed(ApplyError):
    pass


class KeycloakRefused(ApplyError):
    pass


@dataclass(frozen=True)
class Change:
    """One thing of one realm and what applying the definitions does to it."""

    realm: str
    kind: str
    name: str
    action: Action
    fields: tuple[str, ...] = ()
    run: Callable[[_Session], None] | None = field(default=None, compare=False, repr=False)

    def as_dict(self) -> dict[str, Any]:
        return {
            "realm": self.realm,
            "kind": self.kind,
            "name": self.name,
            "action": self.action,
            "fields": list(self.fields),
        }


@dataclass(frozen=True)
class Plan:
    changes: tuple[Change, ...]

    @property
    def pending(self) -> list[Change]:
        return [c for c in self.changes if c.action in PENDING]

    def count(self, action: Action) -> int:
        return sum(1 for c in self.changes if c.action == action)


@dataclass(frozen=True)
class AdminLogin:
    """How to log in to Keycloak's admin API: a user's password, or a client's secret
    (a service account with the admin role), in ``realm`` (Keycloak's ``master``)."""

    server_url: str
    realm: str = "master"
    username: str | None = None
    password: str | None = field(default=None, repr=False)
    client_id: str = "admin-cli"
    client_secret: str | None = field(default=None, repr=False)
    verify: bool = True
    timeout: int = 30

    @property
    def who(self) -> str:
        return f"user {self.username}" if self.username else f"client {self.client_id}"


# Desired state


def desired_realms(names: Iterable[str] | None = None) -> dict[str, dict[str, Any]]:
    """The generated realm documents, all of them or the ones named (each must exist)."""
    realms = build_realms()
    if names is None:
        return realms
    chosen = {}
    for name in names:
        if name not in realms:
            raise ApplyError(f"no realm definition named {name}; known: {', '.join(sorted(realms))}")
        chosen[name] = realms[name]
    return chosen


def resolve_placeholders(document: Any, environ: Mapping[str, str]) -> Any:
    """``document`` with every ``${NAME}`` replaced from ``environ``; all missing names at once."""
    missing = {name for name in placeholders(document) if not environ.get(name)}
    if missing:
        raise MissingVariables(missing)

    def resolve(value: Any) -> Any:
        if isinstance(value, str):
            return _PLACEHOLDER.sub(lambda m: environ[m.group(1)], value)
        if isinstance(value, list):
            return [resolve(v) for v in value]
        if isinstance(value, dict):
            return {k: resolve(v) for k, v in value.items()}
        return value

    return resolve(document)


def placeholders(value: Any) -> set[str]:
    """The environment variables ``${NAME}`` that a realm document (or any part of it) names."""
    if isinstance(value, str):
        return set(_PLACEHOLDER.findall(value))
    if isinstance(value, list):
        return set().union(*(placeholders(v) for v in value)) if value else set()
    if isinstance(value, dict):
        return set().union(*(placeholders(v) for v in value.values())) if value else set()
    return set()


def user_profile_of(document: Mapping[str, Any]) -> dict[str, Any]:
    """The user profile a realm-import document carries in its declarative-user-profile component."""
    (component,) = document["components"][_USER_PROFILE_PROVIDER]
    profile: dict[str, Any] = json.loads("".join(component["config"][_USER_PROFILE_CONFIG]))
    return profile


# Actual state


@dataclass(frozen=True)
class ActualGroup:
    id: str
    attributes: dict[str, list[str]]
    roles: frozenset[str]


@dataclass(frozen=True)
class ActualClient:
    id: str
    representation: dict[str, Any]
    secret: str | None
    mappers: dict[str, dict[str, Any]]
    # The service account's user id and realm roles, when the client has one.
    service_account: tuple[str, frozenset[str]] | None


@dataclass(frozen=True)
class ActualRealm:
    settings: dict[str, Any]
    roles: dict[str, dict[str, Any]]
    groups: dict[str, ActualGroup]
    # Every client by clientId; details only for the clients Wenze defines.
    client_ids: tuple[str, ...]
    clients: dict[str, ActualClient]
    profile: dict[str, Any]


def read_realm(admin: KeycloakAdmin, name: str, desired: Mapping[str, Any]) -> ActualRealm | None:
    """What realm ``name`` holds now of what ``desired`` defines; ``None`` when it does not exist."""
    try:
        settings = admin.get_realm(name)
    except KeycloakError as exc:
        if exc.response_code == 404:
            return None
        raise
    admin.change_current_realm(name)
    roles = {r["name"]: r for r in admin.get_realm_roles(brief_representation=False)}
    wanted_groups = {g["name"] for g in desired.get("groups", ())}
    groups = {}
    for brief in admin.get_groups():
        if brief["name"] in wanted_groups:
            full = admin.get_group(brief["id"])
            groups[brief["name"]] = ActualGroup(
                id=brief["id"],
                attributes=dict(full.get("attributes") or {}),
                roles=frozenset(r["name"] for r in admin.get_group_realm_roles(brief["id"])),
            )
        else:
            groups[brief["name"]] = ActualGroup(id=brief["id"], attributes={}, roles=frozenset())
    wanted_clients = {c["clientId"] for c in desired.get("clients", ())}
    all_clients = admin.get_clients()
    clients = {}
    for rep in all_clients:
        if rep["clientId"] not in wanted_clients:
            continue
        internal = rep["id"]
        secret = None
        if not rep.get("publicClient") and not rep.get("bearerOnly"):
            secret = admin.get_client_secrets(internal).get("value")
        account = None
        if rep.get("serviceAccountsEnabled"):
            user = admin.get_client_service_account_user(internal)
            account = (user["id"], frozenset(r["name"] for r in admin.get_realm_roles_of_user(user["id"])))
        clients[rep["clientId"]] = ActualClient(
            id=internal,
            representation=rep,
            secret=secret,
            mappers={m["name"]: m for m in admin.get_mappers_from_client(internal)},
            service_account=account,
        )
    return ActualRealm(
        settings=settings,
        roles=roles,
        groups=groups,
        client_ids=tuple(c["clientId"] for c in all_clients),
        clients=clients,
        profile=admin.get_realm_users_profile(),
    )


# Differences


class _Session:
    """What executing one realm's changes needs: the admin client and the ids of what exists."""

    def __init__(self, admin: KeycloakAdmin, realm: str, actual: ActualRealm | None) -> None:
        self.admin = admin
        self.realm = realm
        self.group_ids = {n: g.id for n, g in actual.groups.items()} if actual else {}
        self.client_ids = {n: c.id for n, c in actual.clients.items()} if actual else {}
        self._roles: dict[str, dict[str, Any]] | None = None

    def roles(self, names: Iterable[str]) -> list[dict[str, Any]]:
        # Role mappings name roles by id, which only Keycloak knows; created roles change it.
        if self._roles is None:
            self._roles = {r["name"]: r for r in self.admin.get_realm_roles()}
        return [{"id": self._roles[n]["id"], "name": n} for n in sorted(names)]

    def roles_changed(self) -> None:
        self._roles = None


def diff(realm: str, desired: Mapping[str, Any], actual: ActualRealm | None) -> list[Change]:
    """Every change that makes ``actual`` hold what ``desired`` defines, in the order Keycloak
    needs them (roles before the groups that carry them, clients before their mappers)."""
    changes: list[Change] = []
    settings = {k: v for k, v in desired.items() if k not in _REALM_PARTS}
    if actual is None:

        def create_realm(s: _Session) -> None:
            s.admin.create_realm(settings)
            s.admin.change_current_realm(realm)

        changes.append(Change(realm, REALM, realm, "create", run=create_realm))
    else:
        fields = tuple(k for k, v in settings.items() if actual.settings.get(k) != v)

        def update_realm(s: _Session) -> None:
            s.admin.update_realm(realm, settings)

        changes.append(Change(realm, REALM, realm, "update" if fields else "unchanged", fields, run=update_realm))
    changes += _role_changes(realm, desired["roles"]["realm"], actual)
    changes += _group_changes(realm, desired.get("groups", []), actual)
    clients = desired.get("clients", [])
    changes += _client_changes(realm, clients, actual)
    changes += _mapper_changes(realm, clients, actual)
    changes += _service_account_changes(realm, desired.get("users", []), actual)
    changes.append(_profile_change(realm, user_profile_of(desired), actual))
    if actual is not None:
        changes += _not_managed(realm, desired, actual)
    return changes


def _role_changes(realm: str, roles: list[dict[str, Any]], actual: ActualRealm | None) -> list[Change]:
    changes = []
    for role in roles:
        name = role["name"]
        found = actual.roles.get(name) if actual else None
        if found is None:

            def create(s: _Session, role: dict[str, Any] = role) -> None:
                s.admin.create_realm_role(role)
                s.roles_changed()

            changes.append(Change(realm, ROLE, name, "create", run=create))
            continue
        fields = tuple(k for k in ("description", "composite") if found.get(k) != role.get(k))

        def update(s: _Session, role: dict[str, Any] = role) -> None:
            s.admin.update_realm_role(role["name"], role)

        changes.append(Change(realm, ROLE, name, "update" if fields else "unchanged", fields, run=update))
    return changes


def _group_changes(realm: str, groups: list[dict[str, Any]], actual: ActualRealm | None) -> list[Change]:
    changes = []
    for group in groups:
        name = group["name"]
        attributes = group.get("attributes", {})
        roles = set(group.get("realmRoles", ()))
        found = actual.groups.get(name) if actual else None
        if found is None:

            def create(s: _Session, name: str = name, attributes: dict[str, Any] = attributes) -> None:
                group_id = s.admin.create_group({"name": name, "attributes": attributes})
                if group_id is None:
                    raise KeycloakRefused(f"Keycloak created group {name} in {s.realm} but did not say its id")
                s.group_ids[name] = group_id

            def grant(s: _Session, name: str = name, roles: set[str] = roles) -> None:
                if roles:
                    s.admin.assign_group_realm_roles(s.group_ids[name], s.roles(roles))

            changes.append(Change(realm, GROUP, name, "create", run=_both(create, grant)))
            continue
        changed = [k for k, v in attributes.items() if found.attributes.get(k) != v]
        missing = roles - found.roles
        fields = tuple([f"attributes.{k}" for k in changed] + (["realmRoles"] if missing else []))

        # Attributes Wenze does not define stay as they are.
        merged = {**found.attributes, **{k: attributes[k] for k in changed}}

        def update(s: _Session, name: str = name, found: ActualGroup = found, merged: dict[str, Any] = merged) -> None:
            if merged != found.attributes:
                s.admin.update_group(found.id, {"name": name, "attributes": merged})

        def grant_missing(s: _Session, found: ActualGroup = found, missing: set[str] = missing) -> None:
            if missing:
                s.admin.assign_group_realm_roles(found.id, s.roles(missing))

        changes.append(
            Change(realm, GROUP, name, "update" if fields else "unchanged", fields, run=_both(update, grant_missing))
        )
    return changes


def _client_changes(realm: str, clients: list[dict[str, Any]], actual: ActualRealm | None) -> list[Change]:
    changes = []
    for client in clients:
        client_id = client["clientId"]
        # Mappers have their own changes, so a client is created without them.
        body = {k: v for k, v in client.items() if k != "protocolMappers"}
        found = actual.clients.get(client_id) if actual else None
        if found is None:

            def create(s: _Session, body: dict[str, Any] = body) -> None:
                s.client_ids[body["clientId"]] = s.admin.create_client(body)

            changes.append(Change(realm, CLIENT, client_id, "create", run=create))
            continue
        fields = _client_fields(body, found)

        def update(s: _Session, body: dict[str, Any] = body, found: ActualClient = found) -> None:
            attributes = {**(found.representation.get("attributes") or {}), **body.get("attributes", {})}
            s.admin.update_client(found.id, {**body, "attributes": attributes})

        changes.append(Change(realm, CLIENT, client_id, "update" if fields else "unchanged", tuple(fields), run=update))
    return changes


def _client_fields(body: Mapping[str, Any], found: ActualClient) -> list[str]:
    fields = []
    rep = found.representation
    for key, value in body.items():
        if key in _CLIENT_OWN_FIELDS:
            continue
        if key == "attributes":
            have = rep.get("attributes") or {}
            fields += [f"attributes.{k}" for k, v in value.items() if have.get(k) != v]
        elif not _same(rep.get(key), value):
            fields.append(key)
    if body.get("secret") is not None and found.secret != body["secret"]:
        # Named, never shown.
        fields.append("secret")
    return fields


def _mapper_changes(realm: str, clients: list[dict[str, Any]], actual: ActualRealm | None) -> list[Change]:
    changes = []
    for client in clients:
        client_id = client["clientId"]
        found_client = actual.clients.get(client_id) if actual else None
        for mapper in client.get("protocolMappers", []):
            name = f"{client_id}/{mapper['name']}"
            found = found_client.mappers.get(mapper["name"]) if found_client else None
            if found is None:

                def create(s: _Session, client_id: str = client_id, mapper: dict[str, Any] = mapper) -> None:
                    s.admin.add_mapper_to_client(s.client_ids[client_id], mapper)

                changes.append(Change(realm, MAPPER, name, "create", run=create))
                continue
            fields = [k for k in ("protocol", "protocolMapper") if found.get(k) != mapper.get(k)]
            have = found.get("config") or {}
            fields += [f"config.{k}" for k, v in mapper.get("config", {}).items() if have.get(k) != v]

            def update(
                s: _Session, client_id: str = client_id, mapper: dict[str, Any] = mapper, found: dict[str, Any] = found
            ) -> None:
                config = {**(found.get("config") or {}), **mapper.get("config", {})}
                s.admin.update_client_mapper(
                    s.client_ids[client_id], found["id"], {**mapper, "id": found["id"], "config": config}
                )

            changes.append(Change(realm, MAPPER, name, "update" if fields else "unchanged", tuple(fields), run=update))
    return changes


def _service_account_changes(realm: str, users: list[dict[str, Any]], actual: ActualRealm | None) -> list[Change]:
    changes = []
    for user in users:
        client_id = user.get("serviceAccountClientId")
        if not client_id:
            continue
        roles = set(user.get("realmRoles", ()))
        found_client = actual.clients.get(client_id) if actual else None
        account = found_client.service_account if found_client else None

        def grant(s: _Session, client_id: str = client_id, roles: set[str] = roles) -> None:
            account_user = s.admin.get_client_service_account_user(s.client_ids[client_id])
            have = {r["name"] for r in s.admin.get_realm_roles_of_user(account_user["id"])}
            if roles - have:
                s.admin.assign_realm_roles(account_user["id"], s.roles(roles - have))

        if account is None:
            changes.append(Change(realm, SERVICE_ACCOUNT, user["username"], "create", run=grant))
        else:
            fields = ("realmRoles",) if roles - account[1] else ()
            changes.append(
                Change(realm, SERVICE_ACCOUNT, user["username"], "update" if fields else "unchanged", fields, run=grant)
            )
    return changes


def _profile_change(realm: str, profile: dict[str, Any], actual: ActualRealm | None) -> Change:
    have = actual.profile if actual else {}
    have_attributes = {a["name"]: a for a in have.get("attributes", ())}
    fields = []
    for attribute in profile.get("attributes", ()):
        found = have_attributes.get(attribute["name"])
        if found is None or any(not _same(found.get(k), v) for k, v in attribute.items()):
            fields.append(f"attributes.{attribute['name']}")
    have_groups = {g.get("name") for g in have.get("groups", ())}
    fields += [f"groups.{g['name']}" for g in profile.get("groups", ()) if g["name"] not in have_groups]

    def update(s: _Session) -> None:
        # Read again: a new realm has Keycloak's default profile only once it exists.
        current = s.admin.get_realm_users_profile()
        wanted = {a["name"] for a in profile.get("attributes", ())}
        kept = [a for a in current.get("attributes", ()) if a["name"] not in wanted]
        groups = {g["name"]: g for g in current.get("groups", ())}
        groups.update({g["name"]: g for g in profile.get("groups", ())})
        s.admin.update_realm_users_profile(
            {**current, "attributes": [*profile.get("attributes", ()), *kept], "groups": list(groups.values())}
        )

    if actual is None:
        return Change(realm, USER_PROFILE, realm, "create", run=update)
    return Change(realm, USER_PROFILE, realm, "update" if fields else "unchanged", tuple(fields), run=update)


def _not_managed(realm: str, desired: Mapping[str, Any], actual: ActualRealm) -> list[Change]:
    roles = {r["name"] for r in desired["roles"]["realm"]} | _KEYCLOAK_ROLES | {f"default-roles-{realm}"}
    groups = {g["name"] for g in desired.get("groups", ())}
    clients = {c["clientId"] for c in desired.get("clients", ())} | _KEYCLOAK_CLIENTS
    return (
        [Change(realm, ROLE, n, "not managed") for n in sorted(set(actual.roles) - roles)]
        + [Change(realm, GROUP, n, "not managed") for n in sorted(set(actual.groups) - groups)]
        + [Change(realm, CLIENT, n, "not managed") for n in sorted(set(actual.client_ids) - clients)]
    )


def _same(have: Any, want: Any) -> bool:
    """Equal as Keycloak keeps them: it stores lists of names (redirect URIs, permissions) as
    sets, so their order is not a difference."""
    if isinstance(want, list) and isinstance(have, list):
        if all(isinstance(v, str) for v in [*want, *have]):
            return sorted(have) == sorted(want)
        return len(have) == len(want) and all(_same(h, w) for h, w in zip(have, want, strict=True))
    if isinstance(want, dict) and isinstance(have, dict):
        return set(have) == set(want) and all(_same(have[k], v) for k, v in want.items())
    return bool(have == want)


def _both(first: Callable[[_Session], None], second: Callable[[_Session], None]) -> Callable[[_Session], None]:
    def run(s: _Session) -> None:
        first(s)
        second(s)

    return run


# Connecting, planning and executing


def connect(login: AdminLogin) -> KeycloakAdmin:
    """An admin client, already logged in, so bad credentials are reported before anything else."""
    connection = KeycloakOpenIDConnection(
        server_url=login.server_url,
        username=login.username,
        password=login.password,
        realm_name=login.realm,
        user_realm_name=login.realm,
        client_id=login.client_id,
        client_secret_key=login.client_secret,
        verify=login.verify,
        timeout=login.timeout,
    )
    with keycloak_errors(login, "log in"):
        connection.get_token()
    return KeycloakAdmin(connection=connection)


def plan(admin: KeycloakAdmin, login: AdminLogin, desired: Mapping[str, Mapping[str, Any]]) -> Plan:
    changes: list[Change] = []
    for name, document in desired.items():
        with keycloak_errors(login, f"read realm {name}"):
            actual = read_realm(admin, name, document)
        changes += diff(name, document, actual)
    return Plan(tuple(changes))


def execute(admin: KeycloakAdmin, login: AdminLogin, planned: Plan) -> list[Change]:
    """Carry out the plan's creations and updates, realm by realm; returns what was done."""
    done: list[Change] = []
    realms = dict.fromkeys(c.realm for c in planned.changes)
    for realm in realms:
        pending = [c for c in planned.pending if c.realm == realm]
        if not pending:
            continue
        exists = not any(c.kind == REALM and c.action == "create" for c in pending)
        admin.change_current_realm(realm)
        session = _Session(admin, realm, None)
        if exists:
            with keycloak_errors(login, f"read realm {realm}"):
                session = _Session(admin, realm, _ids_of(admin))
        for change in pending:
            assert change.run is not None
            with keycloak_errors(login, f"{change.action} {change.kind} {change.name} in realm {realm}"):
                change.run(session)
            done.append(change)
    return done


def _ids_of(admin: KeycloakAdmin) -> ActualRealm:
    # Only the ids: the plan already knows what differs.
    return ActualRealm(
        settings={},
        roles={},
        groups={g["name"]: ActualGroup(g["id"], {}, frozenset()) for g in admin.get_groups()},
        client_ids=(),
        clients={c["clientId"]: ActualClient(c["id"], c, None, {}, None) for c in admin.get_clients()},
        profile={},
    )


@contextmanager
def keycloak_errors(login: AdminLogin, doing: str) -> Iterator[None]:
    """python-keycloak's exceptions as one sentence an operator acts on, with no response
    content beyond a bounded message."""
    try:
        yield
    except KeycloakConnectionError as exc:
        raise KeycloakUnreachable(f"cannot reach Keycloak at {login.server_url}: {_reason(exc)}") from None
    except KeycloakAuthenticationError:
        raise BadCredentials(
            f"Keycloak at {login.server_url} refused the admin credentials of {login.who} in realm {login.realm}"
        ) from None
    except KeycloakError as exc:
        code = exc.response_code
        if code == 403:
            raise NotAllowed(
                f"{login.who} of realm {login.realm} may not {doing} (Keycloak answered 403): "
                "it needs the admin role of the master realm, or manage-realm and create-realm"
            ) from None
        if code == 404 and doing == "log in":
            raise BadCredentials(f"Keycloak at {login.server_url} has no realm {login.realm} to log in to") from None
        raise KeycloakRefused(f"Keycloak refused to {doing}: {code} {_bounded(exc.error_message)}") from None


def _reason(exc: KeycloakConnectionError) -> str:
    text = str(exc.__cause__ or exc)
    found = re.search(r"\[Errno -?\d+\] [^'\")\]]+", text)
    if found:
        return found.group(0).strip()
    if "timed out" in text.lower():
        return "the connection timed out"
    return _bounded(type(exc.__cause__ or exc).__name__)


def _bounded(message: Any) -> str:
    text = message.decode("utf-8", "replace") if isinstance(message, bytes) else str(message)
    text = " ".join(text.split())
    return text if len(text) <= _MESSAGE_LIMIT else text[: _MESSAGE_LIMIT - 1] + "…"
