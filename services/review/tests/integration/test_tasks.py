"""Work queues: who may take a task, to whom it may be handed, and that two claims never both win."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from .support import consultation_event, find_task, publish

pytestmark = pytest.mark.integration

SIGNER = ["consultation:sign"]


def open_task(client: httpx.Client, task_id: str) -> dict:
    return next(t for t in client.get("/v1/tasks", params={"state": "open"}).json() if t["id"] == task_id)


async def signature_task(as_office, review_nats, username: str) -> tuple[httpx.Client, dict]:
    """A new consultation's signature task of the party-conduct office, seen by ``username`` of that office."""
    event = consultation_event()
    await publish(review_nats.url, event)
    client = as_office("party_conduct_office", SIGNER, username=username)
    return client, find_task(client, event.matter_id, "consultation_signature")


async def test_claiming_a_task_someone_else_holds_is_refused_naming_the_holder(as_office, review_nats) -> None:
    first, task = await signature_task(as_office, review_nats, "claim-first")
    claimed = first.post(f"/v1/tasks/{task['id']}/claim")
    assert claimed.status_code == 200, claimed.text
    assert claimed.json()["assignee"] == "claim-first"

    second = as_office("party_conduct_office", SIGNER, username="claim-second")
    taken = second.post(f"/v1/tasks/{task['id']}/claim")
    assert taken.status_code == 409, taken.text
    assert taken.headers["content-type"].startswith("application/problem+json")
    problem = taken.json()
    assert problem["type"].endswith("/task-held") and problem["assignee"] == "claim-first"
    assert "claim-first" in problem["detail"]
    after = open_task(second, task["id"])
    assert after["assignee"] == "claim-first"
    assert [h["action"] for h in after["history"]] == ["opened", "claimed"]

    # Claiming it again is no change for its holder.
    again = first.post(f"/v1/tasks/{task['id']}/claim")
    assert again.status_code == 200 and again.json() == after


async def test_claiming_needs_the_capability_the_task_needs(as_office, review_nats) -> None:
    _, task = await signature_task(as_office, review_nats, "capability-signer")
    reader = as_office("party_conduct_office", [], username="capability-reader")
    refused = reader.post(f"/v1/tasks/{task['id']}/claim")
    assert refused.status_code == 403, refused.text
    assert refused.json()["capability"] == "consultation:sign"
    assert open_task(reader, task["id"])["assignee"] is None


async def test_a_task_is_handed_only_to_a_known_user_of_its_office_who_can_act_on_it(as_office, review_nats) -> None:
    holder, task = await signature_task(as_office, review_nats, "reassign-holder")
    assert holder.post(f"/v1/tasks/{task['id']}/claim").status_code == 200
    path = f"/v1/tasks/{task['id']}/reassign"

    def refused_for(username: str) -> str:
        response = holder.post(path, json={"username": username})
        assert response.status_code == 422, response.text
        assert response.headers["content-type"].startswith("application/problem+json")
        (error,) = response.json()["errors"]
        assert error["field"] == "body.username"
        return error["reason"]

    # Nobody of that name has ever called the service for this tenant.
    assert "no user" in refused_for("reassign-never-seen")
    # Known, but acting for another office.
    as_office("case_trial_office", SIGNER, username="reassign-trial").get("/v1/tasks")
    assert "case_trial_office" in refused_for("reassign-trial")
    # The same office code in another tenant is another office.
    foreign = as_office("party_conduct_office", SIGNER, username="reassign-foreign", realm="wenze-jintan")
    assert foreign.get("/v1/tasks").status_code == 200
    assert "no user" in refused_for("reassign-foreign")
    # Of the office, but without the capability the task needs: it would hold a task it cannot act on.
    as_office("party_conduct_office", [], username="reassign-reader").get("/v1/tasks")
    assert "consultation:sign" in refused_for("reassign-reader")
    assert open_task(holder, task["id"])["assignee"] == "reassign-holder"

    as_office("party_conduct_office", SIGNER, username="reassign-colleague").get("/v1/tasks")
    handed = holder.post(path, json={"username": "reassign-colleague"})
    assert handed.status_code == 200, handed.text
    assert handed.json()["assignee"] == "reassign-colleague"
    assert handed.json()["history"][-1] | {"at": None} == {
        "at": None,
        "action": "reassigned",
        "by": "reassign-holder",
        "from": "reassign-holder",
        "to": "reassign-colleague",
    }


