"""Every request naming a review resource by id answers 404, with that resource's problem type,
for an id that is not a UUID, an unknown UUID and another tenant's id alike."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from .support import case_of, consultation_event, find_task, publish, recommendation, routed_event

pytestmark = pytest.mark.integration

DECISION = {"decided_on": "2026-01-05", "facts_clear": True, "measures": [{"target_index": 0, "measures": []}]}
# (method, path with {id}, the kind of resource the id names, body)
REQUESTS: list[tuple[str, str, str, dict[str, Any] | None]] = [
    ("GET", "/v1/consultations/{id}", "consultation", None),
    ("POST", "/v1/consultations/{id}/signatures", "consultation", {"opinion": "agree"}),
    ("POST", "/v1/consultations/{id}/approvals", "consultation", {}),
    ("POST", "/v1/consultations/{id}/escalations", "consultation", {"outcome": "decided", "text": "决定"}),
    ("GET", "/v1/joint-reviews/{id}", "joint-review", None),
    ("POST", "/v1/joint-reviews/{id}/signatures", "joint-review", {"opinion": "agree"}),
    ("POST", "/v1/joint-reviews/{id}/approvals", "joint-review", {}),
    ("POST", "/v1/joint-reviews/{id}/escalations", "joint-review", {"outcome": "decided", "text": "决定"}),
    ("GET", "/v1/cases/{id}", "case", None),
    ("GET", "/v1/cases/{id}/timeline", "case", None),
    ("POST", "/v1/cases/{id}/approvals", "case", {"stage": "decision"}),
    ("POST", "/v1/cases/{id}/recommendations", "case", recommendation()),
    ("POST", "/v1/cases/{id}/hearings", "case", {"target_index": 0, "held_on": "2026-01-05", "arguments": []}),
    ("POST", "/v1/cases/{id}/decision", "case", DECISION),
    ("POST", "/v1/investigations/{id}/findings", "investigation", {"findings": "查明"}),
    ("POST", "/v1/tasks/{id}/claim", "task", None),
    ("POST", "/v1/tasks/{id}/reassign", "task", {"username": "somebody"}),
    ("GET", "/v1/matters/{id}/timeline", "matter", None),
]
ALL_ROLES = ["consultation:sign", "review:sign", "approval:sign", "decision:make"]


@pytest.fixture(scope="module")
async def kunshan_ids(as_office, review_nats) -> dict[str, str]:
    """One id of each kind of resource, in the tenant kunshan."""
    consultation = consultation_event()
    await publish(review_nats.url, consultation)
    conduct = as_office("party_conduct_office", ALL_ROLES, username="ids-conduct")
    task = find_task(conduct, consultation.matter_id, "consultation_signature")

    routed = routed_event(start_approved_by=[])
    await publish(review_nats.url, routed)
    handler = as_office("discipline_supervision_office", [], username="ids-handler")
    case = case_of(handler, routed.matter_id)
    found = handler.post(f"/v1/investigations/{case['investigation']['id']}/findings", json={"findings": "查明"})
    assert found.status_code == 200, found.text
    recommended = handler.post(f"/v1/cases/{case['id']}/recommendations", json=recommendation())
    assert recommended.status_code == 200, recommended.text
    return {
        "consultation": task["subject_id"],
        "joint-review": recommended.json()["joint_review_id"],
        "case": case["id"],
        "investigation": case["investigation"]["id"],
        "task": task["id"],
        "matter": str(routed.matter_id),
    }


def test_the_ids_name_resources_of_kunshan(as_office, kunshan_ids) -> None:
    reader = as_office("party_conduct_office", [], username="ids-reader")
    for method, path, kind, _ in REQUESTS:
        if method == "GET":
            response = reader.get(path.format(id=kunshan_ids[kind]))
            assert response.status_code == 200, response.text
            assert response.json()


@pytest.mark.parametrize("which", ["not a UUID", "unknown UUID", "another tenant's"])
@pytest.mark.parametrize(("method", "path", "kind", "body"), REQUESTS, ids=[f"{m} {p}" for m, p, _, _ in REQUESTS])
def test_an_id_of_nothing_in_the_callers_tenant_is_not_found(
    as_office, kunshan_ids, which: str, method: str, path: str, kind: str, body: dict[str, Any] | None
) -> None:
    if which == "another tenant's":
        # Its caller acts for an office of the same code, with every capability.
        caller = as_office("party_conduct_office", ALL_ROLES, username="ids-jintan", realm="wenze-jintan")
        resource_id = kunshan_ids[kind]
    else:
        caller = as_office("party_conduct_office", ALL_ROLES, username="ids-kunshan")
        resource_id = "not-a-uuid" if which == "not a UUID" else str(uuid.uuid4())
    response = caller.request(method, path.format(id=resource_id), json=body)
    assert response.status_code == 404, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.json()["type"] == f"https://wenze.dev/problems/{kind}-not-found"


def test_the_timeline_of_a_matter_review_knows_is_found(as_office, kunshan_ids) -> None:
    reader = as_office("party_conduct_office", [], username="ids-reader")
    timeline = reader.get(f"/v1/matters/{kunshan_ids['matter']}/timeline")
    assert timeline.status_code == 200
    assert timeline.json()[0]["action"] == "case_opened"
