"""Routing over real NATS and PostgreSQL: accepted matters in, numbered slips and events out."""

from __future__ import annotations

import asyncio
import datetime as dt
import uuid
from collections.abc import Callable

import asyncpg
import httpx
import nats
import pytest
from sqlalchemy.engine import make_url

from wenze.events import ConsultationConcluded, TargetsIdentified, TargetSnapshot
from wenze.messaging.streams import ensure_stream, stream_for
from wenze.rules import get_pack
from wenze_devtools.testing.infra import ServiceProcess

from .support import accepted, events_for, person, publish, slips_of

pytestmark = pytest.mark.integration

KUNSHAN = "wenze-kunshan"


@pytest.fixture(scope="module")
def api(slips_api: ServiceProcess) -> ServiceProcess:
    return slips_api


@pytest.fixture(scope="module")
def as_user(api: ServiceProcess, token) -> Callable[..., httpx.Client]:
    def make(username: str, **overrides) -> httpx.Client:
        return httpx.Client(
            base_url=api.url, timeout=30, headers={"Authorization": f"Bearer {token(KUNSHAN, username, **overrides)}"}
        )

    return make


async def test_city_managed_cadre_needs_a_consultation_first(api, as_user, nats_server) -> None:
    event = accepted(person("city_managed", "city_department"), proposed_form="form_2")
    await publish(nats_server.url, event)
    (requested,) = await events_for(
        nats_server.url, "routing.kunshan.slip.consultation_requested.v1", str(event.matter_id)
    )
    assert requested["lead"] == "party_conduct_office"
    assert {"case_management_office", "discipline_supervision_office"} <= set(requested["participants"])
    assert requested["approved_by"] == ["commission_leaders"]
    assert [s["step"] for s in requested["escalation"]] == ["leaders_in_charge", "secretary_special_meeting"]
    assert any("附件2 第二条" in c for c in requested["citations"])

    with as_user("ks-intake") as client:
        slips = slips_of(client, str(event.matter_id))
        assert len(slips) == 1, [(s["matter_id"], s["number"]) for s in slips]
        slip = slips[0]
        assert slip["state"] == "in_consultation" and slip["handler"] is None
        assert slip["number"].startswith("昆纪委问分〔2026〕")
        assert "牵头会商" in slip["opinion"]
        assert slip["explanation"] and all(f["citations"] for f in slip["explanation"])

        concluded = ConsultationConcluded(
            tenant="kunshan",
            matter_id=event.matter_id,
            consultation_id=uuid.uuid4(),
            slip_id=uuid.UUID(slip["id"]),
            handler="discipline_supervision_office",
            decided_at_level="consensus",
            approved_by=["commission_leaders"],
        )
        await publish(nats_server.url, concluded)
        (routed,) = await events_for(nats_server.url, "routing.kunshan.slip.routed.v1", str(event.matter_id))
        assert routed["handler"] == "discipline_supervision_office" and routed["fixed_by"] == "consultation"
        assert routed["slip_number"] == slip["number"]
        slip = client.get(f"/v1/slips/{slip['id']}").json()
        assert slip["state"] == "routed" and slip["fixed_by"] == "consultation"
        actions = [e["action"] for e in client.get(f"/v1/slips/{slip['id']}/timeline").json()]
        assert actions == ["opened", "routed_by_consultation"]


async def test_town_cadre_goes_straight_to_the_town_commission(api, as_user, nats_server) -> None:
    event = accepted(person("not_city_managed", "district_town"))
    await publish(nats_server.url, event)
    (routed,) = await events_for(nats_server.url, "routing.kunshan.slip.routed.v1", str(event.matter_id))
    assert routed["handler"] == "district_town_commission"
    assert routed["cc"] == ["discipline_supervision_office"]
    assert routed["fixed_by"] == "rules"
    assert any(c.endswith("三.2") for c in routed["citations"])


async def test_redelivered_acceptance_opens_one_slip(api, as_user, nats_server) -> None:
    event = accepted(person("not_city_managed", "city_department"))
    # A different message id gets past JetStream's de-duplication: the inbox must catch it.
    await publish(nats_server.url, event, msg_id="first")
    await publish(nats_server.url, event, msg_id="second")
    await events_for(nats_server.url, "routing.kunshan.slip.routed.v1", str(event.matter_id))
    await asyncio.sleep(1)
    with as_user("ks-intake") as client:
        assert len(client.get("/v1/slips", params={"matter_id": str(event.matter_id)}).json()) == 1


