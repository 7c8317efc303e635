"""The issuer's HTTP endpoints, in-process: Keycloak's status codes and error bodies."""

from __future__ import annotations

import base64
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives.serialization import load_der_public_key

from wenze_devtools.testing.issuer import Issuer, create_issuer_app

BASE = "http://issuer.test"
KS = "/realms/wenze-kunshan"
TOKEN = f"{KS}/protocol/openid-connect/token"
API = {"client_id": "wenze-api", "client_secret": "wenze-dev-secret"}


@pytest.fixture(scope="module")
def issuer() -> Issuer:
    return Issuer.build(["wenze-kunshan", "wenze-hubei"], api_secret="wenze-dev-secret")


@pytest.fixture
async def client(issuer: Issuer) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=create_issuer_app(issuer=issuer))
    async with httpx.AsyncClient(transport=transport, base_url=BASE) as c:
        yield c


def password_grant(username: str = "ks-intake", password: str = "wenze", **extra: str) -> dict:
    return {"grant_type": "password", "username": username, "password": password, **API, **extra}


async def test_password_grant_issues_keycloak_shaped_tokens(client: httpx.AsyncClient) -> None:
    r = await client.post(TOKEN, data=password_grant(scope="openid"))
    assert r.status_code == 200
    assert r.headers["cache-control"] == "no-store"
    body = r.json()
    assert body["token_type"] == "Bearer"
    assert body["expires_in"] == 300
    assert body["scope"] == "openid profile email"
    claims = jwt.decode(body["access_token"], options={"verify_signature": False})
    assert claims["iss"] == f"{BASE}{KS}"
    assert claims["aud"] == ["wenze-api", "account"]
    assert claims["azp"] == "wenze-api"
    assert claims["typ"] == "Bearer"
    assert claims["preferred_username"] == "ks-intake"
    assert claims["name"] == "周敏"
    assert claims["office_name"] == "党风政风监督室"
    assert "matter:accept" in claims["realm_access"]["roles"]
    assert "default-roles-wenze-kunshan" in claims["realm_access"]["roles"]
    assert claims["resource_access"]["account"]["roles"]
    assert claims["exp"] - claims["iat"] == 300
    id_claims = jwt.decode(body["id_token"], options={"verify_signature": False})
    assert (id_claims["typ"], id_claims["aud"]) == ("ID", "wenze-api")


async def test_no_id_token_without_openid_scope(client: httpx.AsyncClient) -> None:
    body = (await client.post(TOKEN, data=password_grant())).json()
    assert "id_token" not in body
    assert body["scope"] == "profile email"


async def test_public_web_client_needs_no_secret(client: httpx.AsyncClient) -> None:
    data = {
        "grant_type": "password",
        "client_id": "wenze-web",
        "username": "ks-trial",
        "password": "wenze",
    }
    r = await client.post(TOKEN, data=data)
    assert r.status_code == 200
    assert jwt.decode(r.json()["access_token"], options={"verify_signature": False})["azp"] == ("wenze-web")


async def test_basic_client_authentication(client: httpx.AsyncClient) -> None:
    data = {"grant_type": "password", "username": "ks-trial", "password": "wenze"}
    r = await client.post(TOKEN, data=data, auth=("wenze-api", "wenze-dev-secret"))
    assert r.status_code == 200


