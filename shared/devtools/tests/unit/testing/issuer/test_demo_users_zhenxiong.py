"""Zhenxiong's demo users can act at every step its rule pack gives an office or body.

The steps and their actors are read from the pack, evaluated for a leading cadre the county
commission manages (the workflow scenario of the pack's cases), not listed here.
"""

from __future__ import annotations

import datetime as dt

import pytest

from wenze.rules import get_pack
from wenze_devtools.testing.issuer import load_demo_users

ON = dt.date(2026, 3, 2)
TARGET = {
    "source": "petition_report",
    "target_kind": "person",
    "cadre_level": "leader",
    "sector": "dispatched_body",
    "party_member": True,
}


@pytest.fixture(scope="module")
def users():
    return load_demo_users()["wenze-zhenxiong"][1]


@pytest.fixture(scope="module")
def pack():
    return get_pack("zhenxiong")


def test_offices_and_authority_are_pack_codes(users, pack) -> None:
    codes = set(pack.vocabulary["offices"]) | set(pack.vocabulary["bodies"])
    for user in users:
        assert user.office in codes, user.username
        assert user.office_name, user.username
        assert set(user.cadre_authority) <= set(pack.vocabulary["cadre_levels"]), user.username


def _holders(users, office: str, capability: str) -> list[str]:
    return [u.username for u in users if u.office == office and capability in u.roles]


def test_every_actor_of_the_scenario_has_a_user(users, pack) -> None:
    routing = pack.evaluate(pack.workflow_decision("routing"), TARGET, on=ON).outcome
    decision = pack.evaluate(pack.workflow_decision("decision"), {**TARGET, **routing}, on=ON).outcome
    needs = [
        (routing["handler"], "matter:read"),
        (routing["investigated_by"], "review:sign"),
        *[(office, "review:sign") for office in routing["investigated_with"]],
        *[(body, "approval:sign") for body in routing.get("start_approved_by", [])],
        *[(body, "approval:sign") for body in decision.get("approved_by", [])],
        (decision["decided_by"], "decision:make"),
    ]
    missing = [need for need in needs if not _holders(users, *need)]
    assert not missing, missing


def test_the_handler_acts_on_the_cadre_level(users, pack) -> None:
    routing = pack.evaluate(pack.workflow_decision("routing"), TARGET, on=ON).outcome
    handlers = [u for u in users if u.office == routing["handler"]]
    assert handlers and all("leader" in u.cadre_authority for u in handlers)


def test_someone_may_override_a_routing(users) -> None:
    assert [u.office for u in users if "routing:override" in u.roles] == ["county_standing_committee"]
