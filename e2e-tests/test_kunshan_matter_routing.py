"""Kunshan 附件2 第六条 across intake, routing and review over HTTP and NATS: a matter whose two
city-managed cadres call for the first and the third form goes to one consultation, which picks
one handler for the whole matter; and an override of such a slip supersedes its consultation,
whose tasks close, which can no longer be signed or concluded, and both timelines say so."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import pytest

from .kunshan import PARTICIPANTS

pytestmark = pytest.mark.integration

UNIT = "市发展和改革委员会"
MIXED_FORMS = "昆纪办发〔2019〕19号 附件2 第六条"


def wait_for(fetch: Callable[[], Any], what: str, timeout: float = 120.0) -> Any:
    """Poll until ``fetch`` returns something truthy: the workers apply events asynchronously."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if value := fetch():
            return value
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


def cadre(name: str, form: str) -> dict:
    return {
        "kind": "person",
        "name": name,
        "post": "副主任",
        "unit": UNIT,
        "cadre_level": "city_managed",
        "sector": "city_department",
        "party_member": True,
        "proposed_form": form,
    }


def mixed_forms_matter(ks) -> tuple[dict, dict, str]:
    """A matter with a first-form and a third-form target, its one slip, and its consultation's path."""
    matter = ks.submit_and_accept(
        "ks-supervision-1",
        "ks-intake",
        source="city_government",
        targets=[cadre("钱国强", "form_1"), cadre("孙立新", "form_3")],
    )
    (slip,) = ks.slips(matter["id"], "ks-intake")
    task = ks.user("ks-intake").task_of_matter("consultation_signature", matter["id"])
    return matter, slip, f"/v1/consultations/{task['subject_id']}"


def test_first_and_third_form_targets_go_to_one_consultation_that_picks_one_handler(tenant_for, events) -> None:
    ks = tenant_for("wenze-kunshan")
    requested = events("routing.kunshan.slip.consultation_requested.v1")
    matter, slip, path = mixed_forms_matter(ks)
    assert [
        t["proposed_form"] for t in ks.user("ks-intake").get("intake", f"/v1/matters/{matter['id']}")["targets"]
    ] == [
        "form_1",
        "form_3",
    ]

    # One slip for the matter, waiting for its consultation: never two slips sent to two offices.
    assert slip["state"] == "in_consultation" and slip["handler"] is None
    assert [t["name"] for t in slip["targets"]] == ["钱国强", "孙立新"]
    assert MIXED_FORMS in slip["citations"]
    event, _ = requested.next(lambda e: e["matter_id"] == matter["id"])
    assert event["slip_id"] == slip["id"] and len(event["targets"]) == 2
    assert event["handler_candidates"] == ["discipline_supervision_office", "review_investigation_office"]

    consultation = ks.user("ks-intake").get("review", path)
    assert consultation["slip_id"] == slip["id"] and consultation["proposed_handler"] is None
    # No handler is proposed: agreeing is refused, each office names the one it proposes.
    refused = ks.user("ks-intake").post("review", f"{path}/signatures", {"opinion": "agree"})
    assert refused.status_code == 422 and refused.json()["errors"][0]["field"] == "body.opinion", refused.text
    for username in PARTICIPANTS.values():
        ks.user(username).ok(
            "review",
            f"{path}/signatures",
            {
                "opinion": "other",
                "handler": "review_investigation_office",
                "text": "涉嫌职务违法，整体由审查调查室承办",
            },
        )
    for office in ks.user("ks-intake").get("review", path)["approved_by"]:
        assert office == "commission_leaders"
        ks.user("ks-leader").ok("review", f"{path}/approvals", {})

    routed = ks.wait_routed(slip["id"], "ks-intake")
    assert routed["handler"] == "review_investigation_office" and routed["fixed_by"] == "consultation"
    # One handler for every target: one case holding both.
    case = ks.case(slip["id"], "ks-investigation-1")
    assert case["handler"] == "review_investigation_office"
    assert [t["name"] for t in case["targets"]] == ["钱国强", "孙立新"]
    assert len(ks.user("ks-intake").get("routing", "/v1/slips", matter_id=matter["id"])) == 1