@pytest.mark.parametrize(
    ("data", "status", "error", "description"),
    [
        (password_grant(password="nope"), 401, "invalid_grant", "Invalid user credentials"),
        (password_grant(username="nobody"), 401, "invalid_grant", "Invalid user credentials"),
        (
            {**password_grant(), "client_secret": "bad"},
            401,
            "unauthorized_client",
            "Invalid client or Invalid client credentials",
        ),
        (
            {**password_grant(), "client_id": "nope"},
            401,
            "invalid_client",
            "Invalid client or Invalid client credentials",
        ),
        ({**API}, 400, "invalid_request", "Missing form parameter: grant_type"),
        (
            {**API, "grant_type": "urn:ietf:params:oauth:grant-type:device_code"},
            400,
            "unsupported_grant_type",
            "Unsupported grant_type",
        ),
        ({**API, "grant_type": "authorization_code", "code": "never-issued"}, 400, "invalid_grant", "Code not valid"),
        (
            {**API, "grant_type": "client_credentials"},
            400,
            "unauthorized_client",
            "Client not enabled to retrieve service account",
        ),
        (
            {"grant_type": "client_credentials", "client_id": "wenze-web"},
            400,
            "unauthorized_client",
            "Public client not allowed to retrieve service account",
        ),
        (
            {
                **password_grant(),
                "client_id": "wenze-integrator",
                "client_secret": "wenze-integrator-secret",
            },
            400,
            "unauthorized_client",
            "Client not allowed for direct access grants",
        ),
        (
            {**API, "grant_type": "refresh_token", "refresh_token": "x.y.z"},
            400,
            "invalid_grant",
            "Invalid refresh token",
        ),
    ],
)
async def test_token_errors_as_keycloak_returns_them(
    client: httpx.AsyncClient, data: dict, status: int, error: str, description: str
) -> None:
    r = await client.post(TOKEN, data=data)
    assert r.status_code == status
    assert r.json() == {"error": error, "error_description": description}


async def test_unknown_realm(client: httpx.AsyncClient) -> None:
    for path in ("/realms/wenze-nowhere", "/realms/wenze-nowhere/protocol/openid-connect/certs"):
        r = await client.get(path)
        assert r.status_code == 404
        assert r.json() == {"error": "Realm does not exist"}


async def test_integrator_service_account(client: httpx.AsyncClient) -> None:
    data = {
        "grant_type": "client_credentials",
        "client_id": "wenze-integrator",
        "client_secret": "wenze-integrator-secret",
    }
    body = (await client.post(TOKEN, data=data)).json()
    assert "refresh_token" not in body
    claims = jwt.decode(body["access_token"], options={"verify_signature": False})
    assert claims["preferred_username"] == "service-account-wenze-integrator"
    assert claims["azp"] == "wenze-integrator"
    assert "wenze-api" in claims["aud"]
    roles = set(claims["realm_access"]["roles"])
    assert {"matter:submit", "matter:bulk", "matter:read"} <= roles
    assert "matter:accept" not in roles
    assert "office" not in claims


async def test_refresh_grant(client: httpx.AsyncClient) -> None:
    first = (await client.post(TOKEN, data=password_grant())).json()
    r = await client.post(TOKEN, data={**API, "grant_type": "refresh_token", "refresh_token": first["refresh_token"]})
    assert r.status_code == 200
    claims = jwt.decode(r.json()["access_token"], options={"verify_signature": False})
    assert claims["preferred_username"] == "ks-intake"
    other = {
        "grant_type": "refresh_token",
        "client_id": "wenze-web",
        "refresh_token": first["refresh_token"],
    }
    assert (await client.post(TOKEN, data=other)).status_code == 400


async def test_realm_public_key_verifies_its_tokens(client: httpx.AsyncClient) -> None:
    info = (await client.get(KS)).json()
    assert info["realm"] == "wenze-kunshan"
    assert info["token-service"] == f"{BASE}{KS}/protocol/openid-connect"
    assert info["account-service"] == f"{BASE}{KS}/account"
    assert "BEGIN" not in info["public_key"]
    key = load_der_public_key(base64.b64decode(info["public_key"]))
    token = (await client.post(TOKEN, data=password_grant())).json()["access_token"]
    claims = jwt.decode(token, key, algorithms=["RS256"], audience="wenze-api")
    assert claims["sub"]


async def test_discovery_document(client: httpx.AsyncClient) -> None:
    doc = (await client.get(f"{KS}/.well-known/openid-configuration")).json()
    assert doc["issuer"] == f"{BASE}{KS}"
    assert doc["token_endpoint"] == f"{BASE}{KS}/protocol/openid-connect/token"
    assert doc["jwks_uri"] == f"{BASE}{KS}/protocol/openid-connect/certs"
    assert doc["userinfo_endpoint"] == f"{BASE}{KS}/protocol/openid-connect/userinfo"
    assert doc["id_token_signing_alg_values_supported"] == ["RS256"]


