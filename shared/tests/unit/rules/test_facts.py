from __future__ import annotations

from wenze.events import TargetSnapshot
from wenze.rules.facts import matter_facts, target_facts, whole_matter_facts


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


def test_a_targets_own_form_is_its_proposed_forms() -> None:
    assert target_facts({"kind": "person", "proposed_form": "form_3"})["proposed_forms"] == ["form_3"]
    assert "proposed_forms" not in target_facts({"kind": "person", "proposed_form": None})


def test_whole_matter_facts_join_the_targets() -> None:
    first = {"kind": "person", "cadre_level": "city_managed", "unit": "甲局", "proposed_form": "form_1"}
    third = {"kind": "person", "cadre_level": "city_managed", "unit": "甲局", "proposed_form": "form_3"}
    organisation = {"kind": "organisation", "org_level": "township_section", "sector": "district_town"}
    facts = whole_matter_facts("form_2", [first, third, organisation])
    assert facts == {
        "target_count": 3,
        # The organisation has no form of its own: the matter's applies to it.
        "matter_forms": ["form_1", "form_3", "form_2"],
        "target_kinds": ["person", "organisation"],
        "cadre_levels": ["city_managed"],
        "organisation_levels": ["township_section"],
        "place_count": 2,
        "level_count": 2,
    }
    assert whole_matter_facts(None, [first, dict(first)])["place_count"] == 1
    assert whole_matter_facts(None, [{"kind": "unknown"}])["matter_forms"] == []
