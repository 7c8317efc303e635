"""What ``wenze keycloak apply`` decides to change, from a realm's definition and what it holds."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from wenze.keycloak.apply import (
    ActualClient,
    ActualGroup,
    ActualRealm,
    MissingVariables,
    desired_realms,
    diff,
    placeholders,
    resolve_placeholders,
    user_profile_of,
)
from wenze.keycloak.realms import API_CLIENT, INTEGRATOR_CLIENT, WEB_CLIENT

KUNSHAN = "wenze-kunshan"
ENVIRONMENT = {
    "WENZE_WEB_URL": "https://wenze.example",
    "WENZE_KUNSHAN_API_SECRET": "api-secret-value",
    "WENZE_KUNSHAN_INTEGRATOR_SECRET": "integrator-secret-value",
}


def desired() -> dict[str, Any]:
    document: dict[str, Any] = resolve_placeholders(desired_realms([KUNSHAN])[KUNSHAN], ENVIRONMENT)
    return document


def as_held(document: dict[str, Any]) -> ActualRealm:
    """The realm as Keycloak would hold it once the definition was applied."""
    held = copy.deepcopy(document)
    clients = {}
    for client in held["clients"]:
        account = None
        if client.get("serviceAccountsEnabled"):
            roles = next(
                u["realmRoles"] for u in held["users"] if u.get("serviceAccountClientId") == client["clientId"]
            )
            account = ("account-id", frozenset([*roles, f"default-roles-{KUNSHAN}"]))
        clients[client["clientId"]] = ActualClient(
            id=f"id-{client['clientId']}",
            # Keycloak adds settings and attributes of its own, and keeps lists in any order.
            representation={
                **client,
                "redirectUris": list(reversed(client.get("redirectUris", []))),
                "attributes": {**client.get("attributes", {}), "post.logout.redirect.uris": "+"},
                "bearerOnly": False,
            },
            secret=client.get("secret"),
            mappers={m["name"]: {**m, "id": f"m-{m['name']}"} for m in client["protocolMappers"]},
            service_account=account,
        )
    profile = user_profile_of(held)
    for attribute in profile["attributes"]:
        attribute.get("permissions", {}).get("view", []).reverse()
    profile["groups"] = [{"name": "user-metadata"}]
    return ActualRealm(
        settings={k: v for k, v in held.items() if isinstance(v, str | bool)} | {"id": "x", "displayName": "昆山"},
        roles={r["name"]: {**r, "id": r["name"]} for r in held["roles"]["realm"]}
        | {"offline_access": {"name": "offline_access"}, f"default-roles-{KUNSHAN}": {"name": "x"}},
        groups={
            g["name"]: ActualGroup(f"g-{g['name']}", dict(g["attributes"]), frozenset(g["realmRoles"]))
            for g in held["groups"]
        },
        client_ids=(*clients, "account", "admin-cli"),
        clients=clients,
        profile=profile,
    )


def pending(changes: list[Any]) -> list[tuple[str, str, str, tuple[str, ...]]]:
    return [(c.kind, c.name, c.action, c.fields) for c in changes if c.action in ("create", "update")]


def test_every_missing_variable_is_named_at_once() -> None:
    with pytest.raises(MissingVariables) as info:
        resolve_placeholders(desired_realms([KUNSHAN])[KUNSHAN], {"WENZE_WEB_URL": "https://wenze.example"})
    assert info.value.names == ["WENZE_KUNSHAN_API_SECRET", "WENZE_KUNSHAN_INTEGRATOR_SECRET"]


def test_keycloak_message_keys_are_not_environment_variables() -> None:
    # The user profile's display names are ${username}, ${email}: Keycloak's own texts.
    names = placeholders(desired_realms([KUNSHAN])[KUNSHAN])
    assert names == {"WENZE_WEB_URL", "WENZE_KUNSHAN_API_SECRET", "WENZE_KUNSHAN_INTEGRATOR_SECRET"}
    resolved = desired()
    web = next(c for c in resolved["clients"] if c["clientId"] == WEB_CLIENT)
    assert web["redirectUris"] == ["https://wenze.example/*"]
    assert "${username}" in str(user_profile_of(resolved))


def test_a_missing_realm_is_all_creations_in_keycloak_order() -> None:
    changes = diff(KUNSHAN, desired(), None)
    assert {c.action for c in changes} == {"create"}
    kinds = [c.kind for c in changes]
    assert kinds[0] == "realm" and kinds[-1] == "user profile"
    order = ["realm", "role", "group", "client", "mapper", "service account", "user profile"]
    assert sorted(kinds, key=order.index) == kinds


def test_a_realm_as_defined_has_nothing_to_change() -> None:
    document = desired()
    changes = diff(KUNSHAN, document, as_held(document))
    assert pending(changes) == []
    # Keycloak's own roles and clients are neither changed nor reported.
    assert [c for c in changes if c.action == "not managed"] == []


def test_each_difference_is_named_by_its_field() -> None:
    document = desired()
    held = as_held(document)
    held.roles["matter:read"]["description"] = "edited"
    held.groups["case_trial_office"].attributes["office_name"] = ["改过"]
    held.groups["case_trial_office"].attributes["note"] = ["kept"]
    held.clients[WEB_CLIENT].representation["directAccessGrantsEnabled"] = False
    held.clients[API_CLIENT].mappers["office"]["config"]["claim.name"] = "department"
    held.profile["attributes"] = [a for a in held.profile["attributes"] if a["name"] != "linked_units"]
    changes = diff(KUNSHAN, document, held)
    assert pending(changes) == [
        ("role", "matter:read", "update", ("description",)),
        ("group", "case_trial_office", "update", ("attributes.office_name",)),
        ("client", WEB_CLIENT, "update", ("directAccessGrantsEnabled",)),
        ("mapper", f"{API_CLIENT}/office", "update", ("config.claim.name",)),
        ("user profile", KUNSHAN, "update", ("attributes.linked_units",)),
    ]


def test_a_group_missing_a_role_gets_it_and_keeps_its_own() -> None:
    document = desired()
    held = as_held(document)
    group = held.groups["case_trial_office"]
    held.groups["case_trial_office"] = ActualGroup(group.id, group.attributes, frozenset({"auditor"}))
    assert pending(diff(KUNSHAN, document, held)) == [
        ("group", "case_trial_office", "update", ("realmRoles",)),
    ]


def test_a_secret_that_differs_is_named_and_never_described() -> None:
    document = desired()
    held = as_held(document)
    client = held.clients[INTEGRATOR_CLIENT]
    held.clients[INTEGRATOR_CLIENT] = ActualClient(
        client.id, client.representation, "old-secret", client.mappers, client.service_account
    )
    changes = diff(KUNSHAN, document, held)
    assert pending(changes) == [("client", INTEGRATOR_CLIENT, "update", ("secret",))]
    described = str([c.as_dict() for c in changes]) + repr(changes)
    assert "integrator-secret-value" not in described and "old-secret" not in described


def test_what_wenze_does_not_define_is_reported_not_managed() -> None:
    document = desired()
    held = as_held(document)
    held.roles["auditor"] = {"name": "auditor"}
    held.groups["volunteers"] = ActualGroup("g-v", {}, frozenset())
    extra = ActualRealm(
        held.settings, held.roles, held.groups, (*held.client_ids, "legacy-portal"), held.clients, held.profile
    )
    changes = diff(KUNSHAN, document, extra)
    assert pending(changes) == []
    assert [(c.kind, c.name) for c in changes if c.action == "not managed"] == [
        ("role", "auditor"),
        ("group", "volunteers"),
        ("client", "legacy-portal"),
    ]
    assert all(c.run is None for c in changes if c.action == "not managed")
