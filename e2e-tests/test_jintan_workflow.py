"""Jintan (金坛) conduct accountability (坛作组办〔2019〕2号) across intake, routing and review:
a clerk handled and decided by the unit with the conduct office's approval, a section-level
leader investigated jointly and decided after the district standing committee agrees, and the
simplified procedure of 第十六条."""

from __future__ import annotations

import pytest

from wenze.rules import get_pack

pytestmark = pytest.mark.integration


def person(name: str, cadre_level: str) -> dict:
    return {
        "kind": "person",
        "name": name,
        "post": "科员" if cadre_level == "staff" else "副局长",
        "unit": "区教育局",
        "cadre_level": cadre_level,
        "sector": "administrative_organ",
        "party_member": True,
    }


def recommendation(severity: str, circumstance: str, measures: list[str]) -> dict:
    return {
        "target_index": 0,
        "statement": "作风不实，造成不良影响",
        "legal_basis": "坛作组办〔2019〕2号",
        "severity": severity,
        "circumstances": [circumstance],
        "proposed_measures": measures,
    }


def hearing() -> dict:
    return {
        "target_index": 0,
        "held_on": "2026-11-30",
        "arguments": [{"argument": "工作量大", "accepted": False, "reason": "不构成免责理由"}],
    }


def decision(measures: list[str], *, simplified: bool = False) -> dict:
    # A decision is dated the day it is made, in the tenant's time zone.
    today = get_pack("jintan").today().isoformat()
    return {
        "decided_on": today,
        "announced_on": today,
        "simplified": simplified,
        "facts_clear": True,
        "measures": [{"target_index": 0, "measures": measures}],
    }


def test_clerk_is_decided_by_the_unit_after_the_conduct_office_approves(tenant_for, events) -> None:
    jt = tenant_for("wenze-jintan")
    made = events("review.jintan.decision.made.v1")
    matter = jt.submit_and_accept(
        "jt-conduct-office", "jt-conduct-office", source="public_complaint", targets=[person("王小明", "staff")]
    )
    slip = jt.routed_slip(matter["id"], "jt-conduct-office")
    assert slip["handler"] == "competent_unit" and slip["number"].startswith("JT-FD-")

    case = jt.case(slip["id"], "jt-conduct-office")
    # 第十三条: the start is approved by the leading group's responsible member.
    jt.user("jt-group-deputy").ok("review", f"/v1/cases/{case['id']}/approvals", {"stage": "start"})
    unit = jt.user("jt-unit-education")
    unit.ok(
        "review",
        f"/v1/investigations/{case['investigation']['id']}/findings",
        {"findings": "无正当理由逾期办理群众事项。", "evidence": ["办件记录"]},
    )
    # 第九条: contract dismissal is not among a civil servant's measures.
    refused = unit.post(
        "review",
        f"/v1/cases/{case['id']}/recommendations",
        recommendation("ordinary", "overdue_without_reason", ["admonishment", "contract_dismissal"]),
    )
    assert refused.status_code == 422 and refused.json()["measures"] == ["contract_dismissal"], refused.text
    unit.ok(
        "review",
        f"/v1/cases/{case['id']}/recommendations",
        recommendation("ordinary", "overdue_without_reason", ["admonishment"]),
    )
    unit.ok("review", f"/v1/cases/{case['id']}/hearings", hearing())

    # The unit decides only once the conduct office has approved (第十五条).
    before = unit.post("review", f"/v1/cases/{case['id']}/decision", decision(["admonishment"]))
    assert before.status_code == 409 and before.json()["step"] == "approval", before.text
    assert before.json()["offices"] == ["conduct_office"]
    jt.user("jt-conduct-office").ok("review", f"/v1/cases/{case['id']}/approvals", {"stage": "decision"})
    decided = unit.ok("review", f"/v1/cases/{case['id']}/decision", decision(["admonishment"]))["decision"]
    assert decided["decided_by"] == "competent_unit" and decided["number"].startswith("JT-JD-")
    event, _ = made.next(lambda e: e["matter_id"] == matter["id"])
    assert event["measures"][0]["measures"] == ["admonishment"] and event["simplified_procedure"] is False