async def test_unknown_target_is_investigated_then_each_target_routed(api, as_user, nats_server) -> None:
    event = accepted(TargetSnapshot(kind="unknown", sector="district_town"))
    await publish(nats_server.url, event)
    (routed,) = await events_for(nats_server.url, "routing.kunshan.slip.routed.v1", str(event.matter_id))
    assert routed["handler"] is None
    assert routed["investigated_by"] == "discipline_supervision_office"
    assert routed["investigated_with"] == ["district_town_commission"]
    assert routed["reclassify_after_investigation"] is True

    identified = TargetsIdentified(
        tenant="kunshan",
        matter_id=event.matter_id,
        investigation_id=uuid.uuid4(),
        slip_id=uuid.UUID(routed["slip_id"]),
        targets=[person("not_city_managed", "district_town", "张三"), person("city_managed", "district_town", "李四")],
    )
    await publish(nats_server.url, identified)
    with as_user("ks-intake") as client:
        slips = slips_of(client, str(event.matter_id), count=3)
    by_state = {s["state"]: s for s in slips if s["parent_slip_id"] is None}
    assert set(by_state) == {"reclassified"}
    children = {s["targets"][0]["name"]: s for s in slips if s["parent_slip_id"] == routed["slip_id"]}
    assert children["张三"]["state"] == "routed" and children["张三"]["handler"] == "district_town_commission"
    assert children["李四"]["state"] == "in_consultation"

    with as_user("ks-leader", roles=["matter:read", "routing:override"]) as leader:
        refused = leader.post(
            f"/v1/slips/{routed['slip_id']}/override", json={"handler": "case_trial_office", "reason": "联系单位调整"}
        )
    assert refused.status_code == 409, refused.text
    assert refused.json()["type"].endswith("/slip-state-conflict")
    assert refused.json()["state"] == "reclassified"


async def test_override_needs_capability_a_known_office_and_a_reason(api, as_user, nats_server) -> None:
    event = accepted(person("not_city_managed", "district_town"))
    await publish(nats_server.url, event)
    (routed,) = await events_for(nats_server.url, "routing.kunshan.slip.routed.v1", str(event.matter_id))
    path = f"/v1/slips/{routed['slip_id']}/override"
    with as_user("ks-intake") as clerk:
        refused = clerk.post(path, json={"handler": "discipline_supervision_office", "reason": "联系单位调整"})
        assert refused.status_code == 403
        assert refused.headers["content-type"].startswith("application/problem+json")
    with as_user("ks-leader", roles=["matter:read", "routing:override"]) as leader:
        no_reason = leader.post(path, json={"handler": "discipline_supervision_office", "reason": "  "})
        assert no_reason.status_code == 422 and no_reason.json()["errors"][0]["field"] == "body.reason"
        unknown = leader.post(path, json={"handler": "planning_bureau", "reason": "联系单位调整"})
        assert unknown.status_code == 422 and unknown.json()["errors"][0]["field"] == "body.handler"
        assert leader.get(f"/v1/slips/{routed['slip_id']}").json()["handler"] == "district_town_commission"

        done = leader.post(path, json={"handler": "discipline_supervision_office", "reason": "联系单位调整"})
        assert done.status_code == 200, done.text
        assert done.json()["handler"] == "discipline_supervision_office" and done.json()["fixed_by"] == "override"
        last = leader.get(f"/v1/slips/{routed['slip_id']}/timeline").json()[-1]
        assert last["action"] == "routed_by_override" and last["actor"] == "ks-leader"
        assert last["detail"]["reason"] == "联系单位调整"
        assert last["detail"]["previous_handler"] == "district_town_commission"
    rerouted = await events_for(nats_server.url, "routing.kunshan.slip.routed.v1", str(event.matter_id), count=2)
    assert rerouted[-1]["handler"] == "discipline_supervision_office" and rerouted[-1]["fixed_by"] == "override"


def test_unknown_slip_is_a_404(as_user) -> None:
    with as_user("ks-intake") as client:
        response = client.get(f"/v1/slips/{uuid.uuid4()}")
    assert response.status_code == 404
    assert response.json()["type"].endswith("/slip-not-found")


