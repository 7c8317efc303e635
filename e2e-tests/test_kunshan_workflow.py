"""Kunshan (昆纪办发〔2019〕19号) across intake, routing, review and sanction execution: a
city-managed cadre routed by consultation (with and without a deadlock) and the decision's
execution opened, a third-form case decided with a party disciplinary sanction after approvals
given in the order of 附件6, a town cadre routed straight to the town commission, and a matter
without a known target investigated, classified and routed."""

from __future__ import annotations

import pytest

from wenze.calendar import WorkingCalendar
from wenze.rules import get_pack

from .kunshan import (
    APPROVERS,
    CITY_CADRE,
    PARTICIPANTS,
    TOWN_CADRE,
    agree_consultation,
    approve_all,
    clue_naming_no_one,
    consultation_path,
    hear_town_case,
    person,
    review_to_decision,
    town_decision,
    town_matter,
)

pytestmark = pytest.mark.integration


def test_city_managed_cadre_consultation_to_decision(tenant_for, events) -> None:
    ks = tenant_for("wenze-kunshan")
    made = events("review.kunshan.decision.made.v1")
    matter = ks.submit_and_accept(
        "ks-supervision-1", "ks-intake", source="city_government", targets=[CITY_CADRE], proposed_form="form_2"
    )
    slip = ks.slips(matter["id"], "ks-intake")[0]
    assert slip["state"] == "in_consultation" and slip["number"].startswith("昆纪委问分〔")

    path = consultation_path(ks, matter["id"])
    consultation = ks.user("ks-intake").get("review", path)
    assert set(consultation["participants"]) == set(PARTICIPANTS)
    assert consultation["number"].startswith("昆纪委问商〔")

    # The supervision office's signing task: claimed, then handed on within the office only.
    own = ks.user("ks-supervision-1").task_of_matter("consultation_signature", matter["id"])
    assert ks.user("ks-trial").post("review", f"/v1/tasks/{own['id']}/claim").status_code == 403
    ks.user("ks-supervision-1").ok("review", f"/v1/tasks/{own['id']}/claim")
    # The second supervision office is linked to other towns and departments: it may not take
    # the task for itself, nor would it while the first holds it.
    elsewhere = ks.user("ks-supervision-2").post(
        "review", f"/v1/tasks/{own['id']}/reassign", {"username": "ks-supervision-2"}
    )
    assert elsewhere.status_code == 403, elsewhere.text
    assert elsewhere.json()["type"].endswith("/outside-linked-units")
    held = ks.user_with_claims("ks-supervision-2", {"linked_units": ["市发展和改革委员会"]}).post(
        "review", f"/v1/tasks/{own['id']}/reassign", {"username": "ks-supervision-2"}
    )
    assert held.status_code == 409, held.text
    assert held.json()["assignee"] == "ks-supervision-1"
    # Only to a user of the task's office: the trial office's user (known since its refused claim) is not one.
    trial = ks.user("ks-supervision-1").post("review", f"/v1/tasks/{own['id']}/reassign", {"username": "ks-trial"})
    assert trial.status_code == 422 and trial.json()["errors"][0]["field"] == "body.username", trial.text
    handed = ks.user("ks-supervision-1").ok(
        "review", f"/v1/tasks/{own['id']}/reassign", {"username": "ks-supervision-2"}
    )
    assert handed["assignee"] == "ks-supervision-2"
    assert [h["action"] for h in handed["history"]][-2:] == ["claimed", "reassigned"]

    # Refusals, each leaving the consultation as it was. The town commission is not party to a
    # city-managed cadre's consultation, nor has it authority over the cadre: it does not see it.
    outsider = ks.user_with_roles("ks-town-bacheng", ["matter:read", "consultation:sign"])
    not_participant = outsider.post("review", f"{path}/signatures", {"opinion": "agree"})
    assert not_participant.status_code == 404, not_participant.text
    assert not_participant.json()["type"].endswith("/consultation-not-found")
    ks.user("ks-supervision-1").ok("review", f"{path}/signatures", {"opinion": "agree"})
    again = ks.user("ks-supervision-1").post("review", f"{path}/signatures", {"opinion": "agree"})
    assert again.status_code == 409, again.text
    # The second supervision office, not linked to the cadre's department but handed the task by
    # name, may sign: it finds its office has signed.
    same_office = ks.user("ks-supervision-2").post("review", f"{path}/signatures", {"opinion": "agree"})
    assert same_office.status_code == 409, same_office.text
    assert len(ks.user("ks-intake").get("review", path)["signatures"]) == 1

    for office, username in PARTICIPANTS.items():
        if office != "discipline_supervision_office":
            ks.user(username).ok("review", f"{path}/signatures", {"opinion": "agree"})
    approve_all(ks, f"{path}/approvals", ks.user("ks-intake").get("review", path)["approved_by"])

    slip = ks.wait_routed(slip["id"], "ks-intake")
    assert slip["handler"] == "discipline_supervision_office" and slip["fixed_by"] == "consultation"
    decision = review_to_decision(ks, made, matter["id"], slip)

    # Sanction execution takes the decision up: the reassignment's execution with 附件6's steps
    # and the three-working-day copy deadline, on the deciding office's list.
    handler = ks.user("ks-supervision-1")
    (execution,) = ks.executions(decision["id"], "ks-supervision-1")
    assert execution["measure"] == "reassignment" and execution["office"] == "discipline_supervision_office"
    assert "consult_organisation_department" in [s["code"] for s in execution["steps"]]
    (deadline,) = execution["deadlines"]
    assert deadline["duty"] == "copy_decision" and deadline["citations"] == ["昆纪办发〔2019〕19号 二.3"]
    listed = handler.get("sanction-execution", "/v1/offices/discipline_supervision_office/deadlines")
    assert deadline["id"] in [d["id"] for d in listed]


