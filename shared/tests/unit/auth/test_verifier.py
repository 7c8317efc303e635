"""TokenVerifier against the issuer served in-process (no sockets)."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator

import httpx
import jwt
import pytest

from wenze.auth import IdentityProviderUnavailable, InvalidToken, TokenVerifier
from wenze.auth.settings import AuthSettings
from wenze_devtools.testing.fixtures import in_process_verifier
from wenze_devtools.testing.issuer import Issuer, generate_signing_key

KUNSHAN = "wenze-kunshan"


@pytest.fixture(scope="module")
def issuer() -> Issuer:
    return Issuer.build(base_url="http://issuer.test")


@pytest.fixture
async def verifier(issuer: Issuer) -> AsyncIterator[TokenVerifier]:
    async with in_process_verifier(issuer, jwks_min_refresh_seconds=0) as v:
        yield v


async def rejected(verifier: TokenVerifier, token: str) -> InvalidToken:
    with pytest.raises(InvalidToken) as info:
        await verifier.verify(token)
    assert info.value.status_code == 401
    return info.value


async def test_good_token_yields_the_principal(verifier: TokenVerifier, issuer: Issuer) -> None:
    token = issuer.mint_token(KUNSHAN, username="ks-intake")
    principal = await verifier.verify(token)
    assert principal.tenant == "kunshan"
    assert principal.username == "ks-intake"
    assert principal.office_name == "党风政风监督室"
    assert principal.has("matter:accept")
    assert not principal.has("decision:make")
    assert "city_managed" in principal.cadre_authority
    assert principal.may_act_on("township_section")
    assert principal.subject == issuer.realms[KUNSHAN].users["ks-intake"].id
    assert principal.claims["iss"] == "http://issuer.test/realms/wenze-kunshan"


async def test_linked_units_come_from_the_token(verifier: TokenVerifier, issuer: Issuer) -> None:
    principal = await verifier.verify(issuer.mint_token(KUNSHAN, username="ks-supervision-1"))
    assert principal.office_name == "第一执纪监督室"
    assert principal.linked_units == ("玉山镇", "周市镇", "昆山开发区", "市发展和改革委员会")
    assert not principal.has("matter:accept")


@pytest.mark.parametrize(
    ("realm", "username", "tenant", "office"),
    [
        ("wenze-jintan", "jt-conduct-office", "jintan", "区作风建设领导小组办公室"),
        ("wenze-zhenxiong", "zx-intake", "zhenxiong", "纪检监察干部监督室"),
        ("wenze-hubei", "hb-responsibility-office", "hubei", "党风廉政建设责任制领导小组办公室"),
    ],
)
async def test_tenant_comes_from_the_issuer(
    verifier: TokenVerifier, issuer: Issuer, realm: str, username: str, tenant: str, office: str
) -> None:
    principal = await verifier.verify(issuer.mint_token(realm, username=username))
    assert (principal.tenant, principal.office_name) == (tenant, office)


async def test_a_body_claim_cannot_choose_the_tenant(verifier: TokenVerifier, issuer: Issuer) -> None:
    token = issuer.mint_token(KUNSHAN, username="ks-intake", claims={"tenant": "jintan"})
    assert (await verifier.verify(token)).tenant == "kunshan"


async def test_expired_token(verifier: TokenVerifier, issuer: Issuer) -> None:
    err = await rejected(verifier, issuer.mint_token(KUNSHAN, username="ks-intake", expires_in=-120))
    assert err.reason == "expired"
    assert err.detail == "token has expired"


async def test_expiry_within_leeway_is_tolerated(verifier: TokenVerifier, issuer: Issuer) -> None:
    token = issuer.mint_token(KUNSHAN, username="ks-intake", expires_in=-5)
    assert (await verifier.verify(token)).username == "ks-intake"


async def test_wrong_audience(verifier: TokenVerifier, issuer: Issuer) -> None:
    token = issuer.mint_token(KUNSHAN, username="ks-intake", claims={"aud": ["account"]})
    err = await rejected(verifier, token)
    assert err.reason == "audience"
    assert "wenze-api" in (err.detail or "")


async def test_unknown_realm(verifier: TokenVerifier, issuer: Issuer) -> None:
    token = issuer.mint_token("wenze-nowhere", key=generate_signing_key())
    err = await rejected(verifier, token)
    assert err.reason == "issuer"
    assert "wenze-nowhere" in (err.detail or "")


async def test_realm_of_an_unlisted_tenant_is_refused(issuer: Issuer) -> None:
    token = issuer.mint_token("wenze-jintan", username="jt-commission")
    async with in_process_verifier(issuer, tenants=("kunshan",)) as only_kunshan:
        err = await rejected(only_kunshan, token)
    assert err.reason == "issuer"


async def test_issuer_on_another_host_is_refused(verifier: TokenVerifier, issuer: Issuer) -> None:
    token = issuer.mint_token(KUNSHAN, username="ks-intake", claims={"iss": "http://evil.test/realms/wenze-kunshan"})
    assert (await rejected(verifier, token)).reason == "issuer"


async def test_unknown_key(verifier: TokenVerifier, issuer: Issuer) -> None:
    forged = issuer.mint_token(KUNSHAN, username="ks-leader", key=generate_signing_key())
    err = await rejected(verifier, forged)
    assert err.reason == "unknown-key"


async def test_forged_signature_under_a_real_kid(verifier: TokenVerifier, issuer: Issuer) -> None:
    real_kid = issuer.realms[KUNSHAN].active_key.kid
    forged = issuer.mint_token(KUNSHAN, username="ks-leader", key=generate_signing_key(), headers={"kid": real_kid})
    assert (await rejected(verifier, forged)).reason == "signature"


async def test_tampered_payload(verifier: TokenVerifier, issuer: Issuer) -> None:
    header, _, signature = issuer.mint_token(KUNSHAN, username="ks-trial").split(".")
    other = issuer.mint_token(KUNSHAN, username="ks-leader").split(".")[1]
    assert (await rejected(verifier, f"{header}.{other}.{signature}")).reason == "signature"


@pytest.mark.parametrize("alg", ["none", "HS256", "HS512"])
async def test_non_rs256_algorithms(verifier: TokenVerifier, issuer: Issuer, alg: str) -> None:
    token = issuer.mint_token(KUNSHAN, username="ks-leader", algorithm=alg)
    assert jwt.get_unverified_header(token)["alg"] == alg
    err = await rejected(verifier, token)
    assert err.reason == "algorithm"
    assert repr(alg) in (err.detail or "")


async def test_rs512_is_refused_too(verifier: TokenVerifier, issuer: Issuer) -> None:
    token = issuer.mint_token(KUNSHAN, username="ks-leader", algorithm="RS512")
    assert (await rejected(verifier, token)).reason == "algorithm"


@pytest.mark.parametrize(
    ("headers", "claims", "reason"),
    [
        ({"alg": "RS256" + "X" * 10_000}, None, "algorithm"),
        ({"kid": "钥" * 10_000}, None, "unknown-key"),
        (None, {"iss": "http://issuer.test/realms/" + "x" * 10_000}, "issuer"),
        (None, {"typ": "Bearer" * 10_000}, "typ"),
    ],
    ids=["alg", "kid", "iss", "typ"],
)
async def test_a_detail_quotes_token_values_cut_short(
    verifier: TokenVerifier, issuer: Issuer, headers: dict | None, claims: dict | None, reason: str
) -> None:
    if headers and "alg" in headers:
        # No library signs with a made-up algorithm; an attacker writes the header by hand.
        _, payload, signature = issuer.mint_token(KUNSHAN, username="ks-intake").split(".")
        header = jwt.utils.base64url_encode(json.dumps({**headers, "kid": "k"}).encode()).decode()
        token = f"{header}.{payload}.{signature}"
    else:
        token = issuer.mint_token(KUNSHAN, username="ks-intake", headers=headers, claims=claims)
    err = await rejected(verifier, token)
    assert err.reason == reason
    assert err.detail is not None and len(err.detail) <= 160, err.detail


async def test_an_unreadable_claim_is_refused_without_the_librarys_message(
    verifier: TokenVerifier, issuer: Issuer
) -> None:
    err = await rejected(verifier, issuer.mint_token(KUNSHAN, username="ks-intake", claims={"exp": "tomorrow"}))
    assert err.reason == "malformed"
    assert err.detail == "token is not well-formed: a part of it or one of its claims cannot be read"


@pytest.mark.parametrize("token", ["", "not-a-jwt", "a.b.c", "eyJhbGciOiJSUzI1NiJ9.e30"])
async def test_malformed_tokens(verifier: TokenVerifier, token: str) -> None:
    assert (await rejected(verifier, token)).reason == "malformed"


async def test_token_without_kid(verifier: TokenVerifier, issuer: Issuer) -> None:
    token = issuer.mint_token(KUNSHAN, username="ks-intake", headers={"kid": None})
    assert (await rejected(verifier, token)).reason == "kid"


async def test_token_without_exp(verifier: TokenVerifier, issuer: Issuer) -> None:
    token = issuer.mint_token(KUNSHAN, username="ks-intake", claims={"exp": None})
    err = await rejected(verifier, token)
    assert err.reason == "claims"
    assert "'exp'" in (err.detail or "")


async def test_id_and_refresh_tokens_are_not_access_tokens(verifier: TokenVerifier, issuer: Issuer) -> None:
    for typ in ("ID", "Refresh"):
        token = issuer.mint_token(KUNSHAN, username="ks-intake", claims={"typ": typ})
        assert (await rejected(verifier, token)).reason == "typ"


async def test_client_roles_of_the_api_count_as_capabilities(verifier: TokenVerifier, issuer: Issuer) -> None:
    token = issuer.mint_token(
        KUNSHAN,
        username="ks-trial",
        claims={"resource_access": {"wenze-api": {"roles": ["decision:make"]}}},
    )
    principal = await verifier.verify(token)
    assert principal.has("decision:make")
    assert principal.has("review:sign")


async def test_unknown_kid_triggers_a_refresh(issuer: Issuer) -> None:
    own = Issuer.build(["wenze-kunshan"], base_url="http://issuer.test")
    async with in_process_verifier(own, jwks_min_refresh_seconds=0) as v:
        await v.verify(own.mint_token(KUNSHAN, username="ks-intake"))
        assert own.certs_requests[KUNSHAN] == 1
        await v.verify(own.mint_token(KUNSHAN, username="ks-intake"))
        assert own.certs_requests[KUNSHAN] == 1, "a known kid must be served from the cache"

        new_key = own.rotate_key(KUNSHAN)
        token = own.mint_token(KUNSHAN, username="ks-trial")
        assert jwt.get_unverified_header(token)["kid"] == new_key.kid
        assert (await v.verify(token)).username == "ks-trial"
        assert own.certs_requests[KUNSHAN] == 2
        assert v.jwks.fetch_count == 2


async def test_refresh_is_rate_limited(issuer: Issuer) -> None:
    own = Issuer.build(["wenze-kunshan"], base_url="http://issuer.test")
    async with in_process_verifier(own, jwks_min_refresh_seconds=60) as v:
        await v.verify(own.mint_token(KUNSHAN, username="ks-intake"))
        for _ in range(5):
            forged = own.mint_token(KUNSHAN, username="ks-leader", key=generate_signing_key())
            assert (await rejected(v, forged)).reason == "unknown-key"
        assert own.certs_requests[KUNSHAN] == 1
        # Even a genuine rotation waits for the interval; the old key keeps working meanwhile.
        own.rotate_key(KUNSHAN)
        assert (await rejected(v, own.mint_token(KUNSHAN, username="ks-trial"))).reason == ("unknown-key")
        assert own.certs_requests[KUNSHAN] == 1


async def test_concurrent_cold_requests_share_one_fetch() -> None:
    own = Issuer.build(["wenze-kunshan"], base_url="http://issuer.test")
    async with in_process_verifier(own, jwks_min_refresh_seconds=0) as v:
        tokens = [own.mint_token(KUNSHAN, username="ks-intake") for _ in range(20)]
        principals = await asyncio.gather(*(v.verify(t) for t in tokens))
        assert {p.username for p in principals} == {"ks-intake"}
        assert own.certs_requests[KUNSHAN] == 1


async def test_keys_are_refetched_after_max_age() -> None:
    own = Issuer.build(["wenze-kunshan"], base_url="http://issuer.test")
    async with in_process_verifier(
        own, jwks_max_age_seconds=0.01, jwks_min_refresh_seconds=0, verified_token_cache_seconds=0
    ) as v:
        token = own.mint_token(KUNSHAN, username="ks-intake")
        await v.verify(token)
        await asyncio.sleep(0.02)
        await v.verify(token)
        assert own.certs_requests[KUNSHAN] == 2


async def test_a_verified_token_is_accepted_again_without_the_keys() -> None:
    own = Issuer.build(["wenze-kunshan"], base_url="http://issuer.test")
    async with in_process_verifier(own, jwks_max_age_seconds=0.01, jwks_min_refresh_seconds=0) as v:
        token = own.mint_token(KUNSHAN, username="ks-intake")
        first = await v.verify(token)
        await asyncio.sleep(0.02)
        # The keys are stale now: only a token that was not verified before fetches them.
        assert await v.verify(token) is first
        assert own.certs_requests[KUNSHAN] == 1
        await v.verify(own.mint_token(KUNSHAN, username="ks-trial"))
        assert own.certs_requests[KUNSHAN] == 2


async def test_a_remembered_token_still_expires() -> None:
    own = Issuer.build(["wenze-kunshan"], base_url="http://issuer.test")
    async with in_process_verifier(own, leeway_seconds=0) as v:
        token = own.mint_token(KUNSHAN, username="ks-intake", expires_in=2)
        assert (await v.verify(token)).username == "ks-intake"
        exp = jwt.decode(token, options={"verify_signature": False})["exp"]
        await asyncio.sleep(max(0.0, exp - time.time()) + 0.1)
        assert (await rejected(v, token)).reason == "expired"


async def test_unreachable_identity_provider() -> None:
    # Its tokens name an address nothing listens on: its keys cannot be fetched.
    issuer = Issuer.build(base_url="http://127.0.0.1:1")
    settings = AuthSettings(oidc_base_url=issuer.base_url)
    client = httpx.AsyncClient()
    async with TokenVerifier(settings, http_client=client, close_client=True) as v:
        with pytest.raises(IdentityProviderUnavailable) as info:
            await v.verify(issuer.mint_token(KUNSHAN, username="ks-intake"))
    assert info.value.status_code == 503
    assert client.is_closed


async def test_service_account_token(verifier: TokenVerifier, issuer: Issuer) -> None:
    realm = issuer.realms[KUNSHAN]
    body = issuer.service_account_token_response(
        realm,
        realm.clients["wenze-integrator"],
        base_url="http://issuer.test",
        scope="",
        client_address="10.0.0.7",
    )
    principal = await verifier.verify(body["access_token"])
    assert principal.username == "service-account-wenze-integrator"
    assert principal.is_service_account
    assert principal.office is None
    assert principal.client_id == "wenze-integrator"
    assert {"matter:submit", "matter:bulk", "matter:read"} <= principal.roles
    assert not principal.has("matter:accept")
