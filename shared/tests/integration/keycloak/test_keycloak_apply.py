"""``wenze keycloak apply`` against the test issuer's Admin REST API over real HTTP: what a dry
run shows, what applying does, that a second run changes nothing, and its refusals."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from keycloak import KeycloakAdmin, KeycloakOpenID
from typer.testing import CliRunner

from wenze.auth import AuthSettings, InvalidToken, TokenVerifier
from wenze.cli.main import app
from wenze.cli.output import EXIT_AUTH, EXIT_PROBLEM, EXIT_UNREACHABLE, EXIT_USAGE
from wenze.keycloak.realms import INTEGRATOR_CLIENT
from wenze_devtools.testing.fixtures import running_issuer
from wenze_devtools.testing.issuer import Issuer
from wenze_devtools.testing.provisioning import (
    add_office_user,
    admin_client,
    group_id,
    password_token,
    placeholder_environment,
    run_apply,
)

KUNSHAN = "wenze-kunshan"
ALL_REALMS = {"wenze-kunshan", "wenze-jintan", "wenze-zhenxiong", "wenze-hubei", "wenze-platform"}


@pytest.fixture
def keycloak() -> Iterator[str]:
    """A server with only Keycloak's master realm, as a fresh Keycloak is."""
    with running_issuer(Issuer.build([])) as issuer:
        assert issuer.base_url is not None
        yield issuer.base_url


@pytest.fixture
def environment() -> dict[str, str]:
    return placeholder_environment()


def plan(server_url: str, environment: dict[str, str], *args: str) -> dict[str, Any]:
    outcome = run_apply(server_url, environment, "--dry-run", "--json", *args)
    assert outcome.exit_code == 0, outcome.output
    result: dict[str, Any] = json.loads(outcome.output)
    return result


def pending(result: dict[str, Any]) -> list[dict[str, Any]]:
    return [c for c in result["changes"] if c["action"] in ("create", "update")]


def realms_on(server_url: str) -> set[str]:
    return {r["realm"] for r in admin_client(server_url).get_realms()}


def apply(server_url: str, environment: dict[str, str], *args: str) -> str:
    outcome = run_apply(server_url, environment, *args)
    assert outcome.exit_code == 0, outcome.output
    return outcome.output


def test_a_dry_run_lists_every_creation_and_changes_nothing(keycloak: str, environment: dict[str, str]) -> None:
    result = plan(keycloak, environment)
    assert result["dry_run"] is True and result["applied"] == []
    assert {c["action"] for c in result["changes"]} == {"create"}
    assert {c["realm"] for c in result["changes"]} == ALL_REALMS
    kunshan = [c for c in result["changes"] if c["realm"] == KUNSHAN]
    kinds = [c["kind"] for c in kunshan]
    assert kinds[0] == "realm"
    # Roles exist before the groups that carry them; clients before their mappers.
    assert max(i for i, k in enumerate(kinds) if k == "role") < min(i for i, k in enumerate(kinds) if k == "group")
    assert max(i for i, k in enumerate(kinds) if k == "client") < min(i for i, k in enumerate(kinds) if k == "mapper")
    names = {(c["kind"], c["name"]) for c in kunshan}
    assert {
        ("role", "office:discipline_supervision_office"),
        ("group", "discipline_supervision_office"),
        ("client", INTEGRATOR_CLIENT),
        ("mapper", "wenze-web/audience wenze-api"),
        ("mapper", "wenze-web/cadre_authority"),
        ("service account", f"service-account-{INTEGRATOR_CLIENT}"),
        ("user profile", KUNSHAN),
    } <= names
    assert realms_on(keycloak) == {"master"}


def test_applying_twice_changes_nothing_the_second_time(keycloak: str, environment: dict[str, str]) -> None:
    first = apply(keycloak, environment)
    assert "applied: created" in " ".join(first.split())
    assert realms_on(keycloak) == {"master", *ALL_REALMS}
    again = plan(keycloak, environment)
    assert pending(again) == []
    assert again["summary"]["unchanged"] == len(again["changes"])
    second = apply(keycloak, environment)
    assert "no changes" in second
    for secret in environment.values():
        if secret.startswith("http"):
            continue
        assert secret not in first and secret not in second and secret not in json.dumps(again)