def test_consultation_deadlock_escalated_twice(tenant_for, events) -> None:
    ks = tenant_for("wenze-kunshan")
    made = events("review.kunshan.decision.made.v1")
    matter = ks.submit_and_accept(
        "ks-supervision-1", "ks-intake", source="city_government", targets=[CITY_CADRE], proposed_form="form_2"
    )
    slip = ks.slips(matter["id"], "ks-intake")[0]
    path = consultation_path(ks, matter["id"])
    for office, username in PARTICIPANTS.items():
        opinion = (
            {"opinion": "other", "handler": "review_investigation_office", "text": "涉嫌职务违法，宜由审查调查室承办"}
            if office == "review_investigation_office"
            else {"opinion": "agree"}
        )
        ks.user(username).ok("review", f"{path}/signatures", opinion)
    consultation = ks.user("ks-intake").get("review", path)
    assert consultation["state"] == "escalated"
    # 附件2 第七条: the leaders in charge first; divided still, the secretary's special meeting.
    assert consultation["current_level"]["step"] == "leaders_in_charge"
    ks.user("ks-leader-in-charge").ok(
        "review", f"{path}/escalations", {"outcome": "no_agreement", "text": "意见仍不一致"}
    )
    ks.user("ks-secretary-meeting").ok(
        "review",
        f"{path}/escalations",
        {
            "outcome": "decided",
            "handler": "discipline_supervision_office",
            "text": "书记专题会研究决定由执纪监督室承办",
        },
    )
    levels = ks.user("ks-intake").get("review", path)["levels"]
    assert [(level["step"], level["outcome"]) for level in levels] == [
        ("leaders_in_charge", "no_agreement"),
        ("secretary_special_meeting", "decided"),
    ]

    slip = ks.wait_routed(slip["id"], "ks-intake")
    assert slip["handler"] == "discipline_supervision_office"
    timeline = ks.user("ks-intake").get("routing", f"/v1/slips/{slip['id']}/timeline")
    assert timeline[-1]["detail"]["decided_at_level"] == "secretary_special_meeting"
    review_to_decision(ks, made, matter["id"], slip)


