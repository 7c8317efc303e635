"""``wenze keycloak apply`` against a real Keycloak, started through testcontainers where a Docker
engine answers, then the authentication checks the services rely on with tokens it issued.

Where no Docker engine answers (as on the development machines, which cannot run Keycloak
at all) the module is skipped with the reason; the same steps run against the test issuer in
``shared/tests/integration/keycloak``.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Iterator

import pytest
from keycloak import KeycloakOpenID

from wenze.auth import AuthSettings, InvalidToken, TokenVerifier
from wenze.keycloak.realms import INTEGRATOR_CLIENT
from wenze_devtools.testing.provisioning import (
    add_office_user,
    admin_client,
    password_token,
    placeholder_environment,
    run_apply,
)

# Pinned so a Keycloak release cannot change what these tests see unannounced.
KEYCLOAK_IMAGE = "quay.io/keycloak/keycloak:26.4.6"
KUNSHAN = "wenze-kunshan"
ADMIN = "admin"
ADMIN_PASSWORD = secrets.token_urlsafe(16)


def docker_unavailable() -> str | None:
    """Why no Docker engine can be used, or ``None`` when one answers."""
    from testcontainers.core.docker_client import DockerClient, get_docker_host

    where = get_docker_host() or "the default socket"
    try:
        DockerClient(timeout=3).client.ping()
    except Exception as exc:  # any failure to reach an engine means the same: skip
        reason = " ".join(str(exc).split())[:160] or type(exc).__name__
        return f"no Docker engine answers at {where}: {reason}"
    return None


@pytest.fixture(scope="module")
def keycloak() -> Iterator[str]:
    reason = docker_unavailable()
    if reason is not None:
        pytest.skip(reason)
    from testcontainers.community.keycloak import KeycloakContainer

    with KeycloakContainer(KEYCLOAK_IMAGE, username=ADMIN, password=ADMIN_PASSWORD) as container:
        yield container.get_url().rstrip("/")


@pytest.fixture(scope="module")
def environment() -> dict[str, str]:
    return placeholder_environment([KUNSHAN])


@pytest.fixture(scope="module")
def applied(keycloak: str, environment: dict[str, str]) -> str:
    outcome = run_apply(keycloak, environment, "--realm", KUNSHAN, username=ADMIN, password=ADMIN_PASSWORD)
    assert outcome.exit_code == 0, outcome.output
    return keycloak


def test_applying_again_changes_nothing(applied: str, environment: dict[str, str]) -> None:
    outcome = run_apply(
        applied, environment, "--realm", KUNSHAN, "--dry-run", "--json", username=ADMIN, password=ADMIN_PASSWORD
    )
    assert outcome.exit_code == 0, outcome.output
    changes = json.loads(outcome.output)["changes"]
    assert [c for c in changes if c["action"] in ("create", "update")] == []
    # Keycloak's own roles and clients are not reported as Wenze's leftovers.
    assert [c for c in changes if c["action"] == "not managed"] == []


def test_wrong_admin_password_is_refused(applied: str, environment: dict[str, str]) -> None:
    outcome = run_apply(applied, environment, "--realm", KUNSHAN, username=ADMIN, password="not-it")
    assert outcome.exit_code == 3, outcome.output
    assert "refused the admin credentials" in " ".join(outcome.output.split())


async def test_an_office_user_gets_a_token_the_services_accept(applied: str, environment: dict[str, str]) -> None:
    add_office_user(
        admin_client(applied, ADMIN, ADMIN_PASSWORD),
        KUNSHAN,
        username="ks-container-supervisor",
        password="s3cret-pass",
        group="discipline_supervision_office",
        attributes={"cadre_authority": ["city_managed", "township_section"], "linked_units": ["玉山镇"]},
    )
    # wenze-web allows the password grant by definition (wenze login uses it).
    token = password_token(applied, KUNSHAN, "ks-container-supervisor", "s3cret-pass")
    settings = AuthSettings(oidc_base_url=applied, jwks_min_refresh_seconds=0)
    async with TokenVerifier(settings) as verifier:
        principal = await verifier.verify(token)
    assert principal.tenant == "kunshan"
    assert (principal.office, principal.office_name) == ("discipline_supervision_office", "执纪监督室")
    assert principal.cadre_authority == {"city_managed", "township_section"}
    assert principal.linked_units == ("玉山镇",)
    assert principal.has("matter:read") and not principal.has("matter:accept")

    wrong_audience = AuthSettings(oidc_base_url=applied, oidc_audience="wenze-reporting")
    wrong_issuer = AuthSettings(oidc_base_url=f"{applied}/elsewhere")
    for refused, reason in ((wrong_audience, "audience"), (wrong_issuer, "issuer")):
        async with TokenVerifier(refused) as verifier:
            with pytest.raises(InvalidToken) as info:
                await verifier.verify(token)
        assert info.value.reason == reason


async def test_the_integrator_account_holds_its_roles(applied: str, environment: dict[str, str]) -> None:
    integrator = KeycloakOpenID(
        server_url=applied,
        realm_name=KUNSHAN,
        client_id=INTEGRATOR_CLIENT,
        client_secret_key=environment["WENZE_KUNSHAN_INTEGRATOR_SECRET"],
    )
    token = integrator.token(grant_type="client_credentials")["access_token"]
    async with TokenVerifier(AuthSettings(oidc_base_url=applied)) as verifier:
        system = await verifier.verify(token)
    assert system.tenant == "kunshan" and system.office is None
    assert system.has("matter:submit") and system.has("matter:bulk") and not system.has("matter:accept")
