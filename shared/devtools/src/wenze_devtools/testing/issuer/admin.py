"""The Admin REST API paths of Keycloak that provisioning uses, over the issuer's realms.

Callers authenticate as Keycloak's administrators do: a bearer token from the master realm
(password grant through ``admin-cli``) whose realm roles include ``admin``; without a valid
token the API answers 401, without the role 403. Creation answers 201 with a ``Location``
and no body, a duplicate 409, a missing object 404, as Keycloak does. Every change is written
into the realm the issuer signs tokens for, so what is provisioned here is what tokens carry.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from typing import Any

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import JSONResponse, Response

from wenze_devtools.testing.issuer.directory import AdminError, Directory, bad_request, conflict, not_found
from wenze_devtools.testing.issuer.issuer import Issuer, TokenRejected
from wenze_devtools.testing.issuer.realms import ADMIN_REALM, ADMIN_ROLE, Realm

_UNAUTHORIZED = {"error": "HTTP 401 Unauthorized"}
_FORBIDDEN = {"error": "HTTP 403 Forbidden"}
_USER_PROFILE_PROVIDER = "org.keycloak.userprofile.UserProfileProvider"


def add_admin_routes(app: FastAPI, issuer: Issuer, base_of: Callable[[Request], str]) -> None:
    router = APIRouter(prefix="/admin/realms")

    @app.exception_handler(AdminError)
    async def _admin_error(_: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, AdminError)
        return JSONResponse(exc.body, status_code=exc.status)

    def authorize(request: Request) -> None:
        scheme, _, token = request.headers.get("authorization", "").partition(" ")
        master = issuer.realms.get(ADMIN_REALM)
        if scheme.lower() != "bearer" or not token.strip() or master is None:
            raise AdminError(401, _UNAUTHORIZED)
        try:
            claims = issuer.check_token(master, token.strip(), base_url=base_of(request))
        except TokenRejected:
            raise AdminError(401, _UNAUTHORIZED) from None
        if ADMIN_ROLE not in (claims.get("realm_access") or {}).get("roles", ()):
            raise AdminError(403, _FORBIDDEN)

    def served(request: Request, name: str) -> Realm:
        authorize(request)
        realm = issuer.realms.get(name)
        if realm is None:
            raise not_found("Realm not found.")
        return realm

    def directory(request: Request, name: str) -> Directory:
        return served(request, name).admin_directory()

    def created(request: Request, *path: str) -> Response:
        location = "/".join([base_of(request), "admin", "realms", *path])
        return Response(status_code=201, headers={"Location": location})

    def no_content() -> Response:
        return Response(status_code=204)

    # Realms

    @router.get("")
    async def list_realms(request: Request) -> list[dict[str, Any]]:
        authorize(request)
        return [realm.admin_directory().representation() for realm in issuer.realms.values()]

    @router.post("")
    async def create_realm(request: Request) -> Response:
        authorize(request)
        rep = await _body(request, dict)
        name = str(rep.get("realm") or "")
        if not name:
            raise bad_request("Realm name cannot be empty")
        if name in issuer.realms:
            raise conflict("Conflict detected. See logs for details")
        issuer.add_realm(Directory.new(name, rep))
        return created(request, name)

    @router.get("/{realm}")
    async def get_realm(realm: str, request: Request) -> dict[str, Any]:
        return directory(request, realm).representation()

    @router.put("/{realm}")
    async def update_realm(realm: str, request: Request) -> Response:
        target = served(request, realm)
        target.admin_directory().update_settings(await _body(request, dict))
        target.display_name = str(target.admin_directory().settings.get("displayName") or realm)
        return no_content()

    # Realm roles

    @router.get("/{realm}/roles")
    async def list_roles(realm: str, request: Request) -> list[dict[str, Any]]:
        found = directory(request, realm)
        search = request.query_params.get("search", "").lower()
        brief = _flag(request, "briefRepresentation", default=True)
        roles = [
            _brief_role(r.representation(found.name)) if brief else r.representation(found.name)
            for r in sorted(found.roles.values(), key=lambda r: r.name)
            if search in r.name.lower()
        ]
        return _page(request, roles)

    @router.post("/{realm}/roles")
    async def create_role(realm: str, request: Request) -> Response:
        role = directory(request, realm).create_role(await _body(request, dict))
        return created(request, realm, "roles", role.name)

    @router.get("/{realm}/roles/{role_name}")
    async def get_role(realm: str, role_name: str, request: Request) -> dict[str, Any]:
        found = directory(request, realm)
        return found.role(role_name).representation(found.name)

    @router.put("/{realm}/roles/{role_name}")
    async def update_role(realm: str, role_name: str, request: Request) -> Response:
        target = served(request, realm)
        target.admin_directory().update_role(role_name, await _body(request, dict))
        target.sync()
        return no_content()

    @router.get("/{realm}/roles-by-id/{role_id}")
    async def get_role_by_id(realm: str, role_id: str, request: Request) -> dict[str, Any]:
        found = directory(request, realm)
        return found.role_by_id(role_id).representation(found.name)

    # Groups

    @router.get("/{realm}/groups")
    async def list_groups(realm: str, request: Request) -> list[dict[str, Any]]:
        found = directory(request, realm)
        search = request.query_params.get("search", "").lower()
        brief = _flag(request, "briefRepresentation", default=True)
        groups = [
            g.representation(found.roles_by_id(), brief=brief)
            for g in sorted(found.groups.values(), key=lambda g: g.name)
            if search in g.name.lower()
        ]
        return _page(request, groups)

    @router.post("/{realm}/groups")
    async def create_group(realm: str, request: Request) -> Response:
        group = directory(request, realm).create_group(await _body(request, dict))
        return created(request, realm, "groups", group.id)

    @router.get("/{realm}/groups/{group_id}")
    async def get_group(realm: str, group_id: str, request: Request) -> dict[str, Any]:
        found = directory(request, realm)
        return found.group(group_id).representation(found.roles_by_id(), brief=False)

    @router.put("/{realm}/groups/{group_id}")
    async def update_group(realm: str, group_id: str, request: Request) -> Response:
        target = served(request, realm)
        target.admin_directory().update_group(group_id, await _body(request, dict))
        target.sync()
        return no_content()

    @router.get("/{realm}/groups/{group_id}/children")
    async def group_children(realm: str, group_id: str, request: Request) -> list[dict[str, Any]]:
        # Groups are one level deep here; Keycloak answers an empty page for a leaf.
        directory(request, realm).group(group_id)
        return []

    @router.get("/{realm}/groups/{group_id}/role-mappings/realm")
    async def group_roles(realm: str, group_id: str, request: Request) -> list[dict[str, Any]]:
        found = directory(request, realm)
        return found.role_reps(found.group(group_id).role_ids)

    @router.post("/{realm}/groups/{group_id}/role-mappings/realm")
    async def add_group_roles(realm: str, group_id: str, request: Request) -> Response:
        target = served(request, realm)
        target.admin_directory().add_group_roles(group_id, await _body(request, list))
        target.sync()
        return no_content()

    @router.delete("/{realm}/groups/{group_id}/role-mappings/realm")
    async def remove_group_roles(realm: str, group_id: str, request: Request) -> Response:
        target = served(request, realm)
        target.admin_directory().remove_group_roles(group_id, await _body(request, list))
        target.sync()
        return no_content()

    # Clients

    @router.get("/{realm}/clients")
    async def list_clients(realm: str, request: Request) -> list[dict[str, Any]]:
        found = directory(request, realm)
        wanted = request.query_params.get("clientId")
        search = _flag(request, "search", default=False)
        clients = []
        for client in sorted(found.clients.values(), key=lambda c: c.client_id):
            if wanted is not None and not (
                wanted.lower() in client.client_id.lower() if search else wanted == client.client_id
            ):
                continue
            clients.append(client.representation())
        return _page(request, clients)

    @router.post("/{realm}/clients")
    async def create_client(realm: str, request: Request) -> Response:
        target = served(request, realm)
        client = target.admin_directory().create_client(await _body(request, dict))
        target.sync()
        return created(request, realm, "clients", client.id)

    @router.get("/{realm}/clients/{client_id}")
    async def get_client(realm: str, client_id: str, request: Request) -> dict[str, Any]:
        return directory(request, realm).client(client_id).representation()

    @router.put("/{realm}/clients/{client_id}")
    async def update_client(realm: str, client_id: str, request: Request) -> Response:
        target = served(request, realm)
        target.admin_directory().update_client(client_id, await _body(request, dict))
        target.sync()
        return no_content()

    @router.get("/{realm}/clients/{client_id}/client-secret")
    async def client_secret(realm: str, client_id: str, request: Request) -> dict[str, Any]:
        client = directory(request, realm).client(client_id)
        return {"type": "secret", "value": client.secret}

    @router.get("/{realm}/clients/{client_id}/protocol-mappers/models")
    async def list_mappers(realm: str, client_id: str, request: Request) -> list[dict[str, Any]]:
        client = directory(request, realm).client(client_id)
        return [m.representation() for m in client.mappers.values()]

    @router.post("/{realm}/clients/{client_id}/protocol-mappers/models")
    async def add_mapper(realm: str, client_id: str, request: Request) -> Response:
        mapper = directory(request, realm).add_mapper(client_id, await _body(request, dict))
        return created(request, realm, "clients", client_id, "protocol-mappers", "models", mapper.id)

    @router.get("/{realm}/clients/{client_id}/protocol-mappers/models/{mapper_id}")
    async def get_mapper(realm: str, client_id: str, mapper_id: str, request: Request) -> dict[str, Any]:
        mapper = directory(request, realm).client(client_id).mappers.get(mapper_id)
        if mapper is None:
            raise not_found("Model not found")
        return mapper.representation()

    @router.put("/{realm}/clients/{client_id}/protocol-mappers/models/{mapper_id}")
    async def update_mapper(realm: str, client_id: str, mapper_id: str, request: Request) -> Response:
        directory(request, realm).update_mapper(client_id, mapper_id, await _body(request, dict))
        return no_content()

    @router.get("/{realm}/clients/{client_id}/service-account-user")
    async def service_account_user(realm: str, client_id: str, request: Request) -> dict[str, Any]:
        found = directory(request, realm)
        client = found.client(client_id)
        account = found.service_account(client.id)
        if account is None or not client.setting("serviceAccountsEnabled"):
            raise AdminError(400, {"error": f"Service account not enabled for the client '{client.client_id}'"})
        return account.representation()

    # User profile, before /users/{id} so that "profile" is not taken for a user id.

    @router.get("/{realm}/users/profile")
    async def get_profile(realm: str, request: Request) -> dict[str, Any]:
        return directory(request, realm).profile

    @router.put("/{realm}/users/profile")
    async def update_profile(realm: str, request: Request) -> dict[str, Any]:
        found = directory(request, realm)
        profile = await _body(request, dict)
        attributes = profile.get("attributes")
        if not isinstance(attributes, list) or not all(isinstance(a, dict) and a.get("name") for a in attributes):
            raise bad_request("Invalid user profile configuration: every attribute needs a name")
        names = [a["name"] for a in attributes]
        if len(names) != len(set(names)):
            raise bad_request("Invalid user profile configuration: duplicated attribute")
        found.profile = profile
        return profile

    @router.get("/{realm}/components")
    async def components(realm: str, request: Request) -> list[dict[str, Any]]:
        # Keycloak keeps a declarative user profile as one component of the realm.
        found = directory(request, realm)
        wanted = request.query_params.get("type")
        if wanted not in (None, _USER_PROFILE_PROVIDER):
            return []
        return [
            {
                "id": f"{found.name}-user-profile",
                "name": "declarative-user-profile",
                "providerId": "declarative-user-profile",
                "providerType": _USER_PROFILE_PROVIDER,
                "parentId": found.name,
                "config": {"kc.user.profile.config": [json.dumps(found.profile, ensure_ascii=False)]},
            }
        ]

    # Users

    @router.get("/{realm}/users")
    async def list_users(realm: str, request: Request) -> list[dict[str, Any]]:
        found = directory(request, realm)
        username = request.query_params.get("username")
        exact = _flag(request, "exact", default=False)
        search = (request.query_params.get("search") or "").lower()
        users = []
        for user in sorted(found.users.values(), key=lambda u: u.username):
            if user.service_account_of is not None:
                continue
            if username is not None and not (
                user.username == username.lower() if exact else username.lower() in user.username
            ):
                continue
            if search and search not in user.username:
                continue
            users.append(user.representation())
        return _page(request, users)

    @router.post("/{realm}/users")
    async def create_user(realm: str, request: Request) -> Response:
        target = served(request, realm)
        user = target.admin_directory().create_user(await _body(request, dict))
        target.sync()
        return created(request, realm, "users", user.id)

    @router.get("/{realm}/users/{user_id}")
    async def get_user(realm: str, user_id: str, request: Request) -> dict[str, Any]:
        return directory(request, realm).user(user_id).representation()

    @router.put("/{realm}/users/{user_id}")
    async def update_user(realm: str, user_id: str, request: Request) -> Response:
        target = served(request, realm)
        target.admin_directory().update_user(user_id, await _body(request, dict))
        target.sync()
        return no_content()

    @router.put("/{realm}/users/{user_id}/reset-password")
    async def reset_password(realm: str, user_id: str, request: Request) -> Response:
        target = served(request, realm)
        credential = await _body(request, dict)
        if credential.get("type", "password") != "password" or not credential.get("value"):
            raise bad_request("A password credential with a value is required")
        target.admin_directory().user(user_id).password = str(credential["value"])
        target.sync()
        return no_content()

    @router.get("/{realm}/users/{user_id}/groups")
    async def user_groups(realm: str, user_id: str, request: Request) -> list[dict[str, Any]]:
        found = directory(request, realm)
        roles = found.roles_by_id()
        return [found.group(g).representation(roles, brief=True) for g in found.user(user_id).group_ids]

    @router.put("/{realm}/users/{user_id}/groups/{group_id}")
    async def join_group(realm: str, user_id: str, group_id: str, request: Request) -> Response:
        target = served(request, realm)
        target.admin_directory().join_group(user_id, group_id)
        target.sync()
        return no_content()

    @router.get("/{realm}/users/{user_id}/role-mappings/realm")
    async def user_roles(realm: str, user_id: str, request: Request) -> list[dict[str, Any]]:
        found = directory(request, realm)
        return found.role_reps(found.user(user_id).role_ids)

    @router.post("/{realm}/users/{user_id}/role-mappings/realm")
    async def add_user_roles(realm: str, user_id: str, request: Request) -> Response:
        target = served(request, realm)
        target.admin_directory().add_user_roles(user_id, await _body(request, list))
        target.sync()
        return no_content()

    @router.delete("/{realm}/users/{user_id}/role-mappings/realm")
    async def remove_user_roles(realm: str, user_id: str, request: Request) -> Response:
        target = served(request, realm)
        target.admin_directory().remove_user_roles(user_id, await _body(request, list))
        target.sync()
        return no_content()

    app.include_router(router)


async def _body(request: Request, kind: type[dict[str, Any]] | type[list[Any]]) -> Any:
    try:
        body = json.loads(await request.body() or b"null")
    except (ValueError, UnicodeDecodeError):
        raise bad_request("Request body is not JSON") from None
    if not isinstance(body, kind):
        raise bad_request(f"Request body must be a JSON {'object' if kind is dict else 'array'}")
    return body


def _flag(request: Request, name: str, *, default: bool) -> bool:
    value = request.query_params.get(name)
    return default if value is None else value.lower() == "true"


def _page(request: Request, items: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    try:
        first = max(int(request.query_params.get("first", 0)), 0)
        size = int(request.query_params.get("max", -1))
    except ValueError:
        raise bad_request("first and max must be whole numbers") from None
    return list(items[first:] if size < 0 else items[first : first + size])


def _brief_role(rep: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in rep.items() if k != "attributes"}
