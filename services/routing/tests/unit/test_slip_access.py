"""A slip's readers from its own data: every office or body its routing names, whatever the
pack calls the role, and its targets' levels and units."""

from __future__ import annotations

import datetime as dt

from wenze.events import TargetSnapshot
from wenze.rules import get_pack
from wenze.rules.facts import matter_facts, target_facts
from wenze_routing.slips.access import slip_access
from wenze_routing.slips.models import RoutingSlip

ON = dt.date(2026, 4, 30)


def routed(tenant: str, target: TargetSnapshot, *, proposed_form: str | None = None) -> RoutingSlip:
    pack = get_pack(tenant)
    facts = matter_facts("other", False, proposed_form, [target]) | target_facts(target)
    outcome = pack.evaluate("routing", facts, on=ON).outcome
    return RoutingSlip(
        tenant=tenant,
        handler=outcome.get("handler"),
        cc=outcome.get("cc", []),
        outcome=outcome,
        targets=[target.model_dump(mode="json")],
    )


def test_a_consultation_names_its_lead_participants_approvers_and_escalation_levels() -> None:
    cadre = TargetSnapshot(kind="person", cadre_level="city_managed", sector="district_town", unit="巴城镇")
    access = slip_access(routed("kunshan", cadre, proposed_form="form_2"), get_pack("kunshan"))
    assert access.offices >= {
        "party_conduct_office",
        "case_management_office",
        "discipline_supervision_office",
        "commission_leaders",  # approves the routing
        "leader_in_charge",  # the escalation's first level
        "secretary_special_meeting",
    }
    assert "district_town_commission" not in access.offices
    assert (access.levels, access.units, access.submitted_by) == ({"city_managed"}, {"巴城镇"}, None)


def test_the_office_that_coordinates_every_accountability_is_party_to_each_slip() -> None:
    # Hubei names its leading, coordinating and handling bodies on every routing (第五条).
    group = TargetSnapshot(kind="organisation", org_level="committee_level", sector="party_committee")
    access = slip_access(routed("hubei", group), get_pack("hubei"))
    assert access.offices == {
        "higher_party_committee",
        "responsibility_office",
        "discipline_commission",
        "personnel_department",
    }
    assert access.levels == {"committee_level"} and access.units == frozenset()


def test_approvers_named_later_join_and_codes_of_other_vocabularies_do_not() -> None:
    leader = TargetSnapshot(kind="person", cadre_level="section_leader", unit="区教育局")
    slip = routed("jintan", leader)
    assert slip.outcome["joint_review_required"] is True
    access = slip_access(slip, get_pack("jintan"), named=["district_standing_committee", None])
    assert access.offices == {
        "conduct_office",
        "district_commission",
        "organisation_department",
        "leading_group_responsible",
        "leading_group_principal",
        "district_standing_committee",
    }
    # The slip's other outcome values (booleans, a procedure's step names) name no one.
    assert "section_leader" not in access.offices
