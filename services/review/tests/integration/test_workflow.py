"""The review workflow driven as in production: routing events on NATS, then the HTTP API."""

from __future__ import annotations

import pytest

from .support import (
    CITATION,
    TENANT,
    Subscription,
    case_of,
    consultation_event,
    find_task,
    publish,
    recommendation,
    routed_event,
    tenant_today,
)

pytestmark = pytest.mark.integration


async def test_consensus_then_approval_concludes_and_announces(as_office, review_nats) -> None:
    event = consultation_event()
    concluded = Subscription(review_nats.url, f"review.{TENANT}.consultation.concluded.v1")
    await publish(review_nats.url, event)
    conduct = as_office("party_conduct_office", ["consultation:sign"], username="conduct-1")
    task = find_task(conduct, event.matter_id, "consultation_signature")
    assert task["citations"] == [CITATION] and task["office"] == "party_conduct_office"
    consultation_id = task["subject_id"]
    read = conduct.get(f"/v1/consultations/{consultation_id}").json()
    assert read["number"].startswith(f"审测问商〔{tenant_today().year}〕") and read["number"].endswith("号")
    assert read["state"] == "signing" and read["awaiting_signatures"] == ["party_conduct_office", "case_trial_office"]

    signed = conduct.post(f"/v1/consultations/{consultation_id}/signatures", json={"opinion": "agree", "text": "同意"})
    assert signed.status_code == 200, signed.text
    assert signed.json()["awaiting_signatures"] == ["case_trial_office"]

    trial = as_office("case_trial_office", ["consultation:sign"], username="trial-1")
    done = trial.post(f"/v1/consultations/{consultation_id}/signatures", json={"opinion": "agree"})
    assert done.status_code == 200, done.text
    assert done.json()["state"] == "approving" and done.json()["awaiting_approvals"] == ["commission_leaders"]

    # Approving needs approval:sign; the same office without it is refused.
    unapproved = as_office("commission_leaders", ["consultation:sign"], username="leader-without-role")
    refused = unapproved.post(f"/v1/consultations/{consultation_id}/approvals", json={})
    assert refused.status_code == 403 and refused.json()["capability"] == "approval:sign"

    leader = as_office("commission_leaders", ["approval:sign"], username="leader-1")
    approved = leader.post(
        f"/v1/consultations/{consultation_id}/approvals",
        json={"comment": "同意"},
        headers={"Idempotency-Key": f"approve-{consultation_id}"},
    )
    assert approved.status_code == 200, approved.text
    assert approved.json()["state"] == "concluded"
    assert approved.json()["handler"] == "discipline_supervision_office"
    replay = leader.post(
        f"/v1/consultations/{consultation_id}/approvals",
        json={"comment": "同意"},
        headers={"Idempotency-Key": f"approve-{consultation_id}"},
    )
    assert replay.status_code == 200 and replay.headers["Idempotency-Replayed"] == "true"

    message = await concluded.next_matching(lambda b: b["consultation_id"] == consultation_id)
    assert message["handler"] == "discipline_supervision_office"
    assert message["decided_at_level"] == "consensus"
    assert message["approved_by"] == ["commission_leaders"]
    assert message["slip_id"] == str(event.slip_id)
    # The 会商表's number travels with the event: notification shows it rather than numbering again.
    assert message["number"] == read["number"]

    timeline = conduct.get(f"/v1/matters/{event.matter_id}/timeline").json()
    actions = [(e["action"], e["actor"], e["office"]) for e in timeline]
    assert ("consultation_signed", "conduct-1", "party_conduct_office") in actions
    assert ("consultation_approved", "leader-1", "commission_leaders") in actions
    assert all(e["citations"] == [CITATION] for e in timeline)
    leader_tasks = leader.get("/v1/tasks", params={"state": "done"}).json()
    assert any(t["subject_id"] == consultation_id and t["kind"] == "consultation_approval" for t in leader_tasks)
    assert not [
        t for t in leader.get("/v1/tasks", params={"state": "open"}).json() if t["subject_id"] == consultation_id
    ]


