"""Hubei 一案双查 raised by the platform (第十条（四）): when a second leading-group member of
one unit is removed from party posts or worse in a year, intake opens the matter pursuing the
party committee's main and the discipline body's supervisory responsibility by itself, and
routing sends it on; a redelivered decision and a third such decision open nothing more.
Then Hubei's administrator reads 第十条's 年度内 as the twelve months ending on a decision
(interpretation point dual_investigation_year) from today: a removal last December and one
today do not open 一案双查 before the switch; after it the next removal does, the earlier
decision keeps its outcome, and the opened matter and the rules API name the point and the
reading. Across intake, routing and review over HTTP, NATS and PostgreSQL."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import time
import uuid
from collections.abc import Callable
from typing import Any

import nats
import pytest
from nats.js.errors import NotFoundError

from wenze.events import DecidedMeasure, DecisionMade, TargetSnapshot
from wenze.messaging.streams import ensure_stream, stream_for
from wenze.rules import get_pack

pytestmark = pytest.mark.integration

ARTICLE = "湖北省党风廉政建设主体责任和监督责任追究暂行办法 第十条"
COUNTING = "intake-decision-counted"
# A bound on waiting for the workers on a loaded machine; it asserts nothing about speed.
WAIT_SECONDS = 120.0


def wait_for(fetch: Callable[[], Any], what: str) -> Any:
    deadline = time.monotonic() + WAIT_SECONDS
    while time.monotonic() < deadline:
        if value := fetch():
            return value
        time.sleep(0.3)
    raise AssertionError(f"timed out waiting for {what}")


def member(name: str, unit: str) -> dict[str, Any]:
    return {
        "kind": "person",
        "name": name,
        "post": "党组成员、副局长",
        "unit": unit,
        "cadre_level": "section_level",
        "sector": "party_committee",
        "party_member": True,
    }


def sanction_member(hb: Any, name: str, unit: str, sanction: str) -> str:
    """Walk one member's matter to a decision removing him from party posts (or worse); its number."""
    matter = hb.submit_and_accept(
        "hb-responsibility-office",
        "hb-responsibility-office",
        source="petition",
        targets=[member(name, unit)],
    )
    slip = hb.routed_slip(matter["id"], "hb-responsibility-office")
    case = hb.case(slip["id"], "hb-responsibility-office")
    commission = hb.user("hb-commission")
    commission.ok(
        "review",
        f"/v1/investigations/{case['investigation']['id']}/findings",
        {"findings": "查明其分管领域发生严重违纪问题。", "evidence": ["谈话笔录", "审计报告"]},
    )
    commission.ok(
        "review",
        f"/v1/cases/{case['id']}/recommendations",
        {
            "target_index": 0,
            "statement": "分管范围内问题突出，需要追究纪律责任",
            "legal_basis": "第八条、第十三条",
            "severity": "serious",
            "duty_holder": "party_member",
            "role": "member_in_charge",
            "circumstances": ["member_self_discipline", "discipline_liability"],
            "proposed_measures": ["removal_from_party_posts"],
        },
    )
    today = get_pack("hubei").today()
    commission.ok(
        "review",
        f"/v1/cases/{case['id']}/hearings",
        {"target_index": 0, "held_on": today.isoformat(), "arguments": []},
    )
    decided = hb.user("hb-committee").ok(
        "review",
        f"/v1/cases/{case['id']}/decision",
        {
            "decided_on": today.isoformat(),
            "announced_on": (today + dt.timedelta(days=1)).isoformat(),
            "simplified": False,
            "facts_clear": True,
            "measures": [
                {
                    "target_index": 0,
                    "measures": ["removal_from_party_posts"],
                    "party_sanction": sanction,
                    "leading_group_member": True,
                }
            ],
        },
    )
    return decided["decision"]["number"]


def dual_investigations(reader: Any, unit: str) -> list[dict[str, Any]]:
    return reader.get("intake", "/v1/matters", source="dual_investigation", q=unit)["items"]


async def _republish(nats_url: str, subject: str, body: dict[str, Any]) -> None:
    """Put the same event on the stream again, as JetStream redelivers it after a lost ack
    (another message id, so the stream's duplicate window keeps it)."""
    nc = await nats.connect(nats_url)
    try:
        js = nc.jetstream()
        await ensure_stream(js, stream_for("review"))
        await js.publish(subject, json.dumps(body).encode(), headers={"Nats-Msg-Id": uuid.uuid4().hex})
    finally:
        await nc.close()


