"""A person known by their identity number across units (ADR 0044), through the real services:
intake takes the number and keeps only the reference, routing and review carry it to
``decision.made``, and sanction-execution answers "may this person be appointed" when asked by
the number, for a Hubei cadre decided twice under two units."""

from __future__ import annotations

import json

import pytest

from wenze.calendar import DeadlineSpec
from wenze.rules import get_pack
from wenze.rules.deadlines import default_calendar

pytestmark = [pytest.mark.integration, pytest.mark.timeout(900)]

# Valid under GB 11643 (check character 5); the cadre's, wherever they serve.
NUMBER = "420106197903030045"
ARTICLE = "湖北省党风廉政建设主体责任和监督责任追究暂行办法 第十九条"
COMMON = {
    "target_index": 0,
    "statement": "党组集体决定违规发放津贴",
    "legal_basis": "第十一条",
    "collective_decision": True,
    "circumstances": ["principal_example", "discipline_liability"],
}


def cadre(unit: str, post: str) -> dict:
    return {
        "kind": "person",
        "name": "高志强",
        "post": post,
        "unit": unit,
        "cadre_level": "section_level",
        "sector": "party_committee",
        "party_member": True,
        "identity_number": NUMBER,
    }


def decide(hb, made, target: dict, recommendation: dict, measures: list[str]) -> tuple[dict, dict]:
    """Submitted, accepted, routed, investigated, recommended, heard and decided by the real
    services: the decision, and its ``decision.made`` event."""
    matter = hb.submit_and_accept(
        "hb-responsibility-office", "hb-responsibility-office", source="supervision_inspection", targets=[target]
    )
    assert NUMBER not in json.dumps(matter)
    case = hb.case(hb.routed_slip(matter["id"], "hb-responsibility-office")["id"], "hb-responsibility-office")
    commission = hb.user("hb-commission")
    commission.ok(
        "review",
        f"/v1/investigations/{case['investigation']['id']}/findings",
        {"findings": "党组会议纪要载明表决情况。", "evidence": ["党组会议纪要"]},
    )
    commission.ok("review", f"/v1/cases/{case['id']}/recommendations", {**COMMON, **recommendation})
    commission.ok(
        "review", f"/v1/cases/{case['id']}/hearings", {"target_index": 0, "held_on": "2026-11-28", "arguments": []}
    )
    today = get_pack("hubei").today().isoformat()
    decided = hb.user("hb-committee").ok(
        "review",
        f"/v1/cases/{case['id']}/decision",
        {
            "decided_on": today,
            "simplified": False,
            "facts_clear": True,
            "measures": [{"target_index": 0, "measures": measures}],
        },
    )["decision"]
    event, _ = made.next(lambda e: e["matter_id"] == matter["id"])
    return decided, event


def test_a_hubei_cadre_decided_under_two_units_is_barred_when_asked_by_identity_number(tenant_for, events) -> None:
    hb = tenant_for("wenze-hubei")
    made = events("review.hubei.decision.made.v1")
    removal, removal_event = decide(
        hb,
        made,
        cadre("某县住房和城乡建设局", "党组书记"),
        {"severity": "serious", "duty_holder": "party_principal", "role": "principal"}
        | {"proposed_measures": ["removal_from_post", "removal_from_party_posts"]},
        ["removal_from_post", "removal_from_party_posts"],
    )
    # Moved to another unit, held accountable again there.
    criticism, criticism_event = decide(
        hb,
        made,
        cadre("某县交通运输局", "副局长"),
        {
            "severity": "heavier",
            "duty_holder": "party_member",
            "role": "participating_member",
            "circumstances": ["member_self_discipline"],
            "recorded_dissent": False,
            "proposed_measures": ["circulated_criticism", "admonishment_talk"],
        },
        ["circulated_criticism", "admonishment_talk"],
    )
    # decision.made carries one reference for both, and never the number.
    removal_target = removal_event["measures"][0]["target"]
    criticism_target = criticism_event["measures"][0]["target"]
    assert removal_target["person_ref"] and removal_target["person_ref"] == criticism_target["person_ref"]
    assert (removal_target["unit"], criticism_target["unit"]) == ("某县住房和城乡建设局", "某县交通运输局")
    for event in (removal_event, criticism_event):
        assert NUMBER not in json.dumps(event) and "identity_number" not in json.dumps(event)

    committee = hb.user("hb-committee")
    for decision in (removal, criticism):
        hb.executions(decision["id"], "hb-committee")
    found = committee.post("sanction-execution", "/v1/persons/search", {"identity_number": NUMBER})
    assert found.status_code == 200, found.text
    (person,) = found.json()
    assert (person["unit"], person["post"], person["identified_by"]) == ("某县交通运输局", "副局长", "person_ref")
    history = committee.get("sanction-execution", f"/v1/persons/{person['id']}/history")
    assert {e["decision_number"] for e in history["entries"]} == {removal["number"], criticism["number"]}

    # 第十九条: one year without an equivalent post after removal, counted from the decision
    # taken under the first unit.
    decided_on = get_pack("hubei").today()
    one_year = DeadlineSpec(kind="years", amount=1).compute(decided_on, default_calendar())
    asked = committee.post(
        "sanction-execution",
        "/v1/persons/eligibility",
        {"identity_number": NUMBER, "date": decided_on.isoformat(), "for": "appointment"},
    )
    assert asked.status_code == 200, asked.text
    assert NUMBER not in asked.text
    answer = asked.json()
    assert (answer["person_id"], answer["eligible"], answer["until"]) == (person["id"], False, one_year.isoformat())
    assert answer["citations"] == [ARTICLE]
    assert removal["number"] in answer["reason"]
    assert [b["decision_number"] for b in answer["bars"]] == [removal["number"]]
    # Both decisions bar this year's honours; a year on, the appointment is open again.
    honours = committee.post(
        "sanction-execution",
        "/v1/persons/eligibility",
        {"identity_number": NUMBER, "date": decided_on.isoformat(), "for": "honours"},
    ).json()
    assert honours["eligible"] is False
    assert {b["decision_number"] for b in honours["bars"]} == {removal["number"], criticism["number"]}
    later = committee.post(
        "sanction-execution",
        "/v1/persons/eligibility",
        {"identity_number": NUMBER, "date": one_year.isoformat(), "for": "appointment"},
    ).json()
    assert later["eligible"] is True