def test_third_form_case_decided_with_a_party_sanction_after_ordered_approvals(tenant_for, events) -> None:
    ks = tenant_for("wenze-kunshan")
    made = events("review.kunshan.decision.made.v1")
    matter = ks.submit_and_accept(
        "ks-supervision-1", "ks-intake", source="commission_found", targets=[CITY_CADRE], proposed_form="form_3"
    )
    slip = ks.slips(matter["id"], "ks-intake")[0]
    path = consultation_path(ks, matter["id"])
    agree_consultation(ks, path)
    # 三.1: the third and fourth forms go to the review-and-investigation office.
    slip = ks.wait_routed(slip["id"], "ks-intake")
    assert slip["handler"] == "review_investigation_office"

    case = ks.case(slip["id"], "ks-investigation-1")
    handler = ks.user("ks-investigation-1")
    handler.ok(
        "review",
        f"/v1/investigations/{case['investigation']['id']}/findings",
        {"findings": "对分管领域违规审批问题负有主要领导责任。", "evidence": ["调查报告", "谈话笔录"]},
    )
    recommendation = {
        "target_index": 0,
        "statement": "违规审批，造成严重影响",
        "legal_basis": "昆纪办发〔2019〕19号 四.2",
        "severity": "serious",
        "circumstances": ["dereliction_of_duty"],
    }
    # A light sanction is the second form's, not the third's: refused, naming the measure and the rules.
    light = handler.post(
        "review", f"/v1/cases/{case['id']}/recommendations", {**recommendation, "proposed_measures": ["party_warning"]}
    )
    assert light.status_code == 422, light.text
    assert light.json()["measures"] == ["party_warning"]
    assert {"form_3_party_sanctions", "form_3_government_sanctions"} <= set(light.json()["rules"])
    assert "昆纪办发〔2019〕19号 四.2" in light.json()["citations"]
    unknown = handler.post(
        "review", f"/v1/cases/{case['id']}/recommendations", {**recommendation, "proposed_measures": ["fine"]}
    )
    assert unknown.status_code == 422 and unknown.json()["errors"][0]["field"] == "body.proposed_measures"
    assert "fine" in unknown.json()["errors"][0]["reason"]
    recommended = handler.ok(
        "review",
        f"/v1/cases/{case['id']}/recommendations",
        {**recommendation, "proposed_measures": ["removal_from_party_posts"]},
    )
    assert "removal_from_party_posts" in recommended["recommendations"][0]["outcome"]["permitted_measures"]

    joint = ks.user("ks-intake").get("review", f"/v1/joint-reviews/{recommended['joint_review_id']}")
    for office in joint["participants"]:
        ks.user(PARTICIPANTS[office]).ok("review", f"/v1/joint-reviews/{joint['id']}/signatures", {"opinion": "agree"})
    approve_all(ks, f"/v1/joint-reviews/{joint['id']}/approvals", joint["approved_by"])

    case = ks.read_case(case["id"], "ks-investigation-1")
    requirements = case["requirements"]
    assert requirements["decided_by"] == ["review_investigation_office"]
    assert requirements["approved_by"] == ["principal_leader", "leader_in_charge", "standing_committee_meeting"]
    assert [s["step"] for s in requirements["approval_sequence"]] == [
        "joint_review_approval",
        "standing_committee_review",
    ]
    # Only the leaders' approvals are queued; the standing committee's comes once theirs are in.
    committee = ks.user(APPROVERS["standing_committee_meeting"])
    assert not [t for t in committee.get("review", "/v1/tasks", state="open") if t["case_id"] == case["id"]]

    approvals = f"/v1/cases/{case['id']}/approvals"
    early = committee.post("review", approvals, {"stage": "decision"})
    assert early.status_code == 409, early.text
    assert early.headers["content-type"].startswith("application/problem+json")
    problem = early.json()
    assert problem["type"].endswith("/approval-out-of-order")
    assert problem["step"] == "joint_review_approval"
    assert problem["offices"] == ["principal_leader", "leader_in_charge"]
    assert problem["office_labels"] == ["委主要领导", "分管领导"]
    assert "会审意见报主要领导、分管领导审批同意" in problem["detail"]
    ks.user(APPROVERS["principal_leader"]).ok("review", approvals, {"stage": "decision"})
    still_early = committee.post("review", approvals, {"stage": "decision"})
    assert still_early.status_code == 409 and still_early.json()["offices"] == ["leader_in_charge"], still_early.text
    ks.user(APPROVERS["leader_in_charge"]).ok("review", approvals, {"stage": "decision"})
    (queued,) = [t for t in committee.get("review", "/v1/tasks", state="open") if t["case_id"] == case["id"]]
    assert queued["kind"] == "decision_approval" and queued["office"] == "standing_committee_meeting"
    committee.ok("review", approvals, {"stage": "decision"})

    handler.ok("review", f"/v1/cases/{case['id']}/hearings", {"target_index": 0, "held_on": "2026-12-01"})
    today = get_pack("kunshan").today()
    decision = handler.ok(
        "review",
        f"/v1/cases/{case['id']}/decision",
        {
            "decided_on": today.isoformat(),
            "simplified": False,
            "facts_clear": True,
            "measures": [{"target_index": 0, "measures": ["removal_from_party_posts"]}],
        },
    )["decision"]
    assert decision["decided_by"] == "review_investigation_office"
    assert "昆纪办发〔2019〕19号 四.2" in decision["citations"]
    event, _ = made.next(lambda e: e["matter_id"] == matter["id"])
    assert event["number"] == decision["number"]
    assert event["measures"][0]["measures"] == ["removal_from_party_posts"]
    assert event["measures"][0]["target"]["name"] == CITY_CADRE["name"]
    # 二.3: the decision materials go to the party-conduct office (and, for a city-managed cadre,
    # case management) within three working days, on the official calendar; the task says by when.
    (copy,) = [t for t in handler.get("review", "/v1/tasks", state="open") if t["case_id"] == case["id"]]
    assert copy["kind"] == "decision_copy" and copy["office"] == "review_investigation_office"
    assert copy["due"] == WorkingCalendar().add_working_days(today, 3).isoformat()
    assert "昆纪办发〔2019〕19号 二.3" in copy["citations"]
    decided = handler.ok("review", f"/v1/cases/{case['id']}/decision/copies", {"copied_on": today.isoformat()})
    assert decided["requirements"]["copy_to"] == ["party_conduct_office", "case_management_office"]
    assert decided["requirements"]["copy_due"] == copy["due"]
    timeline = handler.get("review", f"/v1/cases/{case['id']}/timeline")
    approved = [e["office"] for e in timeline if e["action"] == "decision_approved"]
    assert approved == ["principal_leader", "leader_in_charge", "standing_committee_meeting"]
    assert timeline[-1]["action"] == "decision_copied" and timeline[-1]["detail"]["late"] is False


