"""What the integration tests share: routing's events as routing would publish them, the review
service's own events as it publishes them, and waiting for the worker."""

from __future__ import annotations

import datetime as dt
import json
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import nats

from wenze.events.base import Event
from wenze.events.intake import TargetSnapshot
from wenze.events.routing import ConsultationRequested, MatterRouted, RuleStep
from wenze.messaging.streams import ensure_stream, stream_for
from wenze.rules import RulePack
from wenze.rules.facts import matter_facts, target_facts
from wenze_devtools.testing.issuer import load_demo_users

TENANT = "kunshan"
CITATION = "审测〔2024〕1号 第二条"
TEST_PACK = RulePack(Path(__file__).resolve().parents[1] / "rulesets" / TENANT)

PERSON = TargetSnapshot(
    kind="person",
    name="张明",
    post="副局长",
    unit="市住房和城乡建设局",
    cadre_level="city_managed",
    sector="city_department",
    party_member=True,
)
# A cadre the town commission handles and decides on: no joint review, no approvals.
TOWN_PERSON = TargetSnapshot(
    kind="person",
    name="沈小林",
    post="副镇长",
    unit="巴城镇",
    cadre_level="not_city_managed",
    sector="district_town",
    party_member=True,
)


def office_authority(realm: str) -> dict[str, frozenset[str]]:
    """The authority (干部管理权限) each office's demo users of ``realm`` have."""
    _, users = load_demo_users()[realm]
    return {u.office: frozenset(u.cadre_authority) for u in users if u.office}


# Kunshan's, which the test pack's office codes are.
AUTHORITY = office_authority("wenze-kunshan")


def tenant_today() -> dt.date:
    """The tenant's date now, as the service sees it (asked at each use: a run may cross midnight)."""
    return TEST_PACK.today()


def routing_facts(target: TargetSnapshot) -> dict[str, Any]:
    """What the routing service would put on its events: the facts it gave the rules."""
    return {**matter_facts("other", False, None, [target]), **target_facts(target)}


def routing_outcome(target: TargetSnapshot, on: dt.date) -> dict[str, Any]:
    return TEST_PACK.evaluate("routing", routing_facts(target), on=on).outcome


async def publish(nats_url: str, event: Event) -> None:
    nc = await nats.connect(nats_url)
    try:
        # The producer's stream, as its service would have made it (this NATS server has no
        # producer but the test).
        await ensure_stream(nc.jetstream(), stream_for(event.subject.split(".", 1)[0]))
        await nc.jetstream().publish(
            event.subject, event.model_dump_json().encode(), headers={"Nats-Msg-Id": str(event.event_id)}
        )
    finally:
        await nc.close()


def wait_for(fetch: Callable[[], Any], *, timeout: float = 120.0) -> Any:
    """Poll ``fetch`` until it returns something truthy (the worker applies events asynchronously)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = fetch()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError("timed out waiting for the worker")


class Subscription:
    """Events of one subject pattern published by the review service during a test."""

    def __init__(self, nats_url: str, subject: str):
        self.nats_url, self.subject = nats_url, subject

    async def next_matching(self, predicate: Callable[[dict], bool], timeout: float = 30.0) -> dict:
        nc = await nats.connect(self.nats_url)
        try:
            js = nc.jetstream()
            sub = await js.subscribe(self.subject, ordered_consumer=True)
            deadline = time.monotonic() + timeout
            while time.monotonic() < deadline:
                try:
                    message = await sub.next_msg(timeout=1)
                except (TimeoutError, nats.errors.TimeoutError):
                    continue
                body = json.loads(message.data)
                if predicate(body):
                    return body
            raise AssertionError(f"no matching event on {self.subject}")
        finally:
            await nc.close()


def consultation_event(**overrides: Any) -> ConsultationRequested:
    relevant_date = overrides.get("relevant_date", tenant_today())
    fields = {
        "tenant": TENANT,
        "matter_id": uuid.uuid4(),
        "slip_id": uuid.uuid4(),
        "slip_number": "S-1",
        "matter_number": "RT-1",
        "summary": "拖延整改",
        "relevant_date": relevant_date,
        "targets": [PERSON],
        "lead": "party_conduct_office",
        "participants": ["party_conduct_office", "case_trial_office"],
        "proposed_handler": "discipline_supervision_office",
        "handler_candidates": [],
        "approved_by": ["commission_leaders"],
        "escalation": [
            RuleStep(step="leaders_in_charge", actor="leader_in_charge"),
            RuleStep(step="secretary_special_meeting", actor="secretary_special_meeting"),
        ],
        "facts": routing_facts(PERSON),
        "outcome": routing_outcome(PERSON, relevant_date),
        "citations": [CITATION],
    }
    return ConsultationRequested(**{**fields, **overrides})


def routed_event(target: TargetSnapshot = PERSON, **overrides: Any) -> MatterRouted:
    relevant_date = overrides.get("relevant_date", tenant_today())
    outcome = routing_outcome(target, relevant_date)
    fields = {
        "tenant": TENANT,
        "matter_id": uuid.uuid4(),
        "slip_id": uuid.uuid4(),
        "slip_number": "S-2",
        "matter_number": "RT-2",
        "summary": "履职不力",
        "relevant_date": relevant_date,
        "targets": [target],
        "handler": outcome["handler"],
        "cc": [],
        "investigated_by": None,
        "investigated_with": [],
        "reclassify_after_investigation": False,
        "joint_review_required": True,
        "start_approved_by": ["commission_leaders"],
        "decided_by": ["standing_committee_meeting"],
        "fixed_by": "rules",
        "facts": routing_facts(target),
        "outcome": outcome,
        "citations": ["审测〔2024〕1号 第三条"],
    }
    return MatterRouted(**{**fields, **overrides})


def recommendation(**overrides: Any) -> dict[str, Any]:
    return {
        "target_index": 0,
        "statement": "未按期完成整改",
        "legal_basis": "审测〔2024〕1号 第五条",
        "severity": "heavier",
        "circumstances": [],
        "proposed_measures": ["circulated_notice"],
        "occurred_on": tenant_today().isoformat(),
        **overrides,
    }


def hear_and_decide(client: httpx.Client, path: str, on: dt.date) -> dict:
    """The case at ``path``, its recommendation made, heard and decided on ``on``: criticism and
    education for its one target. Its decision."""
    heard = client.post(f"{path}/hearings", json={"target_index": 0, "held_on": on.isoformat(), "arguments": []})
    assert heard.status_code == 200, heard.text
    decided = client.post(
        f"{path}/decision",
        json={
            "decided_on": on.isoformat(),
            "facts_clear": True,
            "measures": [{"target_index": 0, "measures": ["criticism_education"]}],
        },
    )
    assert decided.status_code == 201, decided.text
    return decided.json()["decision"]


def find_task(client: httpx.Client, matter_id: uuid.UUID | str, kind: str) -> dict:
    def fetch() -> dict | None:
        tasks = client.get("/v1/tasks", params={"state": "open"}).json()
        return next((t for t in tasks if t["matter_id"] == str(matter_id) and t["kind"] == kind), None)

    return wait_for(fetch)


def case_of(client: httpx.Client, matter_id: uuid.UUID | str) -> dict:
    return wait_for(lambda: client.get("/v1/cases", params={"matter_id": str(matter_id)}).json())[0]
