"""get_principal and require() inside a FastAPI app, errors as problem+json."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

import httpx
import pytest
from fastapi import Depends, FastAPI

from wenze.auth import Principal, get_principal, require
from wenze.auth.capabilities import MATTER_ACCEPT
from wenze.http.problems import install_problem_handlers
from wenze_devtools.testing.fixtures import in_process_verifier
from wenze_devtools.testing.issuer import Issuer

PROBLEM = "application/problem+json"


@pytest.fixture(scope="module")
def issuer() -> Issuer:
    return Issuer.build(["wenze-kunshan", "wenze-jintan"], base_url="http://issuer.test")


@pytest.fixture
async def client(issuer: Issuer) -> AsyncIterator[httpx.AsyncClient]:
    app = FastAPI()
    install_problem_handlers(app)

    @app.get("/me")
    async def me(principal: Annotated[Principal, Depends(get_principal)]) -> dict[str, object]:
        return {
            "tenant": principal.tenant,
            "username": principal.username,
            "office": principal.office_name,
        }

    @app.post("/accept")
    async def accept(principal: Annotated[Principal, Depends(require(MATTER_ACCEPT))]) -> dict[str, str]:
        return {"accepted_by": principal.username}

    async with in_process_verifier(issuer) as verifier:
        app.state.token_verifier = verifier
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://svc.test") as c:
            yield c


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def test_missing_token(client: httpx.AsyncClient) -> None:
    r = await client.get("/me")
    assert r.status_code == 401
    assert r.headers["content-type"] == PROBLEM
    assert r.headers["www-authenticate"] == 'Bearer realm="wenze"'
    body = r.json()
    assert body["type"] == "https://wenze.dev/problems/unauthenticated"
    assert body["instance"] == "/me"


async def test_wrong_scheme(client: httpx.AsyncClient) -> None:
    r = await client.get("/me", headers={"Authorization": "Basic d2VuemU6d2VuemU="})
    assert r.status_code == 401
    assert "Bearer scheme" in r.json()["detail"]


async def test_invalid_token(client: httpx.AsyncClient, issuer: Issuer) -> None:
    token = issuer.mint_token("wenze-kunshan", username="ks-intake", expires_in=-600)
    r = await client.get("/me", headers=bearer(token))
    assert r.status_code == 401
    body = r.json()
    assert body["type"] == "https://wenze.dev/problems/invalid-token"
    assert body["detail"] == "token has expired"
    assert body["reason"] == "expired"
    assert 'error="invalid_token"' in r.headers["www-authenticate"]


async def test_good_token(client: httpx.AsyncClient, issuer: Issuer) -> None:
    r = await client.get("/me", headers=bearer(issuer.mint_token("wenze-jintan", username="jt-commission")))
    assert r.status_code == 200
    assert r.json() == {"tenant": "jintan", "username": "jt-commission", "office": "区纪委监委"}


async def test_capability_present(client: httpx.AsyncClient, issuer: Issuer) -> None:
    r = await client.post("/accept", headers=bearer(issuer.mint_token("wenze-kunshan", username="ks-intake")))
    assert r.status_code == 200
    assert r.json() == {"accepted_by": "ks-intake"}


async def test_capability_missing(client: httpx.AsyncClient, issuer: Issuer) -> None:
    token = issuer.mint_token("wenze-kunshan", username="ks-supervision-1")
    r = await client.post("/accept", headers=bearer(token))
    assert r.status_code == 403
    assert r.headers["content-type"] == PROBLEM
    body = r.json()
    assert body["type"] == "https://wenze.dev/problems/missing-capability"
    assert body["capability"] == "matter:accept"


async def test_require_checks_the_capability_name() -> None:
    with pytest.raises(ValueError, match="unknown capability"):
        require("matter:acept")
