"""What Keycloak's Admin REST API reads and writes of a realm, kept in memory.

Records hold Keycloak's representations (realm, roles, groups, clients with their protocol
mappers, users with their role mappings and group memberships, the user profile). Every
method answers as Keycloak does: a missing object raises :class:`AdminError` 404, a
duplicate 409. :func:`wenze_devtools.testing.issuer.admin.sync_realm` turns a directory into
the users and clients the issuer signs tokens for.
"""

from __future__ import annotations

import copy
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

# Keycloak's own realm roles, present in every realm it creates.
OFFLINE_ACCESS = "offline_access"
UMA_AUTHORIZATION = "uma_authorization"
# Top-level realm settings the fake keeps; nested parts (roles, groups, clients, users) have their own endpoints.
REALM_SETTINGS = ("displayName", "enabled", "sslRequired", "registrationAllowed", "loginWithEmailAllowed")


class AdminError(Exception):
    """An Admin REST API refusal, with Keycloak's status and body."""

    def __init__(self, status: int, body: Mapping[str, Any]) -> None:
        super().__init__(str(body))
        self.status = status
        self.body = dict(body)


def not_found(message: str) -> AdminError:
    return AdminError(404, {"error": message})


def conflict(message: str) -> AdminError:
    return AdminError(409, {"errorMessage": message})


def bad_request(message: str) -> AdminError:
    return AdminError(400, {"errorMessage": message})


# Stable user ids across restarts, like a Keycloak database that keeps its users.
_ID_NAMESPACE = uuid.UUID("6f1c0c1e-8f5b-4a57-9a54-3c1f0e7d2a10")


def user_id(realm: str, username: str) -> str:
    return str(uuid.uuid5(_ID_NAMESPACE, f"{realm}/{username}"))


def service_account_id(realm: str, client_id: str) -> str:
    return user_id(realm, f"service-account-{client_id}")


def _new_id() -> str:
    return str(uuid.uuid4())


@dataclass
class RoleRecord:
    id: str
    name: str
    description: str | None = None
    composite: bool = False
    attributes: dict[str, list[str]] = field(default_factory=dict)

    def representation(self, container_id: str) -> dict[str, Any]:
        rep: dict[str, Any] = {
            "id": self.id,
            "name": self.name,
            "composite": self.composite,
            "clientRole": False,
            "containerId": container_id,
            "attributes": copy.deepcopy(self.attributes),
        }
        if self.description is not None:
            rep["description"] = self.description
        return rep


@dataclass
class GroupRecord:
    id: str
    name: str
    attributes: dict[str, list[str]] = field(default_factory=dict)
    role_ids: list[str] = field(default_factory=list)

    def representation(self, roles: Mapping[str, RoleRecord], *, brief: bool) -> dict[str, Any]:
        rep: dict[str, Any] = {"id": self.id, "name": self.name, "path": f"/{self.name}", "subGroupCount": 0}
        if not brief:
            rep["attributes"] = copy.deepcopy(self.attributes)
            rep["realmRoles"] = [roles[i].name for i in self.role_ids if i in roles]
            rep["clientRoles"] = {}
            rep["subGroups"] = []
        return rep


@dataclass
class MapperRecord:
    id: str
    name: str
    protocol: str
    protocol_mapper: str
    config: dict[str, str]

    def representation(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "protocol": self.protocol,
            "protocolMapper": self.protocol_mapper,
            "consentRequired": False,
            "config": dict(self.config),
        }


# Client settings stored as given; the rest of a representation is Keycloak's defaults.
_CLIENT_DEFAULTS: dict[str, Any] = {
    "enabled": True,
    "protocol": "openid-connect",
    "publicClient": False,
    "bearerOnly": False,
    "consentRequired": False,
    "standardFlowEnabled": True,
    "implicitFlowEnabled": False,
    "directAccessGrantsEnabled": False,
    "serviceAccountsEnabled": False,
    "frontchannelLogout": True,
    "fullScopeAllowed": True,
    "redirectUris": [],
    "webOrigins": [],
    "attributes": {},
}