async def test_claim_and_reassign_honour_the_idempotency_key(as_office, review_nats) -> None:
    holder, task = await signature_task(as_office, review_nats, "idempotent-holder")
    claim = f"/v1/tasks/{task['id']}/claim"
    first = holder.post(claim, headers={"Idempotency-Key": f"claim-{task['id']}"})
    replay = holder.post(claim, headers={"Idempotency-Key": f"claim-{task['id']}"})
    assert first.status_code == replay.status_code == 200
    assert replay.headers.get("Idempotency-Replayed") == "true" and replay.json() == first.json()

    as_office("party_conduct_office", SIGNER, username="idempotent-colleague").get("/v1/tasks")
    reassign = f"/v1/tasks/{task['id']}/reassign"
    key = {"Idempotency-Key": f"reassign-{task['id']}"}
    handed = holder.post(reassign, json={"username": "idempotent-colleague"}, headers=key)
    again = holder.post(reassign, json={"username": "idempotent-colleague"}, headers=key)
    assert handed.status_code == again.status_code == 200, again.text
    assert again.headers.get("Idempotency-Replayed") == "true" and again.json() == handed.json()
    reused = holder.post(reassign, json={"username": "idempotent-holder"}, headers=key)
    assert reused.status_code == 409 and reused.json()["type"].endswith("/idempotency-key-reused")
    assert [h["action"] for h in open_task(holder, task["id"])["history"]] == ["opened", "claimed", "reassigned"]


async def test_of_concurrent_claims_exactly_one_wins(as_office, review_nats) -> None:
    claimants = 6
    _, task = await signature_task(as_office, review_nats, "race-0")
    clients = [as_office("party_conduct_office", SIGNER, username=f"race-{i}") for i in range(claimants)]
    everyone_ready = threading.Barrier(claimants)

    def claim(client: httpx.Client) -> httpx.Response:
        everyone_ready.wait()
        return client.post(f"/v1/tasks/{task['id']}/claim")

    with ThreadPoolExecutor(claimants) as pool:
        responses = list(pool.map(claim, clients))

    statuses = sorted(r.status_code for r in responses)
    assert statuses == [200] + [409] * (claimants - 1), [r.text for r in responses]
    winner = next(r for r in responses if r.status_code == 200).json()["assignee"]
    assert all(r.json()["assignee"] == winner for r in responses if r.status_code == 409)
    held = open_task(clients[0], task["id"])
    assert held["assignee"] == winner
    assert [h["action"] for h in held["history"]] == ["opened", "claimed"]


async def test_usernames_as_long_as_keycloak_allows_hold_and_close_a_task(as_office, review_nats) -> None:
    """Keycloak allows usernames of 255 characters: such a user claims a task, hands it to
    another, who signs; a longer name in the request is refused naming the field."""
    holder_name, signer_name = ("长" * 200 + "x" * 55, "长" * 200 + "y" * 55)
    holder, task = await signature_task(as_office, review_nats, holder_name)
    assert holder.post(f"/v1/tasks/{task['id']}/claim").json()["assignee"] == holder_name
    signer = as_office("party_conduct_office", SIGNER, username=signer_name)
    assert signer.get("/v1/tasks").status_code == 200

    too_long = holder.post(f"/v1/tasks/{task['id']}/reassign", json={"username": signer_name + "z"})
    assert too_long.status_code == 422, too_long.text
    assert too_long.headers["content-type"].startswith("application/problem+json")
    assert [error["field"] for error in too_long.json()["errors"]] == ["body.username"]
    assert "255" in too_long.json()["errors"][0]["reason"]

    handed = holder.post(f"/v1/tasks/{task['id']}/reassign", json={"username": signer_name})
    assert handed.status_code == 200, handed.text
    assert handed.json()["history"][-1] | {"at": None} == {
        "at": None,
        "action": "reassigned",
        "by": holder_name,
        "from": holder_name,
        "to": signer_name,
    }
    signed = signer.post(f"/v1/consultations/{task['subject_id']}/signatures", json={"opinion": "agree"})
    assert signed.status_code == 200, signed.text
    assert [s["username"] for s in signed.json()["signatures"]] == [signer_name]
    closed = next(t for t in signer.get("/v1/tasks", params={"state": "done"}).json() if t["id"] == task["id"])
    assert closed["closed_by"] == signer_name