async def test_outsider_and_second_signature_are_refused_and_change_nothing(as_office, review_nats) -> None:
    event = consultation_event()
    await publish(review_nats.url, event)
    conduct = as_office("party_conduct_office", ["consultation:sign"], username="conduct-2")
    consultation_id = find_task(conduct, event.matter_id, "consultation_signature")["subject_id"]

    # An office the consultation does not name, and that does not oversee, does not see it at all.
    outsider = as_office("review_investigation_office", ["consultation:sign"], username="investigator-1")
    unseen = outsider.post(f"/v1/consultations/{consultation_id}/signatures", json={"opinion": "agree"})
    assert unseen.status_code == 404, unseen.text
    assert unseen.json()["type"].endswith("/consultation-not-found")
    assert outsider.get(f"/v1/consultations/{consultation_id}").status_code == 404
    # One that oversees the tenant's matters sees it, but the signature is a participant's.
    overseer = as_office(
        "case_management_office", ["consultation:sign", "matter:oversee"], username="case-management-1"
    )
    assert overseer.get(f"/v1/consultations/{consultation_id}").status_code == 200
    refused = overseer.post(f"/v1/consultations/{consultation_id}/signatures", json={"opinion": "agree"})
    assert refused.status_code == 403
    assert refused.headers["content-type"].startswith("application/problem+json")
    assert refused.json()["type"].endswith("/step-not-yours")
    assert refused.json()["caller_office"] == "case_management_office"
    assert refused.json()["offices"] == ["case_trial_office", "party_conduct_office"]

    assert conduct.post(f"/v1/consultations/{consultation_id}/signatures", json={"opinion": "agree"}).status_code == 200
    before = conduct.get(f"/v1/consultations/{consultation_id}").json()
    again = conduct.post(
        f"/v1/consultations/{consultation_id}/signatures",
        json={"opinion": "other", "handler": "review_investigation_office", "text": "改由审查调查室"},
    )
    assert again.status_code == 409 and again.json()["username"] == "conduct-2"
    colleague = as_office("party_conduct_office", ["consultation:sign"], username="conduct-3")
    office_again = colleague.post(f"/v1/consultations/{consultation_id}/signatures", json={"opinion": "agree"})
    assert office_again.status_code == 409 and office_again.json()["office"] == "party_conduct_office"
    after = conduct.get(f"/v1/consultations/{consultation_id}").json()
    assert after == before
    assert len(after["signatures"]) == 1

    bad = as_office("case_trial_office", ["consultation:sign"], username="trial-2").post(
        f"/v1/consultations/{consultation_id}/signatures", json={"opinion": "other", "text": "另议"}
    )
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "body.handler"


async def test_deadlock_goes_up_two_levels(as_office, review_nats) -> None:
    event = consultation_event()
    concluded = Subscription(review_nats.url, f"review.{TENANT}.consultation.concluded.v1")
    await publish(review_nats.url, event)
    conduct = as_office("party_conduct_office", ["consultation:sign"], username="conduct-4")
    consultation_id = find_task(conduct, event.matter_id, "consultation_signature")["subject_id"]
    path = f"/v1/consultations/{consultation_id}"
    assert conduct.post(f"{path}/signatures", json={"opinion": "agree"}).status_code == 200
    divided = as_office("case_trial_office", ["consultation:sign"], username="trial-3").post(
        f"{path}/signatures", json={"opinion": "other", "handler": "review_investigation_office", "text": "宜立案审查"}
    )
    assert divided.status_code == 200
    assert divided.json()["state"] == "escalated"
    assert divided.json()["current_level"]["step"] == "leaders_in_charge"

    in_charge = as_office("leader_in_charge", ["approval:sign"], username="in-charge-1")
    first = in_charge.post(f"{path}/escalations", json={"outcome": "no_agreement", "text": "仍有分歧"})
    assert first.status_code == 200, first.text
    assert first.json()["current_level"]["step"] == "secretary_special_meeting"
    # The first level has spoken; it cannot act on the next one.
    assert (
        in_charge.post(
            f"{path}/escalations", json={"outcome": "decided", "handler": "case_trial_office", "text": "x"}
        ).status_code
        == 403
    )

    meeting = as_office("secretary_special_meeting", ["approval:sign"], username="secretary-1")
    last = meeting.post(f"{path}/escalations", json={"outcome": "no_agreement", "text": "未决"})
    assert last.status_code == 422 and last.json()["errors"][0]["field"] == "body.outcome"
    decided = meeting.post(
        f"{path}/escalations",
        json={"outcome": "decided", "handler": "review_investigation_office", "text": "书记专题会决定"},
    )
    assert decided.status_code == 200, decided.text
    body = decided.json()
    assert body["state"] == "concluded" and body["decided_at_level"] == "secretary_special_meeting"
    assert [(lvl["step"], lvl["outcome"]) for lvl in body["levels"]] == [
        ("leaders_in_charge", "no_agreement"),
        ("secretary_special_meeting", "decided"),
    ]
    message = await concluded.next_matching(lambda b: b["consultation_id"] == consultation_id)
    assert message["handler"] == "review_investigation_office"
    assert message["decided_at_level"] == "secretary_special_meeting"