def test_town_cadre_goes_straight_to_the_town_commission(tenant_for, events) -> None:
    ks = tenant_for("wenze-kunshan")
    made = events("review.kunshan.decision.made.v1")
    matter, slip = town_matter(ks, TOWN_CADRE)
    assert slip["handler"] == "district_town_commission" and slip["cc"] == ["discipline_supervision_office"]
    assert any(c.endswith("三.2") for c in slip["citations"])

    case = hear_town_case(ks, slip, "criticism_education")
    town = ks.user("ks-town-bacheng")
    decide = town_decision(get_pack("kunshan").today(), [])
    # A decision holding a known target accountable names its measure.
    empty = town.post("review", f"/v1/cases/{case['id']}/decision", decide)
    assert empty.status_code == 422, empty.text
    assert empty.headers["content-type"].startswith("application/problem+json")
    assert empty.json()["errors"] == [
        {
            "field": "body.measures.0.measures",
            "reason": "at least one measure is required for this target; none was given",
            "code": "measures_required",
        }
    ]
    assert empty.json()["rules"] == ["measures_required_for_known_target"]
    assert "昆纪办发〔2019〕19号 附件4 会审表" in empty.json()["citations"]
    # The second form's sanctions are not the first form's.
    heavier = town.post(
        "review",
        f"/v1/cases/{case['id']}/decision",
        {**decide, "measures": [{"target_index": 0, "measures": ["party_serious_warning"]}]},
    )
    assert heavier.status_code == 422 and heavier.json()["measures"] == ["party_serious_warning"], heavier.text
    assert "form_1_measures" in heavier.json()["rules"]
    assert town.get("review", f"/v1/cases/{case['id']}")["decision"] is None
    decision = town.ok(
        "review",
        f"/v1/cases/{case['id']}/decision",
        {**decide, "measures": [{"target_index": 0, "measures": ["criticism_education"]}]},
    )["decision"]
    assert decision["decided_by"] == "district_town_commission"
    event, _ = made.next(lambda e: e["matter_id"] == matter["id"])
    assert event["measures"][0]["measures"] == ["criticism_education"]


def test_unknown_target_investigated_classified_and_routed(tenant_for) -> None:
    ks = tenant_for("wenze-kunshan")
    matter, slip = clue_naming_no_one(ks)
    assert slip["handler"] is None and slip["outcome"]["investigated_by"] == "discipline_supervision_office"
    assert slip["outcome"]["reclassify_after_investigation"] is True

    case = ks.case(slip["id"], "ks-supervision-1")
    assert case["investigation"]["joined_by"] == ["district_town_commission"]
    findings = f"/v1/investigations/{case['investigation']['id']}/findings"
    nobody = ks.user("ks-supervision-1").post("review", findings, {"findings": "尚未查明", "evidence": []})
    assert nobody.status_code == 422 and nobody.json()["errors"][0]["field"] == "body.identified_targets"
    assert nobody.json()["errors"][0]["code"] == "identified_targets_required"
    ks.user("ks-supervision-1").ok(
        "review",
        findings,
        {
            "findings": "查明相关责任人。",
            "evidence": ["调查报告"],
            "identified_targets": [person("周斌", "city_managed", "district_town", "巴城镇"), TOWN_CADRE],
        },
    )

    # 附件5 第四条: each identified target is classified and routed on its own slip.
    slips = ks.slips(matter["id"], "ks-intake", count=3)
    children = {s["targets"][0]["name"]: s for s in slips if s["parent_slip_id"] == slip["id"]}
    assert set(children) == {"周斌", "沈小林"}
    assert children["周斌"]["state"] == "in_consultation"
    assert children["沈小林"]["state"] == "routed" and children["沈小林"]["handler"] == "district_town_commission"
    parent = ks.user("ks-intake").get("routing", f"/v1/slips/{slip['id']}")
    assert parent["state"] == "reclassified"
    assert ks.read_case(case["id"], "ks-supervision-1")["state"] == "reclassified"