def test_section_leader_is_investigated_jointly_and_decided_after_the_standing_committee(tenant_for, events) -> None:
    jt = tenant_for("wenze-jintan")
    made = events("review.jintan.decision.made.v1")
    matter = jt.submit_and_accept(
        "jt-conduct-office",
        "jt-conduct-office",
        source="department_transfer",
        targets=[person("赵立新", "section_leader")],
    )
    slip = jt.routed_slip(matter["id"], "jt-conduct-office")
    assert slip["handler"] == "conduct_office"
    assert set(slip["outcome"]["investigated_with"]) == {"district_commission", "organisation_department"}

    case = jt.case(slip["id"], "jt-conduct-office")
    assert case["investigation"]["joined_by"] == ["district_commission", "organisation_department"]
    for approver in ("jt-group-deputy", "jt-group-head"):
        jt.user(approver).ok("review", f"/v1/cases/{case['id']}/approvals", {"stage": "start"})
    office = jt.user("jt-conduct-office")
    office.ok(
        "review",
        f"/v1/investigations/{case['investigation']['id']}/findings",
        {"findings": "重点工程推进严重滞后。", "evidence": ["督查通报"]},
    )
    office.ok(
        "review",
        f"/v1/cases/{case['id']}/recommendations",
        recommendation("serious", "major_project_delayed", ["circulated_notice", "organisational_measure"]),
    )

    # The joint review: the conduct office, the district commission and the organisation department.
    case = jt.read_case(case["id"], "jt-conduct-office")
    assert case["state"] == "joint_review"
    review_id = case["joint_review_id"]
    for signer in ("jt-conduct-office", "jt-commission", "jt-organisation"):
        jt.user(signer).ok("review", f"/v1/joint-reviews/{review_id}/signatures", {"opinion": "agree"})
    joint = jt.user("jt-conduct-office").get("review", f"/v1/joint-reviews/{review_id}")
    for approver in joint["approved_by"]:
        username = {
            "conduct_office": "jt-conduct-office",
            "leading_group_responsible": "jt-group-deputy",
            "leading_group_principal": "jt-group-head",
        }[approver]
        jt.user(username).ok("review", f"/v1/joint-reviews/{review_id}/approvals", {})
    office.ok("review", f"/v1/cases/{case['id']}/hearings", hearing())

    measures = ["circulated_notice", "organisational_measure"]
    waiting = office.post("review", f"/v1/cases/{case['id']}/decision", decision(measures))
    assert waiting.status_code == 409 and waiting.json()["offices"] == ["district_standing_committee"], waiting.text
    jt.user("jt-standing-committee").ok("review", f"/v1/cases/{case['id']}/approvals", {"stage": "decision"})

    # The unit's office, whose authority is its clerks and contract staff, does not see a section-level
    # leader's case; a user of a deciding office with only that authority may not decide on one.
    unseen = jt.user("jt-unit-education").post("review", f"/v1/cases/{case['id']}/decision", decision(measures))
    assert unseen.status_code == 404, unseen.text
    clerks_only = jt.user_with_claims("jt-commission", {"cadre_authority": ["staff", "contract_staff"]})
    outside = clerks_only.post("review", f"/v1/cases/{case['id']}/decision", decision(measures))
    assert outside.status_code == 403 and outside.json()["type"].endswith("/outside-authority"), outside.text
    assert outside.json()["levels"] == ["section_leader"]
    decided = office.ok("review", f"/v1/cases/{case['id']}/decision", decision(measures))["decision"]
    assert decided["decided_by"] == "conduct_office"
    event, _ = made.next(lambda e: e["matter_id"] == matter["id"])
    assert event["measures"][0]["measures"] == measures


@pytest.mark.parametrize("measures,allowed", [(["admonishment"], True), (["organisational_measure"], False)])
def test_simplified_procedure_only_where_第十六条_allows(tenant_for, measures: list[str], allowed: bool) -> None:
    jt = tenant_for("wenze-jintan")
    matter = jt.submit_and_accept(
        "jt-unit-education", "jt-conduct-office", source="unit_self_found", targets=[person("孙晓", "staff")]
    )
    case = jt.case(jt.routed_slip(matter["id"], "jt-conduct-office")["id"], "jt-conduct-office")
    jt.user("jt-group-deputy").ok("review", f"/v1/cases/{case['id']}/approvals", {"stage": "start"})
    unit = jt.user("jt-unit-education")
    unit.ok(
        "review",
        f"/v1/investigations/{case['investigation']['id']}/findings",
        {"findings": "事实清楚。", "evidence": ["自查报告"]},
    )
    unit.ok(
        "review",
        f"/v1/cases/{case['id']}/recommendations",
        recommendation("ordinary" if allowed else "serious", "overdue_without_reason", measures),
    )
    unit.ok("review", f"/v1/cases/{case['id']}/hearings", hearing())
    if not allowed:
        # An organisational measure needs the conduct office's agreement first, then is still refused
        # the simplified procedure.
        jt.user("jt-conduct-office").ok("review", f"/v1/cases/{case['id']}/approvals", {"stage": "decision"})
    response = unit.post("review", f"/v1/cases/{case['id']}/decision", decision(measures, simplified=True))
    if allowed:
        assert response.status_code == 201, response.text
        assert response.json()["decision"]["simplified"] is True
    else:
        assert response.status_code == 422, response.text
        assert response.json()["errors"][0]["field"] == "body.simplified"
        assert response.json()["citations"]
        assert jt.read_case(case["id"], "jt-conduct-office")["decision"] is None
