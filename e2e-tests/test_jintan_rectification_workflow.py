"""Jintan (金坛) inspection-rectification accountability (坛办发〔2023〕29号) across intake, routing
and review, by each discovery route of 第七条（一）–（五）: the matter follows the pack's
rectification workflow (not the conduct one), routing names the starter or the transfer to the
discipline organ, and review drives the investigation, the recommendation with the measures of
第八条, the hearing and the decision by the office that started or received the matter."""

from __future__ import annotations

from typing import Any

import pytest

from wenze.rules import get_pack

from .conftest import wait_for

pytestmark = pytest.mark.integration

PROCEDURE = "inspection_rectification"
DOCUMENT = "坛办发〔2023〕29号"


def leader(name: str, cadre_level: str) -> dict[str, Any]:
    return {
        "kind": "person",
        "name": name,
        "post": "副局长" if cadre_level == "other_leader" else "局长",
        "unit": "区住房和城乡建设局",
        "cadre_level": cadre_level,
        "sector": "administrative_organ",
        "party_member": True,
    }


def organisation(name: str) -> dict[str, Any]:
    return {"kind": "organisation", "name": name, "sector": "administrative_organ"}


def cited(slip: dict[str, Any], article: str) -> bool:
    """The article is cited on the slip and in its explanation (the procedure choice or a fired rule)."""
    text = f"{DOCUMENT} {article}"
    explained = {c["text"] for entry in slip["explanation"] for c in entry["citations"]}
    return text in slip["citations"] and text in explained


def routed_event(watch, slip_id: str) -> dict[str, Any]:
    event, _ = watch.next(lambda e: e["slip_id"] == slip_id)
    return event


def drive_to_decision(
    jt, case: dict[str, Any], office: str, circumstance: str, measures: list[str], refused: list[str] | None = None
) -> dict[str, Any]:
    """Findings, a recommendation on a 第六条 circumstance with 第八条's measures (a proposal
    with measures meant for the other kind of target refused first), the hearing, the decision."""
    user = jt.user(office)
    user.ok(
        "review",
        f"/v1/investigations/{case['investigation']['id']}/findings",
        {"findings": "巡察反馈问题整改不到位，经核查属实。", "evidence": ["整改台账", "督查报告"]},
    )
    body = {
        "target_index": 0,
        "statement": "落实巡察整改责任不到位",
        "legal_basis": DOCUMENT,
        "circumstances": [circumstance],
    }
    if refused:
        proposal = {**body, "proposed_measures": refused}
        response = user.post("review", f"/v1/cases/{case['id']}/recommendations", proposal)
        assert response.status_code == 422, response.text
    user.ok("review", f"/v1/cases/{case['id']}/recommendations", {**body, "proposed_measures": measures})
    # The party rules the measures defer to hear the statement and defence before the decision.
    today = get_pack("jintan").today().isoformat()
    early = user.post(
        "review",
        f"/v1/cases/{case['id']}/decision",
        {
            "decided_on": today,
            "announced_on": today,
            "facts_clear": True,
            "measures": [{"target_index": 0, "measures": measures}],
        },
    )
    assert early.status_code == 409, early.text
    user.ok(
        "review",
        f"/v1/cases/{case['id']}/hearings",
        {
            "target_index": 0,
            "held_on": today,
            "arguments": [{"argument": "整改已在推进", "accepted": False, "reason": "整改未按期完成"}],
        },
    )
    decided = user.ok(
        "review",
        f"/v1/cases/{case['id']}/decision",
        {
            "decided_on": today,
            "announced_on": today,
            "facts_clear": True,
            "measures": [{"target_index": 0, "measures": measures}],
        },
    )
    return decided["decision"]


def test_route_1_the_inspected_organisation_starts_within_its_authority_and_transfers_a_district_managed_leader(
    tenant_for, events
) -> None:
    jt = tenant_for("wenze-jintan")
    routed = events("routing.jintan.slip.routed.v1")
    made = events("review.jintan.decision.made.v1")
    matter = jt.submit_and_accept(
        "jt-inspected-org",
        "jt-discipline-organ",
        source="inspected_organisation",
        targets=[leader("林志强", "other_leader"), leader("郑国平", "district_managed_leader")],
    )
    slips = {s["targets"][0]["name"]: s for s in jt.slips(matter["id"], "jt-discipline-organ", count=2)}
    own, transferred = slips["林志强"], slips["郑国平"]
    for slip in (own, transferred):
        # Not the conduct procedure's routing, which finds no handler for these leaders.
        assert slip["state"] == "routed" and slip["procedure"] == PROCEDURE, slip
        assert cited(slip, "第七条（一）"), slip["citations"]
    assert own["handler"] == "inspected_organisation" and own["outcome"]["action"] == "start_investigation"
    assert transferred["handler"] == "discipline_organ"
    assert transferred["outcome"]["transferred_by"] == "inspected_organisation"
    assert [s["step"] for s in transferred["outcome"]["steps"]] == ["transfer", "start"]
    event = routed_event(routed, transferred["id"])
    assert event["procedure"] == PROCEDURE and f"{DOCUMENT} 第七条（一）" in event["citations"]

    case = jt.case(own["id"], "jt-inspected-org")
    assert case["procedure"] == PROCEDURE and case["state"] == "investigating"
    decision = drive_to_decision(
        jt, case, "jt-inspected-org", "member_passed_on", ["admonishment"], refused=["reorganisation"]
    )
    assert decision["decided_by"] == "inspected_organisation"
    event, _ = made.next(lambda e: e["matter_id"] == matter["id"])
    assert event["measures"][0]["measures"] == ["admonishment"]
    assert f"{DOCUMENT} 第七条（一）" in event["citations"]