def test_an_override_supersedes_the_consultation_and_closes_its_tasks(tenant_for, events) -> None:
    ks = tenant_for("wenze-kunshan")
    concluded = events("review.kunshan.consultation.concluded.v1")
    matter, slip, path = mixed_forms_matter(ks)
    consultation_id = path.rsplit("/", 1)[1]
    ks.user("ks-intake").ok(
        "review", f"{path}/signatures", {"opinion": "other", "handler": "review_investigation_office", "text": "同意"}
    )
    trial_task = ks.user("ks-trial").task_of_matter("consultation_signature", matter["id"])

    reason = "案情紧急，由执纪监督室统一承办"
    overridden = ks.user("ks-leader").ok(
        "routing", f"/v1/slips/{slip['id']}/override", {"handler": "discipline_supervision_office", "reason": reason}
    )
    assert overridden["fixed_by"] == "override" and overridden["handler"] == "discipline_supervision_office"

    superseded = wait_for(
        lambda: (c := ks.user("ks-intake").get("review", path))["state"] == "superseded" and c,
        "the consultation to be superseded",
    )
    assert superseded["awaiting_signatures"] == []

    # Its signature tasks are closed: none is open, the trial office's is cancelled.
    def open_consultation_tasks(username: str) -> list[dict]:
        tasks = ks.user(username).get("review", "/v1/tasks", state="open")
        return [t for t in tasks if t["subject_id"] == consultation_id]

    assert all(not open_consultation_tasks(u) for u in PARTICIPANTS.values())
    cancelled = ks.user("ks-trial").get("review", "/v1/tasks", state="cancelled")
    assert trial_task["id"] in [t["id"] for t in cancelled]
    claim = ks.user("ks-trial").post("review", f"/v1/tasks/{trial_task['id']}/claim")
    assert claim.status_code == 409, claim.text

    # Signing is refused in the user's terms; nothing can conclude it.
    for office, username in PARTICIPANTS.items():
        if office == "party_conduct_office":
            continue
        refused = ks.user(username).post(
            "review",
            f"{path}/signatures",
            {"opinion": "other", "handler": "review_investigation_office", "text": "同意"},
        )
        assert refused.status_code == 409, refused.text
        assert refused.headers["content-type"].startswith("application/problem+json")
        assert refused.json()["type"].endswith("/wrong-state")
        assert "superseded" in refused.json()["detail"] and "override" in refused.json()["detail"]
    not_approving = ks.user("ks-leader").post("review", f"{path}/approvals", {})
    assert not_approving.status_code == 409, not_approving.text
    assert ks.user("ks-intake").get("review", path)["state"] == "superseded"
    with pytest.raises(AssertionError):
        concluded.next(lambda e: e["consultation_id"] == consultation_id, timeout=3)

    # The case follows the override; both timelines record what happened.
    case = ks.case(slip["id"], "ks-supervision-1")
    assert case["handler"] == "discipline_supervision_office"
    review_timeline = ks.user("ks-intake").get("review", f"/v1/matters/{matter['id']}/timeline")
    actions = [e["action"] for e in review_timeline]
    assert (
        actions.index("consultation_signed") < actions.index("consultation_superseded") < actions.index("case_opened")
    )
    entry = review_timeline[actions.index("consultation_superseded")]
    assert entry["actor"] == "ks-leader" and entry["office"] == "commission_leaders"
    assert entry["detail"]["reason"] == reason and entry["detail"]["previous_state"] == "signing"
    assert set(entry["detail"]["cancelled_tasks"]) == {"consultation_signature"}
    assert len(entry["detail"]["cancelled_tasks"]) == len(PARTICIPANTS) - 1
    routing_timeline = ks.user("ks-intake").get("routing", f"/v1/slips/{slip['id']}/timeline")
    last = routing_timeline[-1]
    assert last["action"] == "routed_by_override" and last["actor"] == "ks-leader"
    assert last["detail"]["consultation"] == "superseded" and last["detail"]["previous_state"] == "in_consultation"
