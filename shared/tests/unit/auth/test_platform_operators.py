"""Platform operators: a realm of their own, a principal that reaches no tenant's data, and
endpoints only they may call."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

import httpx
import pytest
from fastapi import Depends, FastAPI
from pydantic import ValidationError

from wenze.auth import PLATFORM, AuthSettings, Principal, get_principal, require, require_platform
from wenze.auth.capabilities import CALENDAR_ADMIN, MATTER_READ
from wenze.config import ServiceSettings
from wenze.http.problems import install_problem_handlers
from wenze_devtools.testing.fixtures import in_process_verifier
from wenze_devtools.testing.issuer import PLATFORM_REALM, Issuer

PROBLEM = "application/problem+json"


@pytest.fixture(scope="module")
def issuer() -> Issuer:
    return Issuer.build(["wenze-kunshan", PLATFORM_REALM], base_url="http://issuer.test")


@pytest.fixture
async def client(issuer: Issuer) -> AsyncIterator[httpx.AsyncClient]:
    app = FastAPI()
    install_problem_handlers(app)

    @app.get("/tenant-data")
    async def tenant_data(principal: Annotated[Principal, Depends(get_principal)]) -> dict[str, str]:
        return {"tenant": principal.tenant}

    @app.get("/matters")
    async def matters(principal: Annotated[Principal, Depends(require(MATTER_READ))]) -> dict[str, str]:
        return {"tenant": principal.tenant}

    @app.put("/national-year")
    async def national_year(principal: Annotated[Principal, Depends(require_platform(CALENDAR_ADMIN))]) -> dict:
        return {"loaded_by": principal.username}

    async with in_process_verifier(issuer) as verifier:
        app.state.token_verifier = verifier
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://svc.test") as c:
            yield c


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def refused(response: httpx.Response, slug: str) -> dict:
    assert response.status_code == 403, response.text
    assert response.headers["content-type"] == PROBLEM
    body = response.json()
    assert body["type"] == f"https://wenze.dev/problems/{slug}"
    return body


async def test_a_platform_token_is_a_platform_operator(issuer: Issuer) -> None:
    async with in_process_verifier(issuer) as verifier:
        principal = await verifier.verify(issuer.mint_token(PLATFORM_REALM, username="platform-ops"))
    assert principal.is_platform_operator
    assert principal.tenant == PLATFORM
    assert principal.username == "platform-ops"
    assert principal.has(CALENDAR_ADMIN)
    assert principal.office is None


async def test_a_tenant_token_is_no_platform_operator(issuer: Issuer) -> None:
    async with in_process_verifier(issuer) as verifier:
        principal = await verifier.verify(issuer.mint_token("wenze-kunshan", username="ks-intake"))
    assert principal.tenant == "kunshan"
    assert not principal.is_platform_operator


async def test_tenant_endpoints_refuse_a_platform_operator(client: httpx.AsyncClient, issuer: Issuer) -> None:
    # Even with every capability a tenant endpoint asks for, the platform token reaches nothing.
    token = issuer.mint_token(PLATFORM_REALM, username="platform-ops", roles=[MATTER_READ, CALENDAR_ADMIN])
    refused(await client.get("/matters", headers=bearer(token)), "tenant-user-required")
    refused(await client.get("/tenant-data", headers=bearer(token)), "tenant-user-required")


async def test_platform_endpoints_refuse_a_tenant_calendar_admin(client: httpx.AsyncClient, issuer: Issuer) -> None:
    token = issuer.mint_token("wenze-kunshan", username="ks-intake")
    assert CALENDAR_ADMIN in issuer.realms["wenze-kunshan"].users["ks-intake"].roles
    body = refused(await client.put("/national-year", headers=bearer(token)), "platform-operator-required")
    assert "platform operator" in body["detail"]


async def test_platform_endpoints_need_the_capability_too(client: httpx.AsyncClient, issuer: Issuer) -> None:
    token = issuer.mint_token(PLATFORM_REALM, username="platform-ops", roles=[])
    body = refused(await client.put("/national-year", headers=bearer(token)), "missing-capability")
    assert body["capability"] == CALENDAR_ADMIN


async def test_a_platform_operator_with_the_capability_passes(client: httpx.AsyncClient, issuer: Issuer) -> None:
    token = issuer.mint_token(PLATFORM_REALM, username="platform-ops")
    response = await client.put("/national-year", headers=bearer(token))
    assert response.status_code == 200, response.text
    assert response.json() == {"loaded_by": "platform-ops"}
    tenant = await client.get("/tenant-data", headers=bearer(issuer.mint_token("wenze-kunshan", username="ks-intake")))
    assert tenant.json() == {"tenant": "kunshan"}


def test_the_platform_realm_is_trusted_beside_the_tenants() -> None:
    settings = AuthSettings(oidc_base_url="https://id.example.cn")
    assert settings.platform_realm == "wenze-platform"
    assert settings.tenant_of_issuer("https://id.example.cn/realms/wenze-platform") == PLATFORM
    assert settings.jwks_url_of(PLATFORM) == "https://id.example.cn/realms/wenze-platform/protocol/openid-connect/certs"
    renamed = AuthSettings(oidc_base_url="https://id.example.cn", platform_realm="operators")
    assert renamed.tenant_of_issuer("https://id.example.cn/realms/operators") == PLATFORM
    assert renamed.tenant_of_issuer("https://id.example.cn/realms/wenze-platform") is None


@pytest.mark.parametrize("realm", ["wenze-kunshan", "hubei"])
def test_the_platform_realm_can_never_be_a_tenants(realm: str) -> None:
    with pytest.raises(ValidationError, match="platform operators need a realm of their own"):
        AuthSettings(platform_realm=realm)


def test_no_tenant_may_be_named_like_the_platform() -> None:
    with pytest.raises(ValidationError, match="cannot be a tenant"):
        AuthSettings(tenants=("kunshan", PLATFORM))


def test_the_platform_realm_comes_from_the_service_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WENZE_PLATFORM_REALM", "operators")
    assert AuthSettings.from_settings(ServiceSettings()).platform_realm == "operators"
