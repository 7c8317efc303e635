"""Hubei (湖北): collective responsibility of a leading group, and individual responsibility in
a collective decision where a member's recorded dissent removes his leadership responsibility
(第十一条–第十三条), across intake, routing and review."""

from __future__ import annotations

import datetime as dt

import pytest

from wenze.rules import get_pack

pytestmark = pytest.mark.integration


def hearing(index: int = 0) -> dict:
    return {
        "target_index": index,
        "held_on": "2026-11-28",
        "arguments": [{"argument": "已开展专项整改", "accepted": True, "reason": "整改属实，量处时考虑"}],
    }


def decision(measures: list[str]) -> dict:
    # A decision is dated the day it is made, in the tenant's time zone.
    today = get_pack("hubei").today()
    return {
        "decided_on": today.isoformat(),
        "announced_on": (today + dt.timedelta(days=2)).isoformat(),
        "simplified": False,
        "facts_clear": True,
        "measures": [{"target_index": 0, "measures": measures}],
    }


def test_collective_responsibility_of_a_leading_group(tenant_for, events) -> None:
    hb = tenant_for("wenze-hubei")
    made = events("review.hubei.decision.made.v1")
    group = {
        "kind": "organisation",
        "name": "某县交通运输局党组",
        "org_level": "committee_level",
        "sector": "party_committee",
    }
    matter = hb.submit_and_accept(
        "hb-responsibility-office", "hb-responsibility-office", source="inspection_transfer", targets=[group]
    )
    slip = hb.routed_slip(matter["id"], "hb-responsibility-office")
    assert slip["handler"] == "discipline_commission" and slip["number"].startswith("HB-FD-")

    case = hb.case(slip["id"], "hb-responsibility-office")
    commission = hb.user("hb-commission")
    commission.ok(
        "review",
        f"/v1/investigations/{case['investigation']['id']}/findings",
        {"findings": "巡视整改长期不到位。", "evidence": ["巡视反馈意见", "整改台账"]},
    )
    collective = {
        "target_index": 0,
        "statement": "党组对巡视整改不力负有全面领导责任",
        "legal_basis": "第六条、第十二条",
        "severity": "serious",
        "circumstances": ["collective_inspection_tour"],
        "duty_holder": "party_leading_group",
    }
    # Removing from post is an individual measure, not one for a leading group (第十二条).
    refused = commission.post(
        "review", f"/v1/cases/{case['id']}/recommendations", {**collective, "proposed_measures": ["removal_from_post"]}
    )
    assert refused.status_code == 422 and refused.json()["measures"] == ["removal_from_post"], refused.text
    accepted = commission.ok(
        "review", f"/v1/cases/{case['id']}/recommendations", {**collective, "proposed_measures": ["reorganisation"]}
    )
    recommendation = accepted["recommendations"][0]
    assert recommendation["outcome"]["accountability_mode"]
    assert recommendation["citations"]

    commission.ok("review", f"/v1/cases/{case['id']}/hearings", hearing())
    decided = hb.user("hb-committee").ok("review", f"/v1/cases/{case['id']}/decision", decision(["reorganisation"]))[
        "decision"
    ]
    assert decided["decided_by"] == "same_level_party_committee" and decided["number"].startswith("HB-JD-")
    event, _ = made.next(lambda e: e["matter_id"] == matter["id"])
    assert event["measures"][0]["target"]["kind"] == "organisation"


def test_recorded_dissent_removes_leadership_responsibility(tenant_for, events) -> None:
    hb = tenant_for("wenze-hubei")
    made = events("review.hubei.decision.made.v1")

    def member(name: str, post: str) -> dict:
        return {
            "kind": "person",
            "name": name,
            "post": post,
            "unit": "某县住房和城乡建设局",
            "cadre_level": "section_level",
            "sector": "party_committee",
            "party_member": True,
        }

    members = [member("周建国", "党组书记"), member("吴敏", "党组成员"), member("郑涛", "党组成员")]
    matter = hb.submit_and_accept(
        "hb-responsibility-office", "hb-responsibility-office", source="supervision_inspection", targets=members
    )
    # 第十一条: group and individual responsibility are pursued person by person.
    slips = {s["targets"][0]["name"]: s for s in hb.slips(matter["id"], "hb-responsibility-office", count=3)}
    assert set(slips) == {"周建国", "吴敏", "郑涛"}
    commission = hb.user("hb-commission")
    common = {
        "target_index": 0,
        "statement": "党组集体决定违规发放津贴",
        "legal_basis": "第十一条",
        "collective_decision": True,
        "circumstances": ["principal_example", "discipline_liability"],
    }

    def open_case(name: str) -> dict:
        case = hb.case(slips[name]["id"], "hb-responsibility-office")
        commission.ok(
            "review",
            f"/v1/investigations/{case['investigation']['id']}/findings",
            {"findings": "党组会议纪要载明表决情况。", "evidence": ["党组会议纪要"]},
        )
        return case

    principal = open_case("周建国")
    commission.ok(
        "review",
        f"/v1/cases/{principal['id']}/recommendations",
        {
            **common,
            "severity": "serious",
            "duty_holder": "party_principal",
            "role": "principal",
            "proposed_measures": ["removal_from_post", "removal_from_party_posts"],
        },
    )

    # 吴敏 objected and the minutes record it: no leadership responsibility, so no measure stands.
    dissenter = open_case("吴敏")
    dissent = {
        **common,
        "severity": "heavier",
        "duty_holder": "party_member",
        "role": "participating_member",
        "circumstances": ["member_self_discipline"],
        "recorded_dissent": True,
        "dissent": "会上明确表示反对并记录在案",
    }
    refused = commission.post(
        "review",
        f"/v1/cases/{dissenter['id']}/recommendations",
        {**dissent, "proposed_measures": ["circulated_criticism"]},
    )
    assert refused.status_code == 422, refused.text
    assert refused.json()["measures"] == ["circulated_criticism"]
    cleared = commission.ok(
        "review", f"/v1/cases/{dissenter['id']}/recommendations", {**dissent, "proposed_measures": []}
    )["recommendations"][0]
    assert cleared["outcome"]["leadership_responsibility"] == "none"
    assert cleared["outcome"]["permitted_measures"] == []

    # 郑涛 took part without objecting: important leadership responsibility.
    other = open_case("郑涛")
    joined = commission.ok(
        "review",
        f"/v1/cases/{other['id']}/recommendations",
        {
            **dissent,
            "recorded_dissent": False,
            "dissent": None,
            "proposed_measures": ["circulated_criticism", "admonishment_talk"],
        },
    )["recommendations"][0]
    assert joined["outcome"]["leadership_responsibility"] != "none"

    committee = hb.user("hb-committee")
    for case, measures in ((principal, ["removal_from_post", "removal_from_party_posts"]), (dissenter, [])):
        commission.ok("review", f"/v1/cases/{case['id']}/hearings", hearing())
        committee.ok("review", f"/v1/cases/{case['id']}/decision", decision(measures))
    for name, measures in (("周建国", ["removal_from_post", "removal_from_party_posts"]), ("吴敏", [])):
        event, _ = made.next(
            lambda e, n=name: e["matter_id"] == matter["id"] and e["measures"][0]["target"]["name"] == n
        )
        assert event["measures"][0]["measures"] == measures
    timeline = commission.get("review", f"/v1/matters/{matter['id']}/timeline")
    assert sum(1 for e in timeline if e["action"] == "decision_made") == 2