@dataclass
class ClientRecord:
    id: str
    client_id: str
    settings: dict[str, Any]
    secret: str | None
    mappers: dict[str, MapperRecord] = field(default_factory=dict)

    def representation(self) -> dict[str, Any]:
        rep = {**copy.deepcopy(_CLIENT_DEFAULTS), **copy.deepcopy(self.settings)}
        rep.update(
            {
                "id": self.id,
                "clientId": self.client_id,
                "clientAuthenticatorType": "client-secret",
                "protocolMappers": [m.representation() for m in self.mappers.values()],
            }
        )
        if not rep["publicClient"] and self.secret is not None:
            rep["secret"] = self.secret
        return rep

    def setting(self, name: str) -> Any:
        return self.settings.get(name, _CLIENT_DEFAULTS.get(name))


@dataclass
class UserRecord:
    id: str
    username: str
    enabled: bool = True
    first_name: str | None = None
    last_name: str | None = None
    email: str | None = None
    attributes: dict[str, list[str]] = field(default_factory=dict)
    group_ids: list[str] = field(default_factory=list)
    role_ids: list[str] = field(default_factory=list)
    password: str | None = None
    # The client's internal id when this is a client's service account.
    service_account_of: str | None = None

    def representation(self) -> dict[str, Any]:
        rep: dict[str, Any] = {
            "id": self.id,
            "username": self.username,
            "enabled": self.enabled,
            "emailVerified": False,
            "attributes": copy.deepcopy(self.attributes),
            "requiredActions": [],
            "createdTimestamp": 0,
        }
        for key, value in (("firstName", self.first_name), ("lastName", self.last_name), ("email", self.email)):
            if value is not None:
                rep[key] = value
        if self.service_account_of is not None:
            rep["serviceAccountClientId"] = self.service_account_of
        return rep


def default_user_profile() -> dict[str, Any]:
    """The profile a new Keycloak realm has: the four standard attributes."""
    everyone = {"view": ["admin", "user"], "edit": ["admin", "user"]}
    return {
        "attributes": [
            {
                "name": "username",
                "displayName": "${username}",
                "validations": {"length": {"min": 3, "max": 255}, "username-prohibited-characters": {}},
                "permissions": everyone,
                "multivalued": False,
            },
            {
                "name": "email",
                "displayName": "${email}",
                "validations": {"email": {}, "length": {"max": 255}},
                "required": {"roles": ["user"]},
                "permissions": everyone,
                "multivalued": False,
            },
            {
                "name": "firstName",
                "displayName": "${firstName}",
                "validations": {"length": {"max": 255}, "person-name-prohibited-characters": {}},
                "required": {"roles": ["user"]},
                "permissions": everyone,
                "multivalued": False,
            },
            {
                "name": "lastName",
                "displayName": "${lastName}",
                "validations": {"length": {"max": 255}, "person-name-prohibited-characters": {}},
                "required": {"roles": ["user"]},
                "permissions": everyone,
                "multivalued": False,
            },
        ],
        "groups": [
            {
                "name": "user-metadata",
                "displayHeader": "User metadata",
                "displayDescription": "Attributes, which refer to user metadata",
            }
        ],
    }


