from __future__ import annotations

import pytest

from wenze.auth import Principal, principal_from_claims


def test_keycloak_claim_shapes_map_onto_the_principal() -> None:
    claims = {
        "sub": "u-1",
        "preferred_username": "jt-organisation",
        "azp": "wenze-web",
        "realm_access": {"roles": ["matter:read", "offline_access"]},
        "resource_access": {
            "wenze-api": {"roles": ["review:sign"]},
            "other-client": {"roles": ["decision:make"]},
        },
        "office": ["区委组织部"],
        "cadre_authority": "section_leader",
        "linked_units": ["区教育局", "区卫健委"],
    }
    p = principal_from_claims("jintan", claims, "wenze-api")
    assert p.tenant == "jintan"
    assert p.roles == frozenset({"matter:read", "offline_access", "review:sign"})
    assert p.office == "区委组织部"
    assert p.cadre_authority == frozenset({"section_leader"})
    assert p.linked_units == ("区教育局", "区卫健委")
    assert p.client_id == "wenze-web"
    assert not p.has("decision:make"), "roles of other clients are not ours"


def test_missing_optional_claims() -> None:
    p = principal_from_claims("hubei", {"sub": "u-2"}, "wenze-api")
    assert p.username == "u-2"
    assert p.roles == frozenset()
    assert p.office is None
    assert p.cadre_authority == frozenset()


def test_has_rejects_unknown_capabilities() -> None:
    p = Principal(tenant="kunshan", subject="s", username="u", roles=frozenset({"matter:read"}))
    assert p.has("matter:read")
    with pytest.raises(ValueError):
        p.has("matter:reed")


@pytest.mark.parametrize(
    "malformed",
    [
        {"realm_access": ["matter:read"]},
        {"realm_access": "matter:read"},
        {"resource_access": ["wenze-api"]},
        {"resource_access": {"wenze-api": ["review:sign"]}},
        {"realm_access": None, "resource_access": 7},
    ],
)
def test_role_claims_of_the_wrong_shape_grant_nothing_instead_of_failing(malformed: dict[str, object]) -> None:
    p = principal_from_claims("kunshan", {"sub": "u-3", **malformed}, "wenze-api")
    assert p.roles == frozenset()