async def _counting_done(nats_url: str) -> bool:
    nc = await nats.connect(nats_url)
    try:
        info = await nc.jetstream().consumer_info(stream_for("review").name, COUNTING)
        return info.num_pending == 0 and info.num_ack_pending == 0
    finally:
        await nc.close()


def wait_counted(nats_url: str) -> None:
    """Until intake's counting consumer has handled and acknowledged every decision published."""
    wait_for(lambda: asyncio.run(_counting_done(nats_url)), "intake to count every decision")


def test_second_member_removed_opens_dual_investigation_once(tenant_for, events, nats_server) -> None:
    hb = tenant_for("wenze-hubei")
    commission = hb.user("hb-commission")
    made = events("review.hubei.decision.made.v1")
    unit = f"某县水利局{uuid.uuid4().hex[:6]}"

    first = sanction_member(hb, "陈立新", unit, "removal_from_party_post")
    # On the stream, then handled by the counting consumer.
    made.next(lambda e: e["number"] == first)
    wait_counted(nats_server.url)
    assert dual_investigations(commission, unit) == [], "one member removed is not enough"

    second = sanction_member(hb, "刘海波", unit, "expulsion")
    [opened] = wait_for(lambda: dual_investigations(commission, unit), "the 一案双查 matter")

    # Opened, registered and accepted by the platform, against the unit's two leading groups.
    assert opened["state"] == "accepted" and opened["source"] == "dual_investigation"
    assert opened["number"].startswith("HB-")
    assert [(t["kind"], t["sector"]) for t in opened["targets"]] == [
        ("organisation", "party_committee"),
        ("organisation", "discipline_body"),
    ]
    assert first in opened["facts"] and second in opened["facts"] and f"{ARTICLE}（四）" in opened["facts"]
    timeline = commission.get("intake", f"/v1/matters/{opened['id']}/timeline")
    [opening] = [e for e in timeline if e["action"] == "opened_by_rule"]
    assert opening["actor"] == "system:intake"
    assert opening["detail"]["triggers"] == ["leading_group_members_sanctioned"]
    assert {d["decision_number"] for d in opening["detail"]["decisions"]} == {first, second}
    assert f"{ARTICLE}（四）" in opening["detail"]["citations"]
    assert [e["action"] for e in timeline][-1] == "acceptance_decided"

    # Routing takes it like any accepted matter: each leading group to the discipline organ.
    slips = hb.slips(opened["id"], "hb-commission", count=2)
    assert {s["handler"] for s in slips} == {"discipline_commission"}

    # The second decision delivered again, then a third member expelled in the same year:
    # nothing new is opened.
    event, _ = made.next(lambda e: e["number"] == second)
    asyncio.run(_republish(nats_server.url, "review.hubei.decision.made.v1", event))
    third = sanction_member(hb, "赵明远", unit, "probation")
    made.next(lambda e: e["number"] == third)
    wait_counted(nats_server.url)
    assert [m["id"] for m in dual_investigations(commission, unit)] == [opened["id"]]


POINT = "dual_investigation_year"
LEARNING = "intake-interpretation-chosen"


async def _publish(nats_url: str, event: DecisionMade) -> None:
    """A decision recorded last year, on review's stream as review published it then."""
    nc = await nats.connect(nats_url)
    try:
        js = nc.jetstream()
        await ensure_stream(js, stream_for("review"))
        await js.publish(event.subject, event.model_dump_json().encode(), headers={"Nats-Msg-Id": str(event.event_id)})
    finally:
        await nc.close()


async def _learnt(nats_url: str) -> bool:
    nc = await nats.connect(nats_url)
    try:
        info = await nc.jetstream().consumer_info(stream_for("routing").name, LEARNING)
        return info.num_pending == 0 and info.num_ack_pending == 0 and info.delivered.stream_seq > 0
    except NotFoundError:
        return False
    finally:
        await nc.close()


def last_december_removal(unit: str, day: dt.date) -> DecisionMade:
    return DecisionMade(
        tenant="hubei",
        matter_id=uuid.uuid4(),
        decision_id=uuid.uuid4(),
        number=f"HB-JD-{day.year}-{uuid.uuid4().hex[:5]}",
        matter_number=f"HB-{day.year}-{uuid.uuid4().hex[:5]}",
        decided_by="same_level_party_committee",
        decided_on=day,
        announced_on=day,
        simplified_procedure=False,
        measures=[
            DecidedMeasure(
                target=TargetSnapshot(kind="person", name="王建国", unit=unit, cadre_level="section_level"),
                measures=["removal_from_party_posts"],
                party_sanction="removal_from_party_post",
                leading_group_member=True,
            )
        ],
        citations=["湖北省党风廉政建设主体责任和监督责任追究暂行办法 第十三条"],
    )


