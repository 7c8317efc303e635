"""An override of a routing slip whose consultation is under way: review supersedes the
consultation, closes its tasks and records it, whichever of the two events arrives first."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from wenze.events.routing import SlipOverride

from .support import case_of, consultation_event, find_task, publish, routed_event, wait_for
from .test_access import AuditLog

pytestmark = pytest.mark.integration

OVERRIDE = SlipOverride(
    by="leader-override",
    office="commission_leaders",
    reason="涉嫌职务违法，由审查调查室承办",
    previous_handler=None,
    previous_state="in_consultation",
)


@pytest.fixture
async def review_audit(review_database: str) -> AsyncIterator[AuditLog]:
    log = AuditLog(review_database)
    yield log
    await log.engine.dispose()


def overridden(consultation) -> object:
    return routed_event(
        matter_id=consultation.matter_id,
        slip_id=consultation.slip_id,
        slip_number=consultation.slip_number,
        handler="review_investigation_office",
        start_approved_by=[],
        fixed_by="override",
        override=OVERRIDE,
    )


async def test_an_override_supersedes_the_consultation_and_closes_its_tasks(
    as_office, review_nats, review_audit: AuditLog
) -> None:
    consultation = consultation_event()
    await publish(review_nats.url, consultation)
    conduct = as_office("party_conduct_office", ["consultation:sign"], username="override-conduct")
    consultation_id = find_task(conduct, consultation.matter_id, "consultation_signature")["subject_id"]
    path = f"/v1/consultations/{consultation_id}"
    assert conduct.post(f"{path}/signatures", json={"opinion": "agree"}).status_code == 200

    await publish(review_nats.url, overridden(consultation))
    read = wait_for(lambda: (c := conduct.get(path).json())["state"] == "superseded" and c)
    assert read["awaiting_signatures"] == [] and len(read["signatures"]) == 1

    # The trial office's signature task is gone from its queue, cancelled.
    trial = as_office("case_trial_office", ["consultation:sign"], username="override-trial")
    tasks = trial.get("/v1/tasks").json()
    (task,) = [t for t in tasks if t["subject_id"] == consultation_id and t["kind"] == "consultation_signature"]
    assert task["state"] == "cancelled" and task["history"][-1]["by"] == "leader-override"
    claimed = trial.post(f"/v1/tasks/{task['id']}/claim")
    assert claimed.status_code == 409, claimed.text
    # Signing it is refused in the user's terms, and nothing can conclude it any more.
    refused = trial.post(f"{path}/signatures", json={"opinion": "agree"})
    assert refused.status_code == 409, refused.text
    assert refused.headers["content-type"].startswith("application/problem+json")
    assert "superseded" in refused.json()["detail"] and "override" in refused.json()["detail"]
    leader = as_office("commission_leaders", ["approval:sign"], username="override-leader")
    assert leader.post(f"{path}/approvals", json={}).status_code == 409
    assert conduct.get(path).json()["state"] == "superseded"

    # The case opens with the override's handler; the timeline tells what happened, in order.
    case = case_of(conduct, consultation.matter_id)
    assert case["handler"] == "review_investigation_office"
    timeline = conduct.get(f"/v1/matters/{consultation.matter_id}/timeline").json()
    actions = [e["action"] for e in timeline]
    assert actions.index("consultation_superseded") < actions.index("case_opened")
    superseded = timeline[actions.index("consultation_superseded")]
    assert superseded["actor"] == "leader-override" and superseded["office"] == "commission_leaders"
    assert superseded["detail"]["reason"] == OVERRIDE.reason
    assert superseded["detail"]["previous_state"] == "signing"
    assert superseded["detail"]["cancelled_tasks"] == ["consultation_signature"]

    entries = await review_audit.read()
    (entry,) = [e for e in entries if e["action"] == "consultation.supersede" and e["object_id"] == consultation_id]
    assert entry["detail"]["overridden_by"] == "leader-override"


async def test_a_consultation_requested_after_the_override_is_not_opened(as_office, review_nats) -> None:
    consultation = consultation_event()
    await publish(review_nats.url, overridden(consultation))
    conduct = as_office("party_conduct_office", ["consultation:sign", "matter:oversee"], username="late-conduct")
    case_of(conduct, consultation.matter_id)
    await publish(review_nats.url, consultation)

    def not_opened() -> list[dict]:
        timeline = conduct.get(f"/v1/matters/{consultation.matter_id}/timeline").json()
        return [e for e in timeline if e["action"] == "consultation_not_opened"]

    (entry,) = wait_for(not_opened)
    assert entry["detail"]["slip_id"] == str(consultation.slip_id)
    tasks = conduct.get("/v1/tasks").json()
    assert not [
        t for t in tasks if t["matter_id"] == str(consultation.matter_id) and t["kind"].startswith("consultation")
    ]


async def test_an_override_of_a_slip_whose_case_is_open_hands_the_case_to_the_new_handler(
    as_office, review_nats, review_audit: AuditLog
) -> None:
    routed = routed_event(start_approved_by=[])
    await publish(review_nats.url, routed)
    before = as_office(routed.handler, [], username="reroute-before")
    case = case_of(before, routed.matter_id)
    assert case["state"] == "investigating" and case["investigation"]["office"] == routed.handler
    task = find_task(before, routed.matter_id, "investigation")
    assert before.post(f"/v1/tasks/{task['id']}/claim").status_code == 200

    override = SlipOverride(
        by="leader-reroute",
        office="commission_leaders",
        reason="涉嫌职务违法，改由审查调查室承办",
        previous_handler=routed.handler,
        previous_state="routed",
    )
    rerouted = routed_event(
        matter_id=routed.matter_id,
        slip_id=routed.slip_id,
        slip_number=routed.slip_number,
        handler="review_investigation_office",
        start_approved_by=[],
        fixed_by="override",
        override=override,
    )
    await publish(review_nats.url, rerouted)
    after = as_office("review_investigation_office", [], username="reroute-after")
    path = f"/v1/cases/{case['id']}"
    reassigned = wait_for(lambda: (c := after.get(path)).is_success and c.json()["handler"] == rerouted.handler and c)
    read = reassigned.json()
    # The case goes on where it was, with the override's handler investigating.
    assert read["state"] == "investigating" and read["fixed_by"] == "override"
    assert read["investigation"]["office"] == "review_investigation_office"

    # The investigation task left the old office's queue for the new one's, held by nobody there yet.
    moved = find_task(after, routed.matter_id, "investigation")
    assert moved["id"] == task["id"] and moved["office"] == "review_investigation_office"
    assert moved["assignee"] is None
    assert moved["history"][-1]["action"] == "reassigned_by_override"
    assert moved["history"][-1]["from"] == routed.handler and moved["history"][-1]["by"] == "leader-reroute"
    old_queue = before.get("/v1/tasks", params={"state": "open"}).json()
    assert not [t for t in old_queue if t["matter_id"] == str(routed.matter_id)]

    # Only the new handler records the findings now.
    findings = {"findings": "查明未按期整改"}
    investigation = f"/v1/investigations/{read['investigation']['id']}/findings"
    assert before.post(investigation, json=findings).status_code == 403
    found = after.post(investigation, json=findings)
    assert found.status_code == 200, found.text

    timeline = after.get(f"{path}/timeline").json()
    (entry,) = [e for e in timeline if e["action"] == "case_reassigned"]
    assert entry["actor"] == "leader-reroute" and entry["office"] == "commission_leaders"
    assert entry["citations"] == rerouted.citations
    assert entry["detail"]["previous_handler"] == routed.handler
    assert entry["detail"]["reason"] == override.reason and entry["detail"]["moved_tasks"] == ["investigation"]
    entries = await review_audit.read()
    (audited,) = [e for e in entries if e["action"] == "case.reassign" and e["object_id"] == case["id"]]
    assert audited["detail"]["overridden_by"] == "leader-reroute"
    assert audited["detail"]["event_id"] == str(rerouted.event_id)
