"""Kunshan's demo users can act at every step its rule pack gives an office or body.

The steps and their actors are read from the pack, evaluated for the targets of the pack's
workflow scenarios (cases/workflow.yaml), not listed here.
"""

from __future__ import annotations

import datetime as dt

import pytest

from wenze.rules import get_pack
from wenze_devtools.testing.issuer import load_demo_users

ON = dt.date(2026, 5, 6)
MATTER = {
    "source": "city_government",
    "key_supervised": False,
    "proposed_forms": ["form_2"],
    "multiple_parties": False,
    "target_count": 1,
}
TARGETS = {
    "city-managed cadre": {"target_kind": "person", "cadre_level": "city_managed", "sector": "city_department"},
    "city-managed cadre, third form": {
        "target_kind": "person",
        "cadre_level": "city_managed",
        "sector": "state_enterprise",
        "proposed_forms": ["form_3"],
    },
    "township organisation": {
        "target_kind": "organisation",
        "organisation_level": "township_section",
        "sector": "district_town",
    },
    "town cadre": {"target_kind": "person", "cadre_level": "not_city_managed", "sector": "district_town"},
    "department cadre": {"target_kind": "person", "cadre_level": "not_city_managed", "sector": "direct_unit"},
    "unknown in a town": {"target_kind": "unknown", "sector": "district_town"},
}
# A recommendation with an organisational measure, so its approvals are asked for as well.
RECOMMENDATION = {
    "severity": "heavier",
    "circumstances": ["dereliction_of_duty", "unfit_for_current_post"],
    "measures": ["reassignment"],
}


@pytest.fixture(scope="module")
def users():
    return load_demo_users()["wenze-kunshan"][1]


@pytest.fixture(scope="module")
def pack():
    return get_pack("kunshan")


def _holders(users, office: str, capability: str) -> list[str]:
    return [u.username for u in users if u.office == office and capability in u.roles]


def _evaluate(pack, step: str, facts: dict) -> dict:
    return pack.evaluate(pack.workflow_decision(step), facts, on=ON).outcome


def _needs(pack, target: dict) -> list[tuple[str, str]]:
    facts = {**MATTER, **target}
    routing = _evaluate(pack, "routing", facts)
    needs = [(office, "consultation:sign") for office in routing.get("consultation_participants", [])]
    needs += [(body, "approval:sign") for body in routing.get("routing_approved_by", [])]
    needs += [(step["actor"], "approval:sign") for step in routing.get("consultation_escalation", [])]
    needs += [
        (office, "matter:read")
        for office in [
            routing.get("handler"),
            routing.get("investigated_by"),
            *routing.get("handler_candidates", []),
            *routing.get("investigated_with", []),
            *routing.get("cc", []),
        ]
        if office
    ]
    if target["target_kind"] == "unknown":
        return needs
    later = {**facts, **routing, **RECOMMENDATION}
    review = _evaluate(pack, "joint_review", later)
    needs += [(office, "review:sign") for office in review.get("joint_review_participants", [])]
    needs += [(body, "approval:sign") for body in review.get("approved_by", [])]
    needs += [(step["actor"], "approval:sign") for step in review.get("joint_review_escalation", [])]
    decision = _evaluate(pack, "decision", later)
    needs += [(office, "decision:make") for office in decision["decided_by"]]
    needs += [(body, "approval:sign") for body in decision.get("approved_by", [])]
    return needs


def test_offices_and_authority_are_pack_codes(users, pack) -> None:
    codes = set(pack.vocabulary["offices"]) | set(pack.vocabulary["bodies"])
    levels = set(pack.vocabulary["cadre_levels"]) | set(pack.vocabulary["organisation_levels"])
    for user in users:
        assert user.office in codes, user.username
        assert user.office_name, user.username
        assert user.cadre_authority and set(user.cadre_authority) <= levels, user.username


@pytest.mark.parametrize("name", sorted(TARGETS))
def test_every_actor_of_a_scenario_has_a_user(users, pack, name: str) -> None:
    missing = [need for need in _needs(pack, TARGETS[name]) if not _holders(users, *need)]
    assert not missing, missing


@pytest.mark.parametrize("name", sorted(set(TARGETS) - {"unknown in a town"}))
def test_the_deciding_office_has_authority_over_the_target(users, pack, name: str) -> None:
    target = TARGETS[name]
    facts = {**MATTER, **target}
    later = {**facts, **_evaluate(pack, "routing", facts)}
    level = target.get("cadre_level") or target.get("organisation_level")
    for office in _evaluate(pack, "decision", later)["decided_by"]:
        deciders = [u for u in users if u.office == office and "decision:make" in u.roles]
        assert deciders and all(level in u.cadre_authority for u in deciders), (office, level)


def test_only_the_commission_leaders_override_a_routing(users) -> None:
    assert [u.office for u in users if "routing:override" in u.roles] == ["commission_leaders"]