def evaluate_year(user: Any, on: dt.date) -> dict[str, Any]:
    response = user.post(
        "routing",
        "/v1/rules/decisions/one_case_two_investigations/evaluate",
        {"facts": {"members_removed_in_year_count": 1}, "on": on.isoformat()},
    )
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()
    return result


def test_switching_to_the_rolling_year_fires_for_later_decisions_only(tenant_for, events, nats_server) -> None:
    hb = tenant_for("wenze-hubei")
    commission = hb.user("hb-commission")
    admin = hb.user_with_roles("hb-responsibility-office", ["rules:admin"])
    made = events("review.hubei.decision.made.v1")
    today = get_pack("hubei").today()
    december = dt.date(today.year - 1, 12, 20)
    if (today - december).days >= 365:
        pytest.skip("last 20 December is more than a year ago: the rolling year would not reach it either")
    unit = f"某县交通局{uuid.uuid4().hex[:6]}"

    # Under the pack's default, the calendar year: last December's removal and today's do not meet.
    before = admin.get("routing", f"/v1/rules/points/{POINT}")
    assert before["in_force"]["reading"] == "calendar_year" and before["in_force"]["default"] is True
    asyncio.run(_publish(nats_server.url, last_december_removal(unit, december)))
    wait_counted(nats_server.url)
    earlier = sanction_member(hb, "孙志强", unit, "expulsion")
    made.next(lambda e: e["number"] == earlier)
    wait_counted(nats_server.url)
    assert dual_investigations(commission, unit) == [], "two calendar years' removals do not meet"

    # An office without rules:admin cannot choose; the administrator can, from today.
    refused = commission.post(
        "routing",
        f"/v1/rules/points/{POINT}/choices",
        {"reading": "rolling_year", "effective_from": today.isoformat(), "reason": "x"},
    )
    assert refused.status_code == 403
    chosen = admin.ok(
        "routing",
        f"/v1/rules/points/{POINT}/choices",
        {"reading": "rolling_year", "effective_from": today.isoformat(), "reason": "常委会决定按滚动年度计算"},
    )
    assert (chosen["reading"], chosen["effective_from"]) == ("rolling_year", today.isoformat())
    wait_for(lambda: asyncio.run(_learnt(nats_server.url)), "intake to learn the chosen reading")
    # The choice reopens nothing: the earlier decision keeps its outcome.
    assert dual_investigations(commission, unit) == []

    later = sanction_member(hb, "周文斌", unit, "probation")
    [opened] = wait_for(lambda: dual_investigations(commission, unit), "the 一案双查 matter")
    assert opened["source"] == "dual_investigation" and opened["state"] == "accepted"
    assert later in opened["facts"] and earlier in opened["facts"]
    assert POINT in opened["facts"] and "rolling_year" in opened["facts"]
    timeline = commission.get("intake", f"/v1/matters/{opened['id']}/timeline")
    [opening] = [e for e in timeline if e["action"] == "opened_by_rule"]
    assert opening["detail"]["triggers"] == ["leading_group_members_sanctioned"]
    assert f"{ARTICLE}（四）" in opening["detail"]["citations"]
    assert [(i["point"], i["reading"], i["default"]) for i in opening["detail"]["interpretations"]] == [
        (POINT, "rolling_year", False)
    ]
    assert (
        opening["detail"]["window"]["start"] == (today.replace(year=today.year - 1) + dt.timedelta(days=1)).isoformat()
    )

    # The rules API explains an outcome of the point by it, for dates on either side of the choice.
    after = evaluate_year(commission, today)
    [applied] = after["interpretations"]
    assert (applied["point"], applied["reading"], applied["default"]) == (POINT, "rolling_year", False)
    assert f"{ARTICLE}（四）" in [c["text"] for c in applied["citations"]]
    [prior] = evaluate_year(commission, today - dt.timedelta(days=1))["interpretations"]
    assert (prior["reading"], prior["default"]) == ("calendar_year", True)
    listed = commission.get("routing", "/v1/rules/points")
    assert listed["readings"][POINT] == "rolling_year"
