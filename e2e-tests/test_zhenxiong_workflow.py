"""Zhenxiong (镇雄): the four steps of 十三 up to a decision of the county commission's standing
committee, across intake, routing and review."""

from __future__ import annotations

import datetime as dt

import pytest

from wenze.rules import get_pack

pytestmark = pytest.mark.integration

LEADER = {
    "kind": "person",
    "name": "陈卫东",
    "post": "派驻纪检监察组副组长",
    "unit": "县纪委监委第三派驻组",
    "cadre_level": "leader",
    "sector": "dispatched_body",
    "party_member": True,
}


def test_four_steps_to_a_standing_committee_decision(tenant_for, events) -> None:
    zx = tenant_for("wenze-zhenxiong")
    decisions = events("review.zhenxiong.decision.made.v1")
    matter = zx.submit_and_accept("zx-intake", "zx-intake", source="petition_report", targets=[LEADER])

    # 十一: handled by the cadre-supervision office under its management authority.
    slip = zx.routed_slip(matter["id"], "zx-intake")
    assert slip["handler"] == "cadre_supervision_office" and slip["fixed_by"] == "rules"
    assert slip["number"].startswith("ZX-FD-")
    assert any("十一" in c for c in slip["citations"])

    # Step one (十三（一）): the leader in charge approves before anything is investigated.
    case = zx.case(slip["id"], "zx-intake")
    assert case["state"] == "awaiting_start_approval"
    early = zx.user("zx-intake").post(
        "review",
        f"/v1/investigations/{case['investigation']['id']}/findings",
        {"findings": "已查明", "evidence": ["谈话笔录"]},
    )
    assert early.status_code == 409, early.text
    zx.user("zx-approving-leader").ok("review", f"/v1/cases/{case['id']}/approvals", {"stage": "start"})

    # Step two: the investigation group's findings.
    zx.user("zx-intake").ok(
        "review",
        f"/v1/investigations/{case['investigation']['id']}/findings",
        {"findings": "未按规定落实执纪审查工作规则，造成不良影响。", "evidence": ["谈话笔录", "会议记录"]},
    )

    # 十: a party sanction is outside what a 'heavier' case permits; refused, nothing stored.
    recommend = {
        "target_index": 0,
        "statement": "违反执纪审查工作规则",
        "legal_basis": "镇雄县问责办法 八、十",
        "severity": "heavier",
        "circumstances": ["enforcement_rules"],
    }
    refused = zx.user("zx-intake").post(
        "review",
        f"/v1/cases/{case['id']}/recommendations",
        {**recommend, "proposed_measures": ["party_serious_warning"]},
    )
    assert refused.status_code == 422, refused.text
    assert refused.json()["errors"][0]["field"] == "body.proposed_measures"
    assert refused.json()["measures"] == ["party_serious_warning"] and "permitted_heavier" in refused.json()["rules"]
    assert zx.read_case(case["id"], "zx-intake")["recommendations"] == []
    zx.user("zx-intake").ok(
        "review",
        f"/v1/cases/{case['id']}/recommendations",
        {**recommend, "proposed_measures": ["circulated_notice", "post_adjustment"]},
    )

    # Step three (陈述、申辩) comes before any decision: a decision without it is refused.
    # A decision is dated the day it is made, in the tenant's time zone.
    today = get_pack("zhenxiong").today()
    decide = {
        "decided_on": today.isoformat(),
        "announced_on": (today + dt.timedelta(days=1)).isoformat(),
        "simplified": False,
        "facts_clear": True,
        "measures": [{"target_index": 0, "measures": ["circulated_notice", "post_adjustment"]}],
    }
    committee = zx.user("zx-standing-committee")
    without_hearing = committee.post("review", f"/v1/cases/{case['id']}/decision", decide)
    assert without_hearing.status_code == 409, without_hearing.text
    assert without_hearing.json()["step"] == "hearing"
    zx.user("zx-intake").ok(
        "review",
        f"/v1/cases/{case['id']}/hearings",
        {
            "target_index": 0,
            "held_on": "2026-11-30",
            "arguments": [
                {"argument": "当时人手不足", "accepted": False, "reason": "不影响责任认定"},
                {"argument": "事后主动整改", "accepted": True, "reason": "已整改到位，量处时考虑"},
            ],
        },
    )

    # Step four: only the standing committee decides; the handling office cannot.
    assert zx.user("zx-intake").post("review", f"/v1/cases/{case['id']}/decision", decide).status_code == 403
    decision = committee.ok("review", f"/v1/cases/{case['id']}/decision", decide)["decision"]
    assert decision["number"].startswith("ZX-JD-") and decision["decided_by"] == "county_standing_committee"
    made, _ = decisions.next(lambda e: e["matter_id"] == matter["id"])
    assert made["decided_by"] == "county_standing_committee"
    assert made["measures"][0]["measures"] == ["circulated_notice", "post_adjustment"]
    assert zx.read_case(case["id"], "zx-intake")["state"] == "decided"

    timeline = zx.user("zx-intake").get("review", f"/v1/matters/{matter['id']}/timeline")
    actors = {(e["action"], e["actor"]) for e in timeline}
    assert any(actor == "zx-standing-committee" for _, actor in actors)
    assert all(e["citations"] for e in timeline if e["actor"] != "system")
