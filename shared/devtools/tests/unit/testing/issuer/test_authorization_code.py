"""The authorization code flow with PKCE at the issuer, in-process: the login page, the code sent
back to the redirect URI, and the exchange refused unless the verifier matches the challenge."""

from __future__ import annotations

import base64
import hashlib
from collections.abc import AsyncIterator
from urllib.parse import parse_qs, urlsplit

import httpx
import jwt
import pytest

from wenze_devtools.testing.issuer import Issuer, create_issuer_app

BASE = "http://issuer.test"
OIDC = "/realms/wenze-kunshan/protocol/openid-connect"
REDIRECT = "http://console.test/t/kunshan/callback"
VERIFIER = "a-verifier-of-forty-three-characters-or-more-0123456789"


def challenge(verifier: str) -> str:
    return base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()


@pytest.fixture(scope="module")
def issuer() -> Issuer:
    return Issuer.build(["wenze-kunshan"])


@pytest.fixture
async def client(issuer: Issuer) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=create_issuer_app(issuer=issuer))
    async with httpx.AsyncClient(transport=transport, base_url=BASE) as c:
        yield c


def authorization(**overrides: str) -> dict[str, str]:
    return {
        "response_type": "code",
        "client_id": "wenze-web",
        "redirect_uri": REDIRECT,
        "state": "state-1",
        "scope": "openid profile email",
        "nonce": "nonce-1",
        "code_challenge": challenge(VERIFIER),
        "code_challenge_method": "S256",
        **overrides,
    }


async def log_in(client: httpx.AsyncClient, password: str = "wenze", **overrides: str) -> httpx.Response:
    params = authorization(**overrides)
    return await client.post(f"{OIDC}/auth", params=params, data={"username": "ks-intake", "password": password})


async def code_from(client: httpx.AsyncClient) -> str:
    response = await log_in(client)
    assert response.status_code == 302, response.text
    location = urlsplit(response.headers["location"])
    assert f"{location.scheme}://{location.netloc}{location.path}" == REDIRECT
    query = parse_qs(location.query)
    assert query["state"] == ["state-1"]
    assert query["iss"] == [f"{BASE}/realms/wenze-kunshan"]
    return query["code"][0]


def exchange(code: str, verifier: str = VERIFIER, redirect_uri: str = REDIRECT) -> dict[str, str]:
    return {
        "grant_type": "authorization_code",
        "client_id": "wenze-web",
        "code": code,
        "redirect_uri": redirect_uri,
        "code_verifier": verifier,
    }


async def test_discovery_names_the_flow(client: httpx.AsyncClient) -> None:
    document = (await client.get("/realms/wenze-kunshan/.well-known/openid-configuration")).json()
    assert document["authorization_endpoint"] == f"{BASE}{OIDC}/auth"
    assert "authorization_code" in document["grant_types_supported"]
    assert "S256" in document["code_challenge_methods_supported"]


async def test_the_login_page_carries_the_request_through(client: httpx.AsyncClient) -> None:
    page = await client.get(f"{OIDC}/auth", params=authorization())
    assert page.status_code == 200
    assert 'id="kc-form-login"' in page.text and 'name="password"' in page.text
    assert f'value="{challenge(VERIFIER)}"' in page.text


async def test_a_wrong_password_shows_the_page_again_without_a_code(client: httpx.AsyncClient) -> None:
    response = await log_in(client, password="not-it")
    assert response.status_code == 200
    assert "Invalid username or password." in response.text
    assert "location" not in response.headers


async def test_the_code_with_its_verifier_gives_the_users_tokens(client: httpx.AsyncClient) -> None:
    code = await code_from(client)
    response = await client.post(f"{OIDC}/token", data=exchange(code))
    assert response.status_code == 200, response.text
    body = response.json()
    access = jwt.decode(body["access_token"], options={"verify_signature": False})
    assert access["preferred_username"] == "ks-intake" and access["azp"] == "wenze-web"
    assert access["office"] == "party_conduct_office"
    assert jwt.decode(body["id_token"], options={"verify_signature": False})["nonce"] == "nonce-1"
    # A code is good once.
    again = await client.post(f"{OIDC}/token", data=exchange(code))
    assert again.status_code == 400 and again.json()["error"] == "invalid_grant"


async def test_a_wrong_verifier_is_refused_and_spends_the_code(client: httpx.AsyncClient) -> None:
    code = await code_from(client)
    wrong = await client.post(f"{OIDC}/token", data=exchange(code, verifier=VERIFIER[::-1]))
    assert wrong.status_code == 400
    assert wrong.json() == {"error": "invalid_grant", "error_description": "PKCE verification failed: Code mismatch"}
    right_too_late = await client.post(f"{OIDC}/token", data=exchange(code))
    assert right_too_late.status_code == 400


async def test_a_missing_verifier_or_another_redirect_uri_is_refused(client: httpx.AsyncClient) -> None:
    missing = await client.post(f"{OIDC}/token", data=exchange(await code_from(client), verifier=""))
    assert missing.status_code == 400 and "verifier" in missing.json()["error_description"]
    elsewhere = await client.post(
        f"{OIDC}/token", data=exchange(await code_from(client), redirect_uri="http://elsewhere.test/cb")
    )
    assert elsewhere.status_code == 400 and elsewhere.json()["error_description"] == "Incorrect redirect_uri"


async def test_a_browser_client_must_use_pkce(client: httpx.AsyncClient) -> None:
    params = authorization()
    del params["code_challenge"], params["code_challenge_method"]
    response = await client.get(f"{OIDC}/auth", params=params)
    assert response.status_code == 400
    assert "code_challenge" in response.text
