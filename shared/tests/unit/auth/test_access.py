"""The read and act rules of wenze.auth.access, on the examples the rules were written for."""

from __future__ import annotations

import pytest

from wenze.auth.access import (
    MatterAccess,
    OutsideAuthority,
    OutsideLinkedUnits,
    StepNotYours,
    authorise_step,
    may_read,
)
from wenze.auth.capabilities import (
    DECISION_MAKE,
    MATTER_ACCEPT,
    MATTER_OVERSEE,
    MATTER_READ,
    MATTER_SUBMIT,
    ROUTING_OVERRIDE,
)
from wenze.auth.principal import Principal


def office_user(
    office: str,
    *roles: str,
    authority: tuple[str, ...] = (),
    linked: tuple[str, ...] = (),
    username: str = "someone",
) -> Principal:
    return Principal(
        tenant="kunshan",
        subject=username,
        username=username,
        roles=frozenset({MATTER_READ, *roles}),
        office=office,
        cadre_authority=frozenset(authority),
        linked_units=linked,
    )


INTEGRATOR = Principal(
    tenant="kunshan",
    subject="sa",
    username="service-account-wenze-integrator",
    roles=frozenset({MATTER_SUBMIT, MATTER_READ}),
)
TOWN_A_SUPERVISION = office_user(
    "discipline_supervision_office", DECISION_MAKE, authority=("city_managed", "township_section"), linked=("玉山镇",)
)
TOWN_COMMISSION = office_user(
    "district_town_commission", DECISION_MAKE, authority=("not_city_managed",), linked=("巴城镇",)
)
CITY_MANAGED_IN_BACHENG = MatterAccess.of(
    offices=["party_conduct_office"], levels=["city_managed"], units=["巴城镇"], submitted_by="ks-intake"
)


def test_an_integrator_sees_what_it_submitted_and_nothing_else() -> None:
    own = MatterAccess.of(submitted_by=INTEGRATOR.username, levels=["not_city_managed"])
    assert may_read(INTEGRATOR, own)
    assert not may_read(INTEGRATOR, CITY_MANAGED_IN_BACHENG)


def test_a_town_commission_does_not_see_a_city_managed_cadre_of_its_own_town() -> None:
    assert not may_read(TOWN_COMMISSION, CITY_MANAGED_IN_BACHENG)


def test_a_town_commission_sees_a_cadre_within_its_authority_in_its_town() -> None:
    matter = MatterAccess.of(levels=["not_city_managed"], units=["巴城镇"])
    assert may_read(TOWN_COMMISSION, matter)
    assert not may_read(TOWN_COMMISSION, MatterAccess.of(levels=["not_city_managed"], units=["张浦镇"]))


def test_an_office_named_by_routing_sees_the_matter_whatever_its_links() -> None:
    matter = MatterAccess.of(offices=["district_town_commission"], levels=["city_managed"], units=["张浦镇"])
    assert may_read(TOWN_COMMISSION, matter)


def test_oversight_and_acceptance_see_every_matter_within_authority() -> None:
    overseer = office_user("case_management_office", MATTER_OVERSEE, authority=("city_managed",))
    acceptor = office_user("party_conduct_office", MATTER_ACCEPT, authority=("city_managed",))
    bystander = office_user("case_trial_office", authority=("city_managed",))
    assert may_read(overseer, CITY_MANAGED_IN_BACHENG)
    assert may_read(acceptor, CITY_MANAGED_IN_BACHENG)
    assert not may_read(bystander, CITY_MANAGED_IN_BACHENG)
    beyond = MatterAccess.of(levels=["city_managed", "not_city_managed"])
    assert not may_read(overseer, beyond)


def test_the_office_that_forces_routings_sees_the_matters_within_its_authority() -> None:
    # A matter no rule routed names no office: only an overseer could find it to route it.
    unrouted = MatterAccess.of(levels=["city_managed"], units=["巴城镇"])
    leaders = office_user("commission_leaders", ROUTING_OVERRIDE, authority=("city_managed",))
    assert may_read(leaders, unrouted)
    assert not may_read(leaders, MatterAccess.of(levels=["not_city_managed"]))
    assert not may_read(office_user("commission_leaders", authority=("city_managed",)), unrouted)


def test_a_step_needs_the_office_the_capability_and_the_authority() -> None:
    matter = MatterAccess.of(levels=["city_managed"], units=["玉山镇"])
    step = {"step": "decision", "offices": ["discipline_supervision_office"], "capability": DECISION_MAKE}
    assert authorise_step(TOWN_A_SUPERVISION, matter, **step) == "discipline_supervision_office"
    with pytest.raises(StepNotYours):
        authorise_step(TOWN_COMMISSION, matter, **step)
    without_capability = office_user("discipline_supervision_office", authority=("city_managed",))
    with pytest.raises(StepNotYours):
        authorise_step(without_capability, matter, **step)
    with pytest.raises(OutsideAuthority) as refused:
        authorise_step(TOWN_COMMISSION, matter, step="decision", offices=["district_town_commission"],
                       capability=DECISION_MAKE)  # fmt: skip
    assert refused.value.status_code == 403
    assert "city_managed" in refused.value.detail


def test_an_office_linked_to_town_a_acts_on_town_b_only_when_assigned() -> None:
    town_b = MatterAccess.of(levels=["city_managed"], units=["张浦镇"])
    step = {"step": "investigation", "offices": ["discipline_supervision_office"], "capability": DECISION_MAKE}
    with pytest.raises(OutsideLinkedUnits):
        authorise_step(TOWN_A_SUPERVISION, town_b, **step)
    assert authorise_step(TOWN_A_SUPERVISION, town_b, assigned=True, **step) == "discipline_supervision_office"
    # Assignment never widens authority over cadre levels.
    with pytest.raises(OutsideAuthority):
        authorise_step(TOWN_A_SUPERVISION, MatterAccess.of(levels=["not_city_managed"]), assigned=True, **step)