def test_a_change_made_on_the_server_is_the_one_update_shown(keycloak: str, environment: dict[str, str]) -> None:
    apply(keycloak, environment, "--realm", "kunshan")
    admin = admin_client(keycloak)
    admin.change_current_realm(KUNSHAN)
    role = admin.get_realm_role("matter:read")
    admin.update_realm_role("matter:read", {**role, "description": "edited by hand"})
    office = group_id(admin, KUNSHAN, "case_trial_office")
    admin.update_group(
        office, {"name": "case_trial_office", "attributes": {"office": ["case_trial_office"], "office_name": ["改过"]}}
    )

    changes = pending(plan(keycloak, environment, "--realm", KUNSHAN))
    assert changes == [
        {"realm": KUNSHAN, "kind": "role", "name": "matter:read", "action": "update", "fields": ["description"]},
        {
            "realm": KUNSHAN,
            "kind": "group",
            "name": "case_trial_office",
            "action": "update",
            "fields": ["attributes.office_name"],
        },
    ]
    apply(keycloak, environment, "--realm", KUNSHAN)
    assert admin.get_realm_role("matter:read")["description"] == "Wenze capability matter:read"
    assert admin.get_group(office)["attributes"]["office_name"] == ["案件审理室"]
    assert pending(plan(keycloak, environment, "--realm", KUNSHAN)) == []


def test_a_changed_client_secret_is_named_never_shown(keycloak: str, environment: dict[str, str]) -> None:
    apply(keycloak, environment, "--realm", KUNSHAN)
    rotated = {**environment, "WENZE_KUNSHAN_INTEGRATOR_SECRET": "rotated-" + environment["WENZE_KUNSHAN_API_SECRET"]}
    result = plan(keycloak, rotated, "--realm", KUNSHAN)
    assert pending(result) == [
        {"realm": KUNSHAN, "kind": "client", "name": INTEGRATOR_CLIENT, "action": "update", "fields": ["secret"]}
    ]
    output = apply(keycloak, rotated, "--realm", KUNSHAN)
    assert rotated["WENZE_KUNSHAN_INTEGRATOR_SECRET"] not in output
    integrator = KeycloakOpenID(
        server_url=keycloak,
        realm_name=KUNSHAN,
        client_id=INTEGRATOR_CLIENT,
        client_secret_key=rotated["WENZE_KUNSHAN_INTEGRATOR_SECRET"],
    )
    assert integrator.token(grant_type="client_credentials")["access_token"]


def test_what_wenze_does_not_define_is_left_alone(keycloak: str, environment: dict[str, str]) -> None:
    apply(keycloak, environment, "--realm", KUNSHAN)
    admin = admin_client(keycloak)
    admin.change_current_realm(KUNSHAN)
    admin.create_realm_role({"name": "auditor", "description": "by hand"})
    admin.create_client({"clientId": "legacy-portal", "publicClient": True})
    office = group_id(admin, KUNSHAN, "case_trial_office")
    admin.assign_group_realm_roles(office, [admin.get_realm_role("auditor")])

    result = plan(keycloak, environment, "--realm", KUNSHAN)
    assert pending(result) == []
    assert [(c["kind"], c["name"]) for c in result["changes"] if c["action"] == "not managed"] == [
        ("role", "auditor"),
        ("client", "legacy-portal"),
    ]
    output = apply(keycloak, environment, "--realm", KUNSHAN)
    assert "not managed" in output and "no changes" in output
    assert admin.get_realm_role("auditor")["description"] == "by hand"
    assert admin.get_client_id("legacy-portal") is not None
    assert "auditor" in {r["name"] for r in admin.get_group_realm_roles(office)}


async def test_the_applied_realm_issues_tokens_the_services_accept(keycloak: str, environment: dict[str, str]) -> None:
    apply(keycloak, environment, "--realm", KUNSHAN)
    add_office_user(
        admin_client(keycloak),
        KUNSHAN,
        username="ks-new-supervisor",
        password="s3cret-pass",
        group="discipline_supervision_office",
        attributes={"cadre_authority": ["city_managed", "township_section"], "linked_units": ["玉山镇"]},
    )
    token = password_token(keycloak, KUNSHAN, "ks-new-supervisor", "s3cret-pass")
    settings = AuthSettings(oidc_base_url=keycloak, jwks_min_refresh_seconds=0)
    async with TokenVerifier(settings) as verifier:
        principal = await verifier.verify(token)
    assert principal.tenant == "kunshan"
    assert principal.username == "ks-new-supervisor"
    # The office and its name come from the group; the authority from the user's attributes.
    assert (principal.office, principal.office_name) == ("discipline_supervision_office", "执纪监督室")
    assert principal.cadre_authority == {"city_managed", "township_section"}
    assert principal.linked_units == ("玉山镇",)
    assert principal.has("matter:read") and not principal.has("matter:accept")
    assert "office:discipline_supervision_office" in principal.roles

    other_audience = AuthSettings(oidc_base_url=keycloak, oidc_audience="wenze-reporting")
    other_host = AuthSettings(oidc_base_url=keycloak.replace("127.0.0.1", "localhost"))
    for refused, reason in ((other_audience, "audience"), (other_host, "issuer")):
        async with TokenVerifier(refused) as verifier:
            with pytest.raises(InvalidToken) as info:
                await verifier.verify(token)
        assert info.value.reason == reason

    integrator = KeycloakOpenID(
        server_url=keycloak,
        realm_name=KUNSHAN,
        client_id=INTEGRATOR_CLIENT,
        client_secret_key=environment["WENZE_KUNSHAN_INTEGRATOR_SECRET"],
    )
    async with TokenVerifier(settings) as verifier:
        system = await verifier.verify(integrator.token(grant_type="client_credentials")["access_token"])
    assert system.has("matter:submit") and system.has("matter:bulk") and not system.has("matter:accept")
    assert system.office is None


