from __future__ import annotations

from pathlib import Path

import pytest

from wenze.auth.capabilities import CAPABILITIES
from wenze_devtools.testing.issuer import DEFAULT_REALMS, PLATFORM_REALM, TENANT_REALMS, load_demo_users

# One accepting office per procedure: Jintan's conduct matters are accepted by the conduct
# office, its inspection-rectification clues (district-managed leaders among their targets) by
# the discipline organ that holds authority over them.
INTAKE_OFFICES = {
    "wenze-kunshan": ["党风政风监督室"],
    "wenze-jintan": ["区作风建设领导小组办公室", "区纪委监委（巡察整改问责）"],
    "wenze-zhenxiong": ["纪检监察干部监督室"],
    "wenze-hubei": ["党风廉政建设责任制领导小组办公室"],
}


def office_names(users) -> list[str]:
    return [u.office_name or u.office for u in users]


@pytest.fixture(scope="module")
def demo() -> dict:
    return load_demo_users()


def test_every_realm_has_users(demo: dict) -> None:
    assert set(demo) == set(DEFAULT_REALMS) == {*TENANT_REALMS, PLATFORM_REALM}
    for realm in TENANT_REALMS:
        _, users = demo[realm]
        assert len(users) >= 4, realm


def test_the_platform_realm_holds_an_operator_of_no_office(demo: dict) -> None:
    _, users = demo[PLATFORM_REALM]
    (operator,) = users
    assert (operator.username, operator.password, operator.roles) == ("platform-ops", "wenze", ("calendar:admin",))
    assert operator.office is None and not operator.cadre_authority and not operator.linked_units


def test_one_user_per_office_and_ascii_usernames(demo: dict) -> None:
    for realm, (_, users) in demo.items():
        offices = office_names(users)
        assert len(offices) == len(set(offices)), realm
        for user in users:
            assert user.username.isascii() and user.username == user.username.lower()
            assert user.password == "wenze"
            assert set(user.roles) <= CAPABILITIES


def test_only_the_intake_office_may_accept(demo: dict) -> None:
    for realm in TENANT_REALMS:
        _, users = demo[realm]
        accepting = office_names([u for u in users if "matter:accept" in u.roles])
        assert accepting == INTAKE_OFFICES[realm], realm


def test_offices_are_named_in_the_rule_documents(demo: dict) -> None:
    offices = {realm: set(office_names(users)) for realm, (_, users) in demo.items()}
    assert {"案件监督管理室", "第一执纪监督室", "案件审理室", "委领导"} <= offices["wenze-kunshan"]
    assert {"区纪委监委", "区委组织部"} <= offices["wenze-jintan"]
    assert "县纪委常委会" in offices["wenze-zhenxiong"]
    assert {"纪检监察机关", "组织人事部门"} <= offices["wenze-hubei"]


def test_every_capability_is_held_by_someone_in_each_tenant_realm(demo: dict) -> None:
    for realm in TENANT_REALMS:
        _, users = demo[realm]
        held = set().union(*(u.roles for u in users))
        assert held == CAPABILITIES, (realm, CAPABILITIES - held)


def test_unknown_role_in_a_users_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "users.yaml"
    path.write_text(
        "realms:\n  wenze-kunshan:\n    users:\n      - {username: x, roles: [matter:frob]}\n",
        encoding="utf-8",
    )
    with pytest.raises(ValueError, match="matter:frob"):
        load_demo_users(path)
