"""The committed realm-import files follow the packs and the capability table."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from wenze.auth.capabilities import CAPABILITIES
from wenze.auth.principal import principal_from_claims
from wenze.cli.main import app
from wenze.config import DEFAULT_PLATFORM_REALM
from wenze.keycloak.realms import API_CLIENT, build_realms, realm_name, render
from wenze.rules import get_pack, list_tenants
from wenze_devtools.testing.issuer.realms import DEFAULT_REALMS, INTEGRATOR_CLIENT, load_demo_users

DEPLOY_KEYCLOAK = Path(__file__).resolve().parents[4] / "deploy" / "keycloak"
REALMS = build_realms()
TENANT_REALMS = [realm_name(t) for t in list_tenants()]


def _realm_roles(realm: dict[str, Any]) -> set[str]:
    return {role["name"] for role in realm["roles"]["realm"]}


def _client(realm: dict[str, Any], client_id: str) -> dict[str, Any]:
    return next(c for c in realm["clients"] if c["clientId"] == client_id)


def _profile_attributes(realm: dict[str, Any]) -> dict[str, dict[str, Any]]:
    (provider,) = realm["components"]["org.keycloak.userprofile.UserProfileProvider"]
    profile = json.loads(provider["config"]["kc.user.profile.config"][0])
    return {a["name"]: a for a in profile["attributes"]}


def test_committed_files_are_in_step_with_the_packs() -> None:
    committed = {p.name: p.read_text(encoding="utf-8") for p in DEPLOY_KEYCLOAK.glob("*.json")}
    generated = {f"{name}.json": render(realm) for name, realm in REALMS.items()}
    assert sorted(committed) == sorted(generated), "regenerate with `wenze keycloak realms`"
    for name, text in generated.items():
        assert committed[name] == text, f"{name} is stale: regenerate with `wenze keycloak realms`"


def test_the_command_writes_the_same_files(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["keycloak", "realms", "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert {p.name: p.read_text(encoding="utf-8") for p in tmp_path.iterdir()} == {
        f"{name}.json": render(realm) for name, realm in REALMS.items()
    }


def test_one_realm_per_tenant_and_one_for_the_platform() -> None:
    assert set(REALMS) == {*TENANT_REALMS, DEFAULT_PLATFORM_REALM}
    assert set(REALMS) == set(DEFAULT_REALMS)


@pytest.mark.parametrize("name", sorted(REALMS))
def test_every_capability_is_a_realm_role(name: str) -> None:
    assert CAPABILITIES <= _realm_roles(REALMS[name])


@pytest.mark.parametrize("tenant", list_tenants())
def test_every_office_and_body_of_the_pack_has_a_role_and_a_group(tenant: str) -> None:
    realm = REALMS[realm_name(tenant)]
    vocabulary = get_pack(tenant).vocabulary
    groups = {g["name"]: g for g in realm["groups"]}
    for prefix, vocab in (("office", "offices"), ("body", "bodies")):
        for code, label in vocabulary[vocab].items():
            assert f"{prefix}:{code}" in _realm_roles(realm)
            assert f"{prefix}:{code}" in groups[code]["realmRoles"]
            assert groups[code]["attributes"] == {"office": [code], "office_name": [label]}
    office_options = _profile_attributes(realm)["office"]["validations"]["options"]["options"]
    assert set(office_options) == set(vocabulary["offices"]) | set(vocabulary["bodies"])


@pytest.mark.parametrize("name", sorted(REALMS))
def test_every_client_maps_the_claims_the_services_read(name: str) -> None:
    """Fill each mapped claim with a value and read it back as the services do."""
    profile = _profile_attributes(REALMS[name])
    for client in REALMS[name]["clients"]:
        claims: dict[str, Any] = {"sub": "u-1"}
        audiences = []
        for mapper in client["protocolMappers"]:
            config = mapper["config"]
            if mapper["protocolMapper"] == "oidc-audience-mapper":
                audiences.append(config["included.client.audience"])
                continue
            assert config["user.attribute"] in profile, config["user.attribute"]
            multivalued = config["multivalued"] == "true"
            assert profile[config["user.attribute"]]["multivalued"] is multivalued
            value = f"value-of-{config['claim.name']}"
            claims[config["claim.name"]] = [value] if multivalued else value
        assert audiences == [API_CLIENT], client["clientId"]
        principal = principal_from_claims("t", claims, API_CLIENT)
        assert principal.office == "value-of-office"
        assert principal.office_name == "value-of-office_name"
        assert principal.cadre_authority == frozenset({"value-of-cadre_authority"})
        assert principal.linked_units == ("value-of-linked_units",)


@pytest.mark.parametrize("name", sorted(REALMS))
def test_no_client_secret_is_committed(name: str) -> None:
    for client in REALMS[name]["clients"]:
        if client["publicClient"]:
            assert "secret" not in client
        else:
            assert client["secret"].startswith("${WENZE_") and client["secret"].endswith("_SECRET}")


@pytest.mark.parametrize("name", TENANT_REALMS)
def test_each_tenant_has_an_integrator_with_client_credentials(name: str) -> None:
    realm = REALMS[name]
    integrator = _client(realm, INTEGRATOR_CLIENT)
    assert integrator["serviceAccountsEnabled"] and not integrator["publicClient"]
    (account,) = [u for u in realm["users"] if u.get("serviceAccountClientId") == INTEGRATOR_CLIENT]
    assert set(account["realmRoles"]) <= CAPABILITIES


@pytest.mark.parametrize(("name", "users"), sorted((n, u) for n, (_, u) in load_demo_users().items()))
def test_the_test_issuers_demo_users_fit_the_generated_realms(name: str, users: list[Any]) -> None:
    realm = REALMS[name]
    roles = _realm_roles(realm)
    groups = {g["name"] for g in realm["groups"]}
    profile = _profile_attributes(realm)
    cadre_options = set(profile["cadre_authority"]["validations"].get("options", {}).get("options", []))
    for user in users:
        assert set(user.roles) <= roles, user.username
        assert set(user.cadre_authority) <= cadre_options, user.username
        if user.office is not None:
            assert user.office in groups, user.username
