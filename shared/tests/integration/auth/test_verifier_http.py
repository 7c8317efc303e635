"""TokenVerifier over real HTTP, with tokens obtained the way clients obtain them."""

from __future__ import annotations

import jwt
import pytest
from keycloak import KeycloakOpenID

from wenze.auth import AuthSettings, InvalidToken, TokenVerifier
from wenze_devtools.testing.fixtures import running_issuer
from wenze_devtools.testing.issuer import DEFAULT_API_SECRET, Issuer, generate_signing_key

pytestmark = pytest.mark.integration


def password_token(issuer_url: str, realm: str, username: str) -> str:
    oidc = KeycloakOpenID(
        server_url=issuer_url,
        realm_name=realm,
        client_id="wenze-api",
        client_secret_key=DEFAULT_API_SECRET,
    )
    return oidc.token(username, "wenze")["access_token"]


async def test_kunshan_token_yields_tenant_kunshan(auth_settings: AuthSettings, issuer_url: str) -> None:
    async with TokenVerifier(auth_settings) as verifier:
        principal = await verifier.verify(password_token(issuer_url, "wenze-kunshan", "ks-intake"))
    assert principal.tenant == "kunshan"
    assert (principal.office, principal.office_name) == ("party_conduct_office", "党风政风监督室")
    assert principal.has("matter:accept")


async def test_each_realm_maps_to_its_own_tenant(auth_settings: AuthSettings, issuer_url: str) -> None:
    async with TokenVerifier(auth_settings) as verifier:
        jintan = await verifier.verify(password_token(issuer_url, "wenze-jintan", "jt-conduct-office"))
        hubei = await verifier.verify(password_token(issuer_url, "wenze-hubei", "hb-personnel"))
    assert (jintan.tenant, jintan.office, jintan.office_name) == (
        "jintan",
        "conduct_office",
        "区作风建设领导小组办公室",
    )
    assert (hubei.tenant, hubei.office, hubei.office_name) == ("hubei", "personnel_department", "组织人事部门")
    assert not hubei.has("matter:accept")


async def test_rejections_over_http(auth_settings: AuthSettings, oidc_issuer: Issuer) -> None:
    cases = {
        "expired": oidc_issuer.mint_token("wenze-kunshan", username="ks-intake", expires_in=-300),
        "audience": oidc_issuer.mint_token("wenze-kunshan", username="ks-intake", claims={"aud": "wenze-web"}),
        "issuer": oidc_issuer.mint_token("wenze-elsewhere", key=generate_signing_key(), base_url=oidc_issuer.base_url),
        "unknown-key": oidc_issuer.mint_token("wenze-kunshan", username="ks-intake", key=generate_signing_key()),
        "algorithm": oidc_issuer.mint_token("wenze-kunshan", username="ks-intake", algorithm="none"),
        "malformed": "Bearer.nonsense",
    }
    async with TokenVerifier(auth_settings) as verifier:
        for reason, token in cases.items():
            with pytest.raises(InvalidToken) as info:
                await verifier.verify(token)
            assert info.value.reason == reason, (reason, info.value.detail)


async def test_rotation_is_picked_up_through_a_refresh() -> None:
    with running_issuer(Issuer.build(["wenze-kunshan"])) as issuer:
        assert issuer.base_url is not None
        settings = AuthSettings(oidc_base_url=issuer.base_url, jwks_min_refresh_seconds=0)
        async with TokenVerifier(settings) as verifier:
            before = password_token(issuer.base_url, "wenze-kunshan", "ks-intake")
            await verifier.verify(before)
            new_key = issuer.rotate_key("wenze-kunshan")
            after = password_token(issuer.base_url, "wenze-kunshan", "ks-trial")
            assert jwt.get_unverified_header(after)["kid"] == new_key.kid
            assert (await verifier.verify(after)).username == "ks-trial"
            assert (await verifier.verify(before)).username == "ks-intake"
            assert issuer.certs_requests["wenze-kunshan"] == 2