async def test_a_burst_is_routed_once_each_with_consecutive_numbers(api, as_user, nats_server) -> None:
    # Published together, these reach the worker as one fetch and are routed in one transaction;
    # the repeat (same event, other message id) must still open no second slip.
    burst = [accepted(person("not_city_managed", "district_town", f"王{i}")) for i in range(12)]
    nc = await nats.connect(nats_server.url)
    try:
        js = nc.jetstream()
        await ensure_stream(js, stream_for("intake"))
        for event in [*burst, burst[3]]:
            await js.publish(event.subject, event.model_dump_json().encode(), headers={"Nats-Msg-Id": uuid.uuid4().hex})
    finally:
        await nc.close()
    with as_user("ks-intake") as client:
        slips = [slips_of(client, str(event.matter_id))[0] for event in burst]
        await asyncio.sleep(1)
        assert len(client.get("/v1/slips", params={"matter_id": str(burst[3].matter_id)}).json()) == 1
    assert all(s["state"] == "routed" and s["handler"] == "district_town_commission" for s in slips)
    sequence = sorted(int(s["number"].split("〕")[1].removesuffix("号")) for s in slips)
    assert sequence == list(range(sequence[0], sequence[0] + len(burst)))


async def slip_rows_of(database_url: str, matter_ids: list[str]) -> dict[str, list[dict]]:
    """Per matter, each of its slips with the tenants of the rows written with it (its access
    rows, the audit entry of its opening, its outbox events), read past row-level security."""
    conn = await asyncpg.connect(make_url(database_url).set(drivername="postgresql").render_as_string(False))
    try:
        rows = await conn.fetch(
            """
            SELECT s.matter_id, s.tenant, s.state,
                   ARRAY(SELECT DISTINCT a.tenant FROM routing.slip_access a WHERE a.slip_id = s.id) AS access,
                   ARRAY(SELECT l.tenant FROM routing.audit_log l
                          WHERE l.action = 'slip.open' AND l.object_id = s.id) AS audit,
                   ARRAY(SELECT o.subject FROM routing.outbox o
                          WHERE o.payload::jsonb ->> 'slip_id' = s.id) AS events
            FROM routing.slips s WHERE s.matter_id = ANY($1::varchar[])
            """,
            matter_ids,
        )
    finally:
        await conn.close()
    found: dict[str, list[dict]] = {m: [] for m in matter_ids}
    for row in rows:
        found[row["matter_id"]].append(dict(row))
    return found


async def test_a_burst_of_two_tenants_is_routed_each_under_its_own_tenant(
    api, as_user, token, nats_server, database_url
) -> None:
    # Fetched together, the two tenants' acceptances are routed in one transaction per tenant;
    # a redelivered copy of one of each (another message id, so JetStream keeps it) opens nothing.
    kunshan = [accepted(person("not_city_managed", "district_town", f"周{i}")) for i in range(6)]
    staff = TargetSnapshot(
        kind="person", name="吴", cadre_level="staff", sector="administrative_organ", unit="区住建局"
    )
    jintan = [accepted(staff.model_copy(update={"name": f"吴{i}"}), tenant="jintan") for i in range(6)]
    burst = [event for pair in zip(kunshan, jintan, strict=True) for event in pair] + [kunshan[2], jintan[4]]
    nc = await nats.connect(nats_server.url)
    try:
        js = nc.jetstream()
        await ensure_stream(js, stream_for("intake"))
        for event in burst:
            await js.publish(event.subject, event.model_dump_json().encode(), headers={"Nats-Msg-Id": uuid.uuid4().hex})
    finally:
        await nc.close()
    jt_client = httpx.Client(
        base_url=api.url, timeout=30, headers={"Authorization": f"Bearer {token('wenze-jintan', 'jt-conduct-office')}"}
    )
    with as_user("ks-intake") as ks_client, jt_client:
        ks_slips = [slips_of(ks_client, str(e.matter_id))[0] for e in kunshan]
        jt_slips = [slips_of(jt_client, str(e.matter_id))[0] for e in jintan]
        await asyncio.sleep(1)
        # Neither tenant sees the other's slips, even asking for them by matter or by id.
        assert ks_client.get("/v1/slips", params={"matter_id": str(jintan[0].matter_id)}).json() == []
        assert ks_client.get(f"/v1/slips/{jt_slips[0]['id']}").status_code == 404
        assert jt_client.get(f"/v1/slips/{ks_slips[0]['id']}").status_code == 404
    assert all(s["number"].startswith("昆纪委问分") for s in ks_slips)
    assert not any(s["number"].startswith("昆纪委问分") for s in jt_slips)
    expected = {str(e.matter_id): e.tenant for e in [*kunshan, *jintan]}
    found = await slip_rows_of(database_url, list(expected))
    for matter_id, tenant in expected.items():
        # One slip per matter, the redelivered ones included, and every row of it its tenant's.
        (slip,) = found[matter_id]
        assert slip["tenant"] == tenant and slip["access"] == [tenant] and slip["audit"] == [tenant], slip
        announced = 1 if slip["state"] in ("routed", "in_consultation") else 0
        assert len(slip["events"]) == announced, slip
        assert all(subject.split(".")[1] == tenant for subject in slip["events"]), slip


