from __future__ import annotations

from wenze.events import TargetSnapshot
from wenze.rules.facts import matter_facts, target_facts


def test_target_facts_leave_out_what_is_unknown() -> None:
    target = {"kind": "person", "cadre_level": "city_managed", "unit": "甲局", "party_member": False, "org_level": None}
    assert target_facts(target) == {"target_kind": "person", "cadre_level": "city_managed", "party_member": False}


def test_target_facts_read_snapshots_and_their_json_alike() -> None:
    snapshot = TargetSnapshot(kind="organisation", org_level="township_section", sector="district_town")
    assert (
        target_facts(snapshot)
        == target_facts(snapshot.model_dump(mode="json"))
        == {"target_kind": "organisation", "organisation_level": "township_section", "sector": "district_town"}
    )


def test_several_units_or_sectors_make_multiple_parties() -> None:
    a = {"kind": "person", "unit": "甲局"}
    b = {"kind": "person", "unit": "乙局"}
    c = {"kind": "person", "sector": "district_town"}
    assert matter_facts("other", False, None, [a, b])["multiple_parties"] is True
    assert matter_facts("other", False, None, [a, dict(a)])["multiple_parties"] is False
    assert matter_facts("other", False, None, [a, c])["multiple_parties"] is True


def test_matter_facts_carry_the_proposed_form_as_a_list() -> None:
    facts = matter_facts("inspection", True, "form_2", [{"kind": "unknown"}])
    assert facts == {
        "source": "inspection",
        "key_supervised": True,
        "proposed_forms": ["form_2"],
        "multiple_parties": False,
        "target_count": 1,
    }
    assert matter_facts("inspection", False, None, [])["proposed_forms"] == []