async def test_jwks_lists_signing_keys(client: httpx.AsyncClient, issuer: Issuer) -> None:
    keys = (await client.get(f"{KS}/protocol/openid-connect/certs")).json()["keys"]
    assert [k["kid"] for k in keys] == [issuer.realms["wenze-kunshan"].active_key.kid]
    assert {(k["kty"], k["alg"], k["use"]) for k in keys} == {("RSA", "RS256", "sig")}
    hubei = (await client.get("/realms/wenze-hubei/protocol/openid-connect/certs")).json()["keys"]
    assert hubei[0]["kid"] != keys[0]["kid"], "each realm has its own key"


async def test_userinfo(client: httpx.AsyncClient) -> None:
    token = (await client.post(TOKEN, data=password_grant("ks-supervision-2"))).json()["access_token"]
    r = await client.get(f"{KS}/protocol/openid-connect/userinfo", headers={"Authorization": f"Bearer {token}"})
    assert r.status_code == 200
    info = r.json()
    assert info["preferred_username"] == "ks-supervision-2"
    assert info["office_name"] == "第二执纪监督室"
    assert info["linked_units"][0] == "张浦镇"


async def test_userinfo_refuses_bad_tokens(client: httpx.AsyncClient, issuer: Issuer) -> None:
    url = f"{KS}/protocol/openid-connect/userinfo"
    assert (await client.get(url)).status_code == 401
    hubei_token = issuer.mint_token("wenze-hubei", username="hb-commission", base_url=BASE)
    r = await client.get(url, headers={"Authorization": f"Bearer {hubei_token}"})
    assert r.status_code == 401
    assert r.json()["error"] == "invalid_token"


async def test_introspection(client: httpx.AsyncClient, issuer: Issuer) -> None:
    url = f"{TOKEN}/introspect"
    good = issuer.mint_token("wenze-kunshan", username="ks-leader", base_url=BASE)
    body = (await client.post(url, data={**API, "token": good})).json()
    assert body["active"] is True
    assert body["username"] == "ks-leader"
    expired = issuer.mint_token("wenze-kunshan", username="ks-leader", base_url=BASE, expires_in=-60)
    assert (await client.post(url, data={**API, "token": expired})).json() == {"active": False}


def test_keys_persist_in_a_key_dir(tmp_path: Path) -> None:
    first = Issuer.build(["wenze-jintan"], key_dir=tmp_path)
    second = Issuer.build(["wenze-jintan"], key_dir=tmp_path)
    assert (tmp_path / "wenze-jintan.pem").exists()
    assert first.realms["wenze-jintan"].active_key.kid == second.realms["wenze-jintan"].active_key.kid
    assert oct((tmp_path / "wenze-jintan.pem").stat().st_mode & 0o777) == "0o600"


def test_mint_token_needs_a_key_for_a_foreign_realm(issuer: Issuer) -> None:
    with pytest.raises(KeyError, match="wenze-nowhere"):
        issuer.mint_token("wenze-nowhere", base_url=BASE)
    with pytest.raises(KeyError, match="no demo user"):
        issuer.mint_token("wenze-kunshan", username="nobody", base_url=BASE)


def test_mint_token_overrides(issuer: Issuer) -> None:
    token = issuer.mint_token(
        "wenze-kunshan",
        roles=["matter:read"],
        claims={"office": "案件审理室", "email": None},
        base_url=BASE,
        expires_in=60,
    )
    claims = jwt.decode(token, options={"verify_signature": False})
    assert claims["realm_access"]["roles"] == ["matter:read"]
    assert claims["office"] == "案件审理室"
    assert "email" not in claims
    assert claims["exp"] - claims["iat"] == 60
    assert claims["preferred_username"] == "test-user"