def test_route_2_the_discipline_organ_starts_itself_and_decides(tenant_for, events) -> None:
    jt = tenant_for("wenze-jintan")
    routed = events("routing.jintan.slip.routed.v1")
    made = events("review.jintan.decision.made.v1")
    matter = jt.submit_and_accept(
        "jt-discipline-organ",
        "jt-discipline-organ",
        source="discipline_commission",
        targets=[organisation("区住房和城乡建设局党组")],
    )
    slip = jt.routed_slip(matter["id"], "jt-discipline-organ")
    assert slip["procedure"] == PROCEDURE and slip["handler"] == "discipline_organ"
    assert cited(slip, "第七条（二）")
    assert routed_event(routed, slip["id"])["procedure"] == PROCEDURE

    case = jt.case(slip["id"], "jt-discipline-organ")
    decision = drive_to_decision(
        jt, case, "jt-discipline-organ", "org_meetings_missing", ["circulated_notice"], refused=["admonishment"]
    )
    assert decision["decided_by"] == "discipline_organ"
    event, _ = made.next(lambda e: e["matter_id"] == matter["id"])
    assert f"{DOCUMENT} 第七条（二）" in event["citations"] and f"{DOCUMENT} 第八条" in event["citations"]


def test_route_3_the_organisation_department_may_start_itself_or_transfer(tenant_for, events) -> None:
    jt = tenant_for("wenze-jintan")
    made = events("review.jintan.decision.made.v1")
    matter = jt.submit_and_accept(
        "jt-organisation-inspection",
        "jt-discipline-organ",
        source="organisation_department",
        targets=[leader("冯晓东", "district_managed_leader")],
    )
    slip = jt.routed_slip(matter["id"], "jt-organisation-inspection")
    assert slip["procedure"] == PROCEDURE and slip["handler"] == "organisation_department"
    assert slip["outcome"]["options"] == ["start_investigation", "transfer_clue"]
    assert slip["outcome"]["obligatory"] is False and cited(slip, "第七条（三）")

    case = jt.case(slip["id"], "jt-organisation-inspection")
    decision = drive_to_decision(jt, case, "jt-organisation-inspection", "principal_not_leading", ["admonishment"])
    assert decision["decided_by"] == "organisation_department"
    event, _ = made.next(lambda e: e["matter_id"] == matter["id"])
    assert f"{DOCUMENT} 第七条（三）" in event["citations"]


def test_route_3_the_organisation_departments_transfer_moves_the_open_matter_to_the_discipline_organ(
    tenant_for, events
) -> None:
    """第七条（三）: the organisation department holds the matter (its case is open) and chooses
    to transfer the clue; the transfer is an override of the slip, which hands the open case to
    the discipline organ, who investigates and decides on the transfer's article."""
    jt = tenant_for("wenze-jintan")
    routed = events("routing.jintan.slip.routed.v1")
    made = events("review.jintan.decision.made.v1")
    matter = jt.submit_and_accept(
        "jt-organisation-inspection",
        "jt-discipline-organ",
        source="organisation_department",
        targets=[leader("秦海峰", "district_managed_leader")],
    )
    slip = jt.routed_slip(matter["id"], "jt-organisation-inspection")
    assert slip["handler"] == "organisation_department" and "transfer_clue" in slip["outcome"]["options"]
    case = jt.case(slip["id"], "jt-organisation-inspection")
    assert case["handler"] == "organisation_department" and case["state"] == "investigating"
    department = jt.user("jt-organisation-inspection")
    department.task_of_matter("investigation", matter["id"])

    reason = f"依据{DOCUMENT}第七条（三），区委组织部门将问责线索移交区纪委监委"
    transferred = department.ok(
        "routing", f"/v1/slips/{slip['id']}/override", {"handler": "discipline_organ", "reason": reason}
    )
    assert transferred["handler"] == "discipline_organ" and transferred["fixed_by"] == "override"
    event, _ = routed.next(lambda e: e["slip_id"] == slip["id"] and e["fixed_by"] == "override")
    assert event["override"]["previous_handler"] == "organisation_department"

    organ = jt.user("jt-discipline-organ")
    moved = wait_for(
        lambda: (c := jt.read_case(case["id"], "jt-discipline-organ"))["handler"] == "discipline_organ" and c,
        "the open case to be handed to the discipline organ",
    )
    assert moved["id"] == case["id"] and moved["state"] == "investigating"
    assert moved["investigation"]["office"] == "discipline_organ"
    task = organ.task_of_matter("investigation", matter["id"])
    assert task["history"][-1]["action"] == "reassigned_by_override"
    timeline = organ.get("review", f"/v1/cases/{case['id']}/timeline")
    (entry,) = [e for e in timeline if e["action"] == "case_reassigned"]
    assert entry["actor"] == "jt-organisation-inspection" and entry["detail"]["reason"] == reason
    assert f"{DOCUMENT} 第七条（三）" in entry["citations"]
    # The department no longer carries the investigation.
    refused = department.post(
        "review", f"/v1/investigations/{case['investigation']['id']}/findings", {"findings": "x", "evidence": []}
    )
    assert refused.status_code == 403, refused.text

    decision = drive_to_decision(jt, moved, "jt-discipline-organ", "principal_not_leading", ["admonishment"])
    assert decision["decided_by"] == "discipline_organ"
    event, _ = made.next(lambda e: e["matter_id"] == matter["id"])
    assert f"{DOCUMENT} 第七条（三）" in event["citations"]


