"""Refused tokens over real HTTP: what the caller gets back, and what the service logs.

The app is served by uvicorn as a service's ``api`` command serves it (its log through the
service's logging configuration), with keys fetched from the test issuer over HTTP.
"""

from __future__ import annotations

import base64
import json
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager
from typing import Annotated, Any

import httpx
import pytest
from fastapi import Depends, FastAPI

from wenze.auth import AuthSettings, Principal, get_principal, token_verifier_lifespan
from wenze.http.problems import PROBLEM_MEDIA_TYPE, install_problem_handlers
from wenze_devtools.testing.fixtures import serving
from wenze_devtools.testing.issuer import Issuer

KUNSHAN = "wenze-kunshan"
# Far longer than any detail or log line may quote, and full of what a quoted header value
# must not contain.
LONG_KID = 'k"\\,' * 1500


def _segment(data: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data, ensure_ascii=False).encode()).rstrip(b"=").decode()


def unsigned_token(header: dict[str, Any], claims: dict[str, Any]) -> str:
    """A token as an attacker writes it by hand: any header, any claims, no real signature."""
    return f"{_segment(header)}.{_segment(claims)}.c2lnbmF0dXJl"


@pytest.fixture
def protected_api(issuer_url: str, oidc_issuer: Issuer) -> Iterator[str]:
    # The default refresh interval: an unknown kid does not refetch the keys at once, so
    # each refused request writes nothing but its own line.
    settings = AuthSettings(oidc_base_url=issuer_url)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with token_verifier_lifespan(app, settings):
            yield

    app = FastAPI(lifespan=lifespan)
    install_problem_handlers(app)

    @app.get("/me")
    async def me(principal: Annotated[Principal, Depends(get_principal)]) -> dict[str, str]:
        return {"tenant": principal.tenant}

    with serving(app, log_config=None, access_log=False) as url:
        warm_up = httpx.get(f"{url}/me", headers=bearer(oidc_issuer.mint_token(KUNSHAN, username="ks-intake")))
        assert warm_up.json() == {"tenant": "kunshan"}
        yield url


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def service_lines(service_log: Callable[[], list[str]], url: str) -> list[str]:
    """The log lines the service at ``url`` wrote: this test's own HTTP client logs each of its
    requests to it through the same process's logging."""
    own_request = f"HTTP Request: GET {url}/"
    return [line for line in service_log() if not json.loads(line)["event"].startswith(own_request)]


REFUSED_TOKENS: dict[str, tuple[Callable[[Issuer], str], str, str | None]] = {
    # name: (token, reason, tenant the log line names)
    "signed, non-Latin-1 kid": (
        lambda issuer: issuer.mint_token(KUNSHAN, username="ks-intake", headers={"kid": "钥"}),
        "unknown-key",
        "kunshan",
    ),
    "signed, non-Latin-1 issuer": (
        lambda issuer: issuer.mint_token(
            KUNSHAN, username="ks-intake", claims={"iss": f"{issuer.base_url}/realms/问责"}
        ),
        "issuer",
        None,
    ),
    "unsigned, non-Latin-1 alg": (
        lambda issuer: unsigned_token({"alg": "钥", "kid": "k"}, {"iss": f"{issuer.base_url}/realms/{KUNSHAN}"}),
        "algorithm",
        None,
    ),
    "unsigned, non-Latin-1 kid": (
        lambda issuer: unsigned_token({"alg": "RS256", "kid": "钥"}, {"iss": f"{issuer.base_url}/realms/{KUNSHAN}"}),
        "unknown-key",
        "kunshan",
    ),
    "unsigned, non-Latin-1 issuer": (
        lambda _issuer: unsigned_token({"alg": "RS256", "kid": "k"}, {"iss": "https://钥.example/realms/钥"}),
        "issuer",
        None,
    ),
    "signed, long kid with quotes and backslashes": (
        lambda issuer: issuer.mint_token(KUNSHAN, username="ks-intake", headers={"kid": LONG_KID}),
        "unknown-key",
        "kunshan",
    ),
}


@pytest.mark.parametrize("case", REFUSED_TOKENS)
def test_a_crafted_token_is_refused_with_a_401_and_a_fixed_challenge(
    protected_api: str, oidc_issuer: Issuer, case: str
) -> None:
    make_token, reason, _ = REFUSED_TOKENS[case]
    response = httpx.get(f"{protected_api}/me", headers=bearer(make_token(oidc_issuer)))

    assert response.status_code == 401, response.text
    assert response.headers["content-type"] == PROBLEM_MEDIA_TYPE
    challenge = response.headers["www-authenticate"]
    assert challenge.isascii() and challenge.startswith('Bearer realm="wenze", error="invalid_token"')
    assert "钥" not in challenge and "问责" not in challenge and 'k"' not in challenge
    body = response.json()
    assert body["type"] == "https://wenze.dev/problems/invalid-token"
    assert body["reason"] == reason
    assert len(body["detail"]) <= 160, body["detail"]


@pytest.mark.parametrize("case", REFUSED_TOKENS)
def test_a_refused_token_is_logged_as_one_short_line(
    protected_api: str, oidc_issuer: Issuer, service_log: Callable[[], list[str]], case: str
) -> None:
    make_token, reason, tenant = REFUSED_TOKENS[case]
    service_log()
    assert httpx.get(f"{protected_api}/me", headers=bearer(make_token(oidc_issuer))).status_code == 401

    lines = service_lines(service_log, protected_api)
    assert len(lines) == 1, lines
    assert len(lines[0].encode()) < 512, lines[0]
    record = json.loads(lines[0])
    assert (record["event"], record["level"], record["reason"], record["client"]) == (
        "authentication failed",
        "warning",
        reason,
        "127.0.0.1",
    )
    assert record.get("tenant") == tenant
    assert "exception" not in record


def test_a_missing_token_is_logged_as_one_short_line(protected_api: str, service_log: Callable[[], list[str]]) -> None:
    service_log()
    response = httpx.get(f"{protected_api}/me")
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == 'Bearer realm="wenze"'

    lines = service_lines(service_log, protected_api)
    assert len(lines) == 1, lines
    record = json.loads(lines[0])
    assert (record["event"], record["reason"], record["client"]) == ("authentication failed", "no-token", "127.0.0.1")
