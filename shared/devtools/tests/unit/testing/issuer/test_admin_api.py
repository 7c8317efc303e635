"""The issuer's Admin REST API answers as Keycloak's does, and what it is told drives the tokens."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import jwt
import pytest

from wenze_devtools.testing.issuer import Issuer, create_issuer_app

BASE = "http://issuer.test"
MASTER_TOKEN = f"{BASE}/realms/master/protocol/openid-connect/token"


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    issuer = Issuer.build([], base_url=BASE)
    transport = httpx.ASGITransport(app=create_issuer_app(issuer=issuer))
    async with httpx.AsyncClient(transport=transport, base_url=BASE) as http:
        yield http


async def login(client: httpx.AsyncClient, username: str = "admin", password: str = "admin") -> dict[str, str]:
    r = await client.post(
        MASTER_TOKEN,
        data={"grant_type": "password", "client_id": "admin-cli", "username": username, "password": password},
    )
    assert r.status_code == 200, r.text
    return {"Authorization": f"Bearer {r.json()['access_token']}"}


async def test_without_an_admin_token_401(client: httpx.AsyncClient) -> None:
    assert (await client.get("/admin/realms")).status_code == 401
    r = await client.get("/admin/realms", headers={"Authorization": "Bearer not.a.token"})
    assert r.status_code == 401
    # A token of another realm is no admin token, however well signed.
    headers = await login(client)
    await client.post("/admin/realms", json={"realm": "wenze-x", "enabled": True}, headers=headers)
    await client.post(
        "/admin/realms/wenze-x/clients",
        json={"clientId": "cli", "publicClient": True, "directAccessGrantsEnabled": True},
        headers=headers,
    )
    r = await client.post(
        "/admin/realms/wenze-x/users",
        json={"username": "u", "credentials": [{"type": "password", "value": "pw"}], "realmRoles": []},
        headers=headers,
    )
    assert r.status_code == 201
    token = await client.post(
        f"{BASE}/realms/wenze-x/protocol/openid-connect/token",
        data={"grant_type": "password", "client_id": "cli", "username": "u", "password": "pw"},
    )
    other = {"Authorization": f"Bearer {token.json()['access_token']}"}
    assert (await client.get("/admin/realms", headers=other)).status_code == 401


async def test_wrong_admin_password_is_refused_at_the_token_endpoint(client: httpx.AsyncClient) -> None:
    r = await client.post(
        MASTER_TOKEN, data={"grant_type": "password", "client_id": "admin-cli", "username": "admin", "password": "x"}
    )
    assert r.status_code == 401 and r.json()["error"] == "invalid_grant"


async def test_a_master_user_without_the_admin_role_403(client: httpx.AsyncClient) -> None:
    headers = await login(client)
    r = await client.post(
        "/admin/realms/master/users",
        json={"username": "helpdesk", "credentials": [{"type": "password", "value": "pw"}]},
        headers=headers,
    )
    assert r.status_code == 201
    helpdesk = await login(client, "helpdesk", "pw")
    assert (await client.get("/admin/realms", headers=helpdesk)).status_code == 403
    assert (await client.post("/admin/realms", json={"realm": "wenze-y"}, headers=helpdesk)).status_code == 403


async def test_creation_answers_201_with_location_and_no_body(client: httpx.AsyncClient) -> None:
    headers = await login(client)
    r = await client.post("/admin/realms", json={"realm": "wenze-x", "enabled": True}, headers=headers)
    assert (r.status_code, r.content, r.headers["location"]) == (201, b"", f"{BASE}/admin/realms/wenze-x")
    r = await client.post("/admin/realms", json={"realm": "wenze-x"}, headers=headers)
    assert r.status_code == 409
    r = await client.post("/admin/realms/wenze-x/roles", json={"name": "matter:read"}, headers=headers)
    assert (r.status_code, r.headers["location"]) == (201, f"{BASE}/admin/realms/wenze-x/roles/matter:read")
    assert (
        await client.post("/admin/realms/wenze-x/roles", json={"name": "matter:read"}, headers=headers)
    ).status_code == 409
    r = await client.post("/admin/realms/wenze-x/groups", json={"name": "office"}, headers=headers)
    group_id = r.headers["location"].rsplit("/", 1)[1]
    assert (await client.get(f"/admin/realms/wenze-x/groups/{group_id}", headers=headers)).json()["name"] == "office"
    assert (
        await client.post("/admin/realms/wenze-x/groups", json={"name": "office"}, headers=headers)
    ).status_code == 409


async def test_missing_things_404(client: httpx.AsyncClient) -> None:
    headers = await login(client)
    assert (await client.get("/admin/realms/wenze-nowhere", headers=headers)).status_code == 404
    await client.post("/admin/realms", json={"realm": "wenze-x"}, headers=headers)
    for path in ("roles/nothing", "groups/no-such-id", "clients/no-such-id", "users/no-such-id"):
        assert (await client.get(f"/admin/realms/wenze-x/{path}", headers=headers)).status_code == 404, path


async def test_a_new_realm_has_keycloaks_default_roles_and_profile(client: httpx.AsyncClient) -> None:
    headers = await login(client)
    await client.post("/admin/realms", json={"realm": "wenze-x"}, headers=headers)
    roles = {r["name"] for r in (await client.get("/admin/realms/wenze-x/roles", headers=headers)).json()}
    assert roles == {"offline_access", "uma_authorization", "default-roles-wenze-x"}
    profile = (await client.get("/admin/realms/wenze-x/users/profile", headers=headers)).json()
    assert [a["name"] for a in profile["attributes"]] == ["username", "email", "firstName", "lastName"]
    # The realm serves its own keys from its creation on.
    assert (await client.get("/realms/wenze-x/protocol/openid-connect/certs")).json()["keys"]


async def test_what_is_provisioned_is_what_tokens_carry(client: httpx.AsyncClient) -> None:
    headers = await login(client)
    realm = "/admin/realms/wenze-x"
    await client.post("/admin/realms", json={"realm": "wenze-x"}, headers=headers)
    for role in ("office:trial", "matter:read", "matter:submit"):
        await client.post(f"{realm}/roles", json={"name": role}, headers=headers)
    r = await client.post(
        f"{realm}/groups",
        json={"name": "trial", "attributes": {"office": ["trial"], "office_name": ["审理室"]}},
        headers=headers,
    )
    group_id = r.headers["location"].rsplit("/", 1)[1]
    roles = (await client.get(f"{realm}/roles", headers=headers)).json()
    mapped = [r for r in roles if r["name"] in ("office:trial", "matter:read")]
    assert (
        await client.post(f"{realm}/groups/{group_id}/role-mappings/realm", json=mapped, headers=headers)
    ).status_code == 204
    r = await client.post(
        f"{realm}/clients",
        json={"clientId": "web", "publicClient": True, "directAccessGrantsEnabled": True},
        headers=headers,
    )
    r = await client.post(
        f"{realm}/users",
        json={
            "username": "Clerk",
            "attributes": {"office_name": ["第二审理室"], "cadre_authority": ["city_managed"]},
            "credentials": [{"type": "password", "value": "pw", "temporary": False}],
        },
        headers=headers,
    )
    user_id = r.headers["location"].rsplit("/", 1)[1]
    assert (await client.put(f"{realm}/users/{user_id}/groups/{group_id}", headers=headers)).status_code == 204
    token = await client.post(
        f"{BASE}/realms/wenze-x/protocol/openid-connect/token",
        data={"grant_type": "password", "client_id": "web", "username": "CLERK", "password": "pw"},
    )
    claims = jwt.decode(token.json()["access_token"], options={"verify_signature": False})
    assert claims["sub"] == user_id and claims["preferred_username"] == "clerk"
    # The group gives the office and roles; the user's own office name wins over the group's.
    assert (claims["office"], claims["office_name"], claims["cadre_authority"]) == (
        "trial",
        "第二审理室",
        ["city_managed"],
    )
    assert {"office:trial", "matter:read"} <= set(claims["realm_access"]["roles"])
    assert "matter:submit" not in claims["realm_access"]["roles"]


async def test_a_service_account_comes_with_its_client(client: httpx.AsyncClient) -> None:
    headers = await login(client)
    realm = "/admin/realms/wenze-x"
    await client.post("/admin/realms", json={"realm": "wenze-x"}, headers=headers)
    await client.post(f"{realm}/roles", json={"name": "matter:submit"}, headers=headers)
    r = await client.post(
        f"{realm}/clients",
        json={"clientId": "integrator", "serviceAccountsEnabled": True, "secret": "s"},
        headers=headers,
    )
    internal = r.headers["location"].rsplit("/", 1)[1]
    account = (await client.get(f"{realm}/clients/{internal}/service-account-user", headers=headers)).json()
    assert account["username"] == "service-account-integrator"
    role = (await client.get(f"{realm}/roles/matter:submit", headers=headers)).json()
    await client.post(f"{realm}/users/{account['id']}/role-mappings/realm", json=[role], headers=headers)
    assert (await client.get(f"{realm}/clients/{internal}/client-secret", headers=headers)).json()["value"] == "s"
    r = await client.post(
        f"{realm}/clients/{internal}/protocol-mappers/models",
        json={"name": "aud", "protocolMapper": "oidc-audience-mapper", "config": {}},
        headers=headers,
    )
    assert (r.status_code, r.content) == (201, b"")
    token = await client.post(
        f"{BASE}/realms/wenze-x/protocol/openid-connect/token",
        data={"grant_type": "client_credentials", "client_id": "integrator", "client_secret": "s"},
    )
    claims = jwt.decode(token.json()["access_token"], options={"verify_signature": False})
    assert "matter:submit" in claims["realm_access"]["roles"] and claims["sub"] == account["id"]