def test_route_4_a_functional_department_starts_within_its_authority(tenant_for, events) -> None:
    jt = tenant_for("wenze-jintan")
    made = events("review.jintan.decision.made.v1")
    matter = jt.submit_and_accept(
        "jt-functional",
        "jt-discipline-organ",
        source="functional_department",
        targets=[organisation("区审计局机关党支部")],
    )
    slip = jt.routed_slip(matter["id"], "jt-functional")
    assert slip["procedure"] == PROCEDURE and slip["handler"] == "functional_department"
    assert cited(slip, "第七条（四）")

    case = jt.case(slip["id"], "jt-functional")
    decision = drive_to_decision(jt, case, "jt-functional", "org_deadline_missed", ["self_examination"])
    assert decision["decided_by"] == "functional_department"
    event, _ = made.next(lambda e: e["matter_id"] == matter["id"])
    assert f"{DOCUMENT} 第七条（四）" in event["citations"]


def test_route_5_an_inspection_groups_clue_is_checked_by_the_inspection_office_before_the_discipline_organ_starts(
    tenant_for, events
) -> None:
    jt = tenant_for("wenze-jintan")
    routed = events("routing.jintan.slip.routed.v1")
    made = events("review.jintan.decision.made.v1")
    matter = jt.submit_and_accept(
        "jt-inspection-group",
        "jt-discipline-organ",
        source="inspection_group_clue",
        targets=[organisation("区住房和城乡建设局党组")],
    )
    slip = jt.routed_slip(matter["id"], "jt-discipline-organ")
    assert slip["procedure"] == PROCEDURE and slip["handler"] == "discipline_organ"
    assert slip["outcome"]["reviewed_by"] == "inspection_office"
    assert [s["step"] for s in slip["outcome"]["steps"]] == ["clue", "review", "transfer", "start"]
    assert cited(slip, "第七条（五）")
    event = routed_event(routed, slip["id"])
    assert event["procedure"] == PROCEDURE and event["start_approved_by"] == ["inspection_office"]

    case = jt.case(slip["id"], "jt-discipline-organ")
    assert case["state"] == "awaiting_start_approval" and case["start_approved_by"] == ["inspection_office"]
    # Nobody but the inspection office checks the clue.
    refused = jt.user("jt-discipline-organ").post("review", f"/v1/cases/{case['id']}/approvals", {"stage": "start"})
    assert refused.status_code == 403, refused.text
    jt.user("jt-inspection-office").ok("review", f"/v1/cases/{case['id']}/approvals", {"stage": "start"})
    assert jt.read_case(case["id"], "jt-discipline-organ")["state"] == "investigating"

    decision = drive_to_decision(jt, case, "jt-discipline-organ", "org_false_rectification", ["circulated_notice"])
    assert decision["decided_by"] == "discipline_organ"
    event, _ = made.next(lambda e: e["matter_id"] == matter["id"])
    assert f"{DOCUMENT} 第七条（五）" in event["citations"]


def test_route_5_the_inspection_offices_own_finding_goes_straight_to_the_discipline_organ(tenant_for) -> None:
    jt = tenant_for("wenze-jintan")
    matter = jt.submit_and_accept(
        "jt-inspection-office",
        "jt-discipline-organ",
        source="inspection_office_transfer",
        targets=[organisation("区审计局机关党支部")],
    )
    slip = jt.routed_slip(matter["id"], "jt-discipline-organ")
    assert slip["procedure"] == PROCEDURE and slip["handler"] == "discipline_organ"
    assert "reviewed_by" not in slip["outcome"] and cited(slip, "第七条（五）")
    case = jt.case(slip["id"], "jt-discipline-organ")
    assert case["state"] == "investigating" and case["start_approved_by"] == []