def test_a_missing_variable_is_named_and_nothing_changes(keycloak: str, environment: dict[str, str]) -> None:
    lacking = {k: v for k, v in environment.items() if k != "WENZE_HUBEI_INTEGRATOR_SECRET"}
    outcome = run_apply(keycloak, lacking)
    assert outcome.exit_code == EXIT_USAGE, outcome.output
    assert "WENZE_HUBEI_INTEGRATOR_SECRET" in outcome.output and "nothing was changed" in outcome.output
    assert "Traceback" not in outcome.output
    assert realms_on(keycloak) == {"master"}


def test_wrong_admin_password(keycloak: str, environment: dict[str, str]) -> None:
    outcome = run_apply(keycloak, environment, password="not-the-password")
    assert outcome.exit_code == EXIT_AUTH, outcome.output
    assert "refused the admin credentials of user admin in realm master" in " ".join(outcome.output.split())
    assert "not-the-password" not in outcome.output and "Traceback" not in outcome.output
    assert realms_on(keycloak) == {"master"}


def test_an_administrator_without_the_rights(keycloak: str, environment: dict[str, str]) -> None:
    admin = admin_client(keycloak)
    admin.change_current_realm("master")
    admin.create_user(
        {"username": "helpdesk", "enabled": True, "credentials": [{"type": "password", "value": "helpdesk-pass"}]}
    )
    outcome = run_apply(keycloak, environment, username="helpdesk", password="helpdesk-pass")
    assert outcome.exit_code == EXIT_PROBLEM, outcome.output
    assert "user helpdesk of realm master may not read realm" in " ".join(outcome.output.split())
    assert realms_on(keycloak) == {"master"}


def test_keycloak_unreachable(environment: dict[str, str]) -> None:
    # Port 9 (discard) has nothing listening.
    outcome = run_apply("http://127.0.0.1:9", environment)
    assert outcome.exit_code == EXIT_UNREACHABLE, outcome.output
    assert "cannot reach Keycloak at http://127.0.0.1:9" in " ".join(outcome.output.split())
    assert "Traceback" not in outcome.output


def test_an_unknown_realm_is_a_usage_error(keycloak: str, environment: dict[str, str]) -> None:
    outcome = run_apply(keycloak, environment, "--realm", "wenze-atlantis")
    assert outcome.exit_code == EXIT_USAGE
    assert "no realm definition named wenze-atlantis" in " ".join(outcome.output.split())


def test_only_the_named_realm_is_applied(keycloak: str, environment: dict[str, str]) -> None:
    apply(keycloak, environment, "--realm", "jintan")
    assert realms_on(keycloak) == {"master", "wenze-jintan"}
    admin: KeycloakAdmin = admin_client(keycloak)
    admin.change_current_realm("wenze-jintan")
    account = admin.get_client_service_account_user(admin.get_client_id(INTEGRATOR_CLIENT))
    assert {"matter:submit", "matter:bulk", "matter:read"} <= {
        r["name"] for r in admin.get_realm_roles_of_user(account["id"])
    }


def test_a_service_account_with_the_admin_role_can_apply(keycloak: str, environment: dict[str, str]) -> None:
    admin = admin_client(keycloak)
    admin.change_current_realm("master")
    internal = admin.create_client(
        {
            "clientId": "wenze-provisioner",
            "publicClient": False,
            "serviceAccountsEnabled": True,
            "secret": "prov-s3cret",
        }
    )
    account = admin.get_client_service_account_user(internal)
    admin.assign_realm_roles(account["id"], [admin.get_realm_role("admin")])
    env = {
        **environment,
        "WENZE_KEYCLOAK_URL": keycloak,
        "WENZE_KEYCLOAK_ADMIN_CLIENT_ID": "wenze-provisioner",
        "WENZE_KEYCLOAK_ADMIN_CLIENT_SECRET": "prov-s3cret",
    }
    result = CliRunner().invoke(app, ["keycloak", "apply", "--realm", "hubei"], env=env)
    assert result.exit_code == 0, result.output
    assert realms_on(keycloak) == {"master", "wenze-hubei"}
    result = CliRunner().invoke(
        app, ["keycloak", "apply", "--realm", "hubei"], env={**env, "WENZE_KEYCLOAK_ADMIN_CLIENT_SECRET": "guess"}
    )
    assert result.exit_code == EXIT_AUTH
    assert "refused the admin credentials of client wenze-provisioner" in " ".join(result.output.split())