@dataclass
class Directory:
    """One realm as the admin API sees it."""

    name: str
    settings: dict[str, Any] = field(default_factory=dict)
    roles: dict[str, RoleRecord] = field(default_factory=dict)
    groups: dict[str, GroupRecord] = field(default_factory=dict)
    clients: dict[str, ClientRecord] = field(default_factory=dict)
    users: dict[str, UserRecord] = field(default_factory=dict)
    profile: dict[str, Any] = field(default_factory=default_user_profile)

    @classmethod
    def new(cls, name: str, settings: Mapping[str, Any] | None = None) -> Directory:
        """A realm as Keycloak creates it: its default roles and no groups, clients or users."""
        directory = cls(name=name, settings={"enabled": True, "sslRequired": "external"})
        directory.settings.update({k: v for k, v in (settings or {}).items() if k in REALM_SETTINGS})
        for role, description in (
            (OFFLINE_ACCESS, "${role_offline-access}"),
            (UMA_AUTHORIZATION, "${role_uma_authorization}"),
            (f"default-roles-{name}", "${role_default-roles}"),
        ):
            directory.roles[role] = RoleRecord(_new_id(), role, description, composite=role.startswith("default-"))
        return directory

    def representation(self) -> dict[str, Any]:
        return {"id": self.name, "realm": self.name, **copy.deepcopy(self.settings)}

    def update_settings(self, rep: Mapping[str, Any]) -> None:
        if "realm" in rep and rep["realm"] != self.name:
            raise bad_request("Renaming a realm is not supported by this issuer")
        self.settings.update({k: v for k, v in rep.items() if k in REALM_SETTINGS})

    # Roles

    def role(self, name: str) -> RoleRecord:
        role = self.roles.get(name)
        if role is None:
            raise not_found("Could not find role")
        return role

    def role_by_id(self, role_id: str) -> RoleRecord:
        role = next((r for r in self.roles.values() if r.id == role_id), None)
        if role is None:
            raise not_found("Could not find role")
        return role

    def create_role(self, rep: Mapping[str, Any]) -> RoleRecord:
        name = str(rep.get("name") or "")
        if not name:
            raise bad_request("Role name is missing")
        if name in self.roles:
            raise conflict(f"Role with name {name} already exists")
        role = RoleRecord(
            _new_id(),
            name,
            rep.get("description"),
            bool(rep.get("composite", False)),
            dict(rep.get("attributes") or {}),
        )
        self.roles[name] = role
        return role

    def update_role(self, name: str, rep: Mapping[str, Any]) -> None:
        role = self.role(name)
        new_name = rep.get("name") or name
        if new_name != name:
            if new_name in self.roles:
                raise conflict(f"Role with name {new_name} already exists")
            del self.roles[name]
            role.name = new_name
            self.roles[new_name] = role
        if "description" in rep:
            role.description = rep["description"]
        if "attributes" in rep and rep["attributes"] is not None:
            role.attributes = dict(rep["attributes"])

    def _role_refs(self, reps: Iterable[Mapping[str, Any]]) -> list[RoleRecord]:
        # Keycloak resolves a role mapping by the role's id, as python-keycloak sends it.
        found = []
        for rep in reps:
            if rep.get("id"):
                found.append(self.role_by_id(str(rep["id"])))
            else:
                found.append(self.role(str(rep.get("name"))))
        return found

    def roles_by_id(self) -> dict[str, RoleRecord]:
        return {r.id: r for r in self.roles.values()}

    def role_reps(self, ids: Iterable[str]) -> list[dict[str, Any]]:
        by_id = {r.id: r for r in self.roles.values()}
        return [by_id[i].representation(self.name) for i in ids if i in by_id]

    # Groups

    def group(self, group_id: str) -> GroupRecord:
        group = self.groups.get(group_id)
        if group is None:
            raise not_found("Could not find group by id")
        return group

    def create_group(self, rep: Mapping[str, Any]) -> GroupRecord:
        name = str(rep.get("name") or "")
        if not name:
            raise bad_request("Group name is missing")
        if any(g.name == name for g in self.groups.values()):
            raise conflict(f"Top level group named '{name}' already exists.")
        group = GroupRecord(_new_id(), name, _attributes(rep.get("attributes")))
        self.groups[group.id] = group
        return group

    def update_group(self, group_id: str, rep: Mapping[str, Any]) -> None:
        group = self.group(group_id)
        name = rep.get("name")
        if name and name != group.name:
            if any(g.name == name for g in self.groups.values()):
                raise conflict(f"Sibling group named '{name}' already exists.")
            group.name = str(name)
        if rep.get("attributes") is not None:
            group.attributes = _attributes(rep["attributes"])

    def add_group_roles(self, group_id: str, reps: Iterable[Mapping[str, Any]]) -> None:
        group = self.group(group_id)
        for role in self._role_refs(reps):
            if role.id not in group.role_ids:
                group.role_ids.append(role.id)

    def remove_group_roles(self, group_id: str, reps: Iterable[Mapping[str, Any]]) -> None:
        group = self.group(group_id)
        for role in self._role_refs(reps):
            if role.id in group.role_ids:
                group.role_ids.remove(role.id)

    # Clients

    def client(self, internal_id: str) -> ClientRecord:
        client = self.clients.get(internal_id)
        if client is None:
            raise not_found("Could not find client")
        return client

    def create_client(self, rep: Mapping[str, Any]) -> ClientRecord:
        client_id = str(rep.get("clientId") or "")
        if not client_id:
            raise bad_request("Client id is missing")
        if any(c.client_id == client_id for c in self.clients.values()):
            raise conflict(f"Client {client_id} already exists")
        settings = {
            k: copy.deepcopy(v) for k, v in rep.items() if k not in ("id", "clientId", "secret", "protocolMappers")
        }
        public = bool(settings.get("publicClient", False))
        # Keycloak generates a secret for a confidential client created without one.
        secret = None if public else str(rep.get("secret") or uuid.uuid4().hex)
        client = ClientRecord(str(rep.get("id") or _new_id()), client_id, settings, secret)
        self.clients[client.id] = client
        for mapper in rep.get("protocolMappers") or ():
            self.add_mapper(client.id, mapper)
        self._ensure_service_account(client)
        return client

    def update_client(self, internal_id: str, rep: Mapping[str, Any]) -> None:
        client = self.client(internal_id)
        new_id = rep.get("clientId")
        if new_id and new_id != client.client_id:
            if any(c.client_id == new_id for c in self.clients.values()):
                raise conflict(f"Client {new_id} already exists")
            client.client_id = str(new_id)
        for key, value in rep.items():
            if key in ("id", "clientId", "secret", "protocolMappers") or value is None:
                continue
            if key == "attributes":
                client.settings["attributes"] = {**(client.settings.get("attributes") or {}), **value}
            else:
                client.settings[key] = copy.deepcopy(value)
        if rep.get("secret") is not None and not client.setting("publicClient"):
            client.secret = str(rep["secret"])
        self._ensure_service_account(client)

    def _ensure_service_account(self, client: ClientRecord) -> None:
        if not client.setting("serviceAccountsEnabled") or self.service_account(client.id) is not None:
            return
        user = UserRecord(
            id=service_account_id(self.name, client.client_id),
            username=f"service-account-{client.client_id}",
            service_account_of=client.id,
        )
        default = self.roles.get(f"default-roles-{self.name}")
        if default is not None:
            user.role_ids.append(default.id)
        self.users[user.id] = user

    def service_account(self, internal_id: str) -> UserRecord | None:
        return next((u for u in self.users.values() if u.service_account_of == internal_id), None)

    def add_mapper(self, internal_id: str, rep: Mapping[str, Any]) -> MapperRecord:
        client = self.client(internal_id)
        name = str(rep.get("name") or "")
        if not name:
            raise bad_request("Protocol mapper name is missing")
        if any(m.name == name for m in client.mappers.values()):
            raise conflict(f"Protocol mapper exists with same name: {name}")
        mapper = MapperRecord(
            _new_id(),
            name,
            str(rep.get("protocol") or "openid-connect"),
            str(rep.get("protocolMapper") or ""),
            {str(k): str(v) for k, v in (rep.get("config") or {}).items()},
        )
        client.mappers[mapper.id] = mapper
        return mapper

    def update_mapper(self, internal_id: str, mapper_id: str, rep: Mapping[str, Any]) -> None:
        client = self.client(internal_id)
        mapper = client.mappers.get(mapper_id)
        if mapper is None:
            raise not_found("Model not found")
        if rep.get("id") not in (None, mapper_id):
            raise bad_request("Protocol mapper id in the body does not match the path")
        if rep.get("protocolMapper") not in (None, mapper.protocol_mapper):
            raise bad_request("Cannot change the type of a protocol mapper")
        if rep.get("config") is not None:
            mapper.config = {str(k): str(v) for k, v in rep["config"].items()}

    # Users

    def user(self, user_id: str) -> UserRecord:
        user = self.users.get(user_id)
        if user is None:
            raise not_found("User not found")
        return user

    def user_named(self, username: str) -> UserRecord | None:
        return next((u for u in self.users.values() if u.username == username.lower()), None)

    def create_user(self, rep: Mapping[str, Any]) -> UserRecord:
        username = str(rep.get("username") or "").lower()
        if not username:
            raise bad_request("User name is missing")
        if self.user_named(username) is not None:
            raise conflict("User exists with same username")
        user = UserRecord(
            id=user_id(self.name, username),
            username=username,
            enabled=bool(rep.get("enabled", True)),
            first_name=rep.get("firstName"),
            last_name=rep.get("lastName"),
            email=rep.get("email"),
            attributes=_attributes(rep.get("attributes")),
        )
        for credential in rep.get("credentials") or ():
            if credential.get("type") == "password":
                user.password = str(credential.get("value") or "")
        for path in rep.get("groups") or ():
            group = next((g for g in self.groups.values() if f"/{g.name}" == path), None)
            if group is None:
                raise bad_request(f"Group {path} not found")
            user.group_ids.append(group.id)
        for name in rep.get("realmRoles") or ():
            user.role_ids.append(self.role(str(name)).id)
        default = self.roles.get(f"default-roles-{self.name}")
        if default is not None:
            user.role_ids.append(default.id)
        self.users[user.id] = user
        return user

    def update_user(self, user_id: str, rep: Mapping[str, Any]) -> None:
        user = self.user(user_id)
        for key, attr in (("firstName", "first_name"), ("lastName", "last_name"), ("email", "email")):
            if key in rep:
                setattr(user, attr, rep[key])
        if "enabled" in rep:
            user.enabled = bool(rep["enabled"])
        if rep.get("attributes") is not None:
            user.attributes = _attributes(rep["attributes"])

    def add_user_roles(self, user_id: str, reps: Iterable[Mapping[str, Any]]) -> None:
        user = self.user(user_id)
        for role in self._role_refs(reps):
            if role.id not in user.role_ids:
                user.role_ids.append(role.id)

    def remove_user_roles(self, user_id: str, reps: Iterable[Mapping[str, Any]]) -> None:
        user = self.user(user_id)
        for role in self._role_refs(reps):
            if role.id in user.role_ids:
                user.role_ids.remove(role.id)

    def join_group(self, user_id: str, group_id: str) -> None:
        user, group = self.user(user_id), self.group(group_id)
        if group.id not in user.group_ids:
            user.group_ids.append(group.id)

    def effective_roles(self, user: UserRecord) -> list[str]:
        """The user's realm roles and its groups' roles, in the order they were granted."""
        by_id = {r.id: r for r in self.roles.values()}
        ids = list(user.role_ids)
        for group_id in user.group_ids:
            group = self.groups.get(group_id)
            ids.extend(group.role_ids if group else ())
        names: list[str] = []
        for role_id in ids:
            role = by_id.get(role_id)
            if role is not None and role.name not in names:
                names.append(role.name)
        return names

    def resolve_attribute(self, user: UserRecord, name: str) -> list[str]:
        """The user's own values, else its first group's that has the attribute (Keycloak's
        user-attribute mapper without aggregation)."""
        if user.attributes.get(name):
            return list(user.attributes[name])
        for group_id in user.group_ids:
            group = self.groups.get(group_id)
            if group is not None and group.attributes.get(name):
                return list(group.attributes[name])
        return []


def _attributes(value: Any) -> dict[str, list[str]]:
    if not value:
        return {}
    if not isinstance(value, Mapping):
        raise bad_request("attributes must be an object of lists of strings")
    result: dict[str, list[str]] = {}
    for key, values in value.items():
        items = values if isinstance(values, list) else [values]
        result[str(key)] = [str(v) for v in items]
    return result