@pytest.mark.parametrize("relevant_date", [dt.date(9999, 12, 31), dt.date(2025, 6, 30)])
async def test_slip_numbers_take_the_year_of_issue_never_the_matters_relevant_date(
    api, as_user, nats_server, relevant_date: dt.date
) -> None:
    event = accepted(person("not_city_managed", "district_town"), relevant_date=relevant_date)
    await publish(nats_server.url, event)
    with as_user("ks-intake") as client:
        (slip,) = slips_of(client, str(event.matter_id))
    issued_in = get_pack("kunshan").today().year
    assert issued_in != relevant_date.year
    assert slip["number"].startswith(f"昆纪委问分〔{issued_in}〕"), slip["number"]
    # The relevant date still decides which rules apply.
    assert slip["relevant_date"] == relevant_date.isoformat()


async def test_an_override_repeated_with_its_idempotency_key_is_applied_once(api, as_user, nats_server) -> None:
    event = accepted(person("not_city_managed", "district_town"))
    await publish(nats_server.url, event)
    (routed,) = await events_for(nats_server.url, "routing.kunshan.slip.routed.v1", str(event.matter_id))
    path = f"/v1/slips/{routed['slip_id']}/override"
    body = {"handler": "discipline_supervision_office", "reason": "联系单位调整"}
    key = {"Idempotency-Key": f"override-{uuid.uuid4()}"}
    with as_user("ks-leader", roles=["matter:read", "routing:override"]) as leader:
        first = leader.post(path, json=body, headers=key)
        assert first.status_code == 200, first.text
        assert "Idempotency-Replayed" not in first.headers
        again = leader.post(path, json=body, headers=key)
        assert again.status_code == 200, again.text
        assert again.headers["Idempotency-Replayed"] == "true"
        assert again.json() == first.json()

        other = leader.post(path, json={**body, "handler": "case_trial_office"}, headers=key)
        assert other.status_code == 409 and other.json()["type"].endswith("/idempotency-key-reused")

        actions = [e["action"] for e in leader.get(f"/v1/slips/{routed['slip_id']}/timeline").json()]
        assert actions == ["opened", "routed_by_override"]
        assert leader.get(path.removesuffix("/override")).json()["handler"] == "discipline_supervision_office"


async def test_a_username_as_long_as_keycloak_allows_is_kept_whole(api, as_user, nats_server) -> None:
    username = "长" * 200 + "x" * 55  # Keycloak's longest: 255 characters
    event = accepted(person("not_city_managed", "district_town"))
    await publish(nats_server.url, event)
    (routed,) = await events_for(nats_server.url, "routing.kunshan.slip.routed.v1", str(event.matter_id))
    path = f"/v1/slips/{routed['slip_id']}"
    overrider = as_user("ks-leader", roles=["matter:read", "routing:override"], claims={"preferred_username": username})
    with overrider:
        body = {"handler": "discipline_supervision_office", "reason": "联系单位调整"}
        overridden = overrider.post(f"{path}/override", json=body)
        assert overridden.status_code == 200, overridden.text
        timeline = overrider.get(f"{path}/timeline").json()
        assert [(e["action"], e["actor"]) for e in timeline][-1] == ("routed_by_override", username)