async def test_full_path_to_decision(as_office, review_nats) -> None:
    event = routed_event()
    made = Subscription(review_nats.url, f"review.{TENANT}.decision.made.v1")
    joint_reviewed = Subscription(review_nats.url, f"review.{TENANT}.joint_review.concluded.v1")
    await publish(review_nats.url, event)
    handler = as_office("discipline_supervision_office", [], username="supervisor-1")
    case = case_of(handler, event.matter_id)
    assert case["state"] == "awaiting_start_approval"
    path = f"/v1/cases/{case['id']}"
    investigation_id = case["investigation"]["id"]
    early = handler.post(f"/v1/investigations/{investigation_id}/findings", json={"findings": "x"})
    assert early.status_code == 409

    leader = as_office("commission_leaders", ["approval:sign"], username="leader-2")
    started = leader.post(f"{path}/approvals", json={"stage": "start"})
    assert started.status_code == 200 and started.json()["state"] == "investigating"

    found = handler.post(
        f"/v1/investigations/{investigation_id}/findings",
        json={"findings": "查明未按期整改", "evidence": ["询问笔录1"]},
    )
    assert found.status_code == 200 and found.json()["state"] == "recommending"

    refused = handler.post(
        f"{path}/recommendations",
        json=recommendation(severity="lighter", proposed_measures=["removal_from_post"]),
    )
    assert refused.status_code == 422
    problem = refused.json()
    assert problem["errors"][0]["field"] == "body.proposed_measures"
    assert problem["measures"] == ["removal_from_post"]
    assert "审测〔2024〕1号 第五条" in problem["citations"] and "removal_from_post" in problem["detail"]

    recommended = handler.post(f"{path}/recommendations", json=recommendation())
    assert recommended.status_code == 200, recommended.text
    case = recommended.json()
    assert case["state"] == "joint_review"
    assert case["recommendations"][0]["outcome"]["permitted_measures"] == [
        "criticism_education",
        "circulated_notice",
        "removal_from_post",
    ]

    review_path = f"/v1/joint-reviews/{case['joint_review_id']}"
    for office, user in (("party_conduct_office", "conduct-5"), ("case_trial_office", "trial-5")):
        signer = as_office(office, ["review:sign"], username=user)
        assert signer.post(f"{review_path}/signatures", json={"opinion": "agree"}).status_code == 200
    in_charge = as_office("leader_in_charge", ["approval:sign"], username="in-charge-2")
    concluded = in_charge.post(f"{review_path}/approvals", json={}).json()
    assert concluded["state"] == "concluded"
    assert concluded["number"].startswith(f"审测问审〔{tenant_today().year}〕")
    announced = await joint_reviewed.next_matching(lambda b: b["joint_review_id"] == case["joint_review_id"])
    assert announced["number"] == concluded["number"]
    assert announced["approved_by"] == ["leader_in_charge"] and announced["slip_id"] == str(event.slip_id)

    case = handler.get(path).json()
    assert case["state"] == "deciding"
    assert case["requirements"]["decided_by"] == ["standing_committee_meeting"]
    assert case["requirements"]["approved_by"] == ["principal_leader"]

    committee = as_office("standing_committee_meeting", ["decision:make"], username="committee-1")
    today = tenant_today()
    decision = {
        "decided_on": today.isoformat(),
        "announced_on": today.isoformat(),
        "simplified": False,
        "facts_clear": True,
        "measures": [{"target_index": 0, "measures": ["circulated_notice"]}],
    }
    assert handler.post(f"{path}/decision", json=decision).status_code == 403
    unheard = committee.post(f"{path}/decision", json=decision)
    assert unheard.status_code == 409 and unheard.json()["step"] == "hearing"
    assert "审测〔2024〕1号 第七条" in unheard.json()["citations"]
    assert handler.get(path).json() == case

    heard = handler.post(
        f"{path}/hearings",
        json={
            "target_index": 0,
            "held_on": today.isoformat(),
            "arguments": [{"argument": "客观原因", "accepted": False, "reason": "与事实不符"}],
        },
    )
    assert heard.status_code == 200
    unapproved = committee.post(f"{path}/decision", json=decision)
    assert unapproved.status_code == 409 and unapproved.json()["offices"] == ["principal_leader"]
    principal = as_office("principal_leader", ["approval:sign"], username="principal-1")
    assert principal.post(f"{path}/approvals", json={"stage": "decision"}).status_code == 200

    simplified = committee.post(f"{path}/decision", json={**decision, "simplified": True})
    assert simplified.status_code == 422 and simplified.json()["errors"][0]["field"] == "body.simplified"

    # A party sanction must be one of the pack's.
    sanctioned = {**decision, "measures": [{**decision["measures"][0], "party_sanction": "no_such_sanction"}]}
    unknown = committee.post(f"{path}/decision", json=sanctioned)
    assert unknown.status_code == 422, unknown.text
    assert unknown.json()["errors"][0]["field"] == "body.measures.0.party_sanction"
    assert "'no_such_sanction' is not a party sanction" in unknown.json()["errors"][0]["reason"]

    # What services counting decisions per organisation read: the member's place and the case's weight.
    counted = {
        **decision,
        "major_case": True,
        "measures": [{**decision["measures"][0], "leading_group_member": True}],
    }
    decided = committee.post(f"{path}/decision", json=counted)
    assert decided.status_code == 201, decided.text
    assert decided.json()["decision"]["major_case"] is True
    number = decided.json()["decision"]["number"]
    assert number.startswith(f"审测问决〔{today.year}〕")
    message = await made.next_matching(lambda b: b["number"] == number)
    assert message["decided_by"] == "standing_committee_meeting"
    assert message["measures"][0]["measures"] == ["circulated_notice"]
    assert message["measures"][0]["target"]["name"] == "张明"
    assert message["major_case"] is True
    assert message["measures"][0]["leading_group_member"] is True
    assert message["measures"][0]["party_sanction"] is None
    # The organisation is the target's unit, the decision naming no other.
    assert message["measures"][0]["organisation"] == message["measures"][0]["target"]["unit"]

    timeline = handler.get(f"{path}/timeline").json()
    assert [e["action"] for e in timeline][-1] == "decision_made"
    assert {"joint_review_signed", "hearing_recorded", "start_approved"} <= {e["action"] for e in timeline}
    assert committee.post(f"{path}/decision", json=decision).status_code == 409


async def test_a_case_without_a_handling_office_is_nobodys_to_recommend_or_hear_in(as_office, review_nats) -> None:
    event = routed_event(handler=None, investigated_by=None, start_approved_by=[])
    await publish(review_nats.url, event)
    # The office that oversees the tenant's matters sees the case; no office may act in it.
    overseer = as_office("case_management_office", ["matter:oversee"], username="case-management-9")
    path = f"/v1/cases/{case_of(overseer, event.matter_id)['id']}"

    for step, body in (
        ("recommendations", recommendation()),
        ("hearings", {"target_index": 0, "held_on": tenant_today().isoformat()}),
    ):
        refused = overseer.post(f"{path}/{step}", json=body)
        assert refused.status_code == 403, refused.text
        assert refused.headers["content-type"].startswith("application/problem+json")
        assert refused.json()["offices"] == []
        assert refused.json()["caller_office"] == "case_management_office"
