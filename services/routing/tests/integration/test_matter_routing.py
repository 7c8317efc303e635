"""The whole matter's facts weighed before its targets are routed one by one (Kunshan 附件2
第六条), and an override of a slip waiting for its consultation, over real NATS and PostgreSQL."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable

import httpx
import pytest

from wenze.events import ConsultationConcluded, TargetSnapshot
from wenze_devtools.testing.infra import ServiceProcess

from .support import accepted, events_for, publish, slips_of

pytestmark = pytest.mark.integration

KUNSHAN = "wenze-kunshan"
MIXED_FORMS = "昆纪办发〔2019〕19号 附件2 第六条"


@pytest.fixture(scope="module")
def api(slips_api: ServiceProcess) -> ServiceProcess:
    return slips_api


@pytest.fixture(scope="module")
def as_user(api: ServiceProcess, token) -> Callable[..., httpx.Client]:
    def make(username: str, realm: str = KUNSHAN, **overrides) -> httpx.Client:
        return httpx.Client(
            base_url=api.url, timeout=30, headers={"Authorization": f"Bearer {token(realm, username, **overrides)}"}
        )

    return make


def cadre(name: str, form: str | None, cadre_level: str = "city_managed", unit: str = "市发展和改革委员会"):
    return TargetSnapshot(
        kind="person", name=name, cadre_level=cadre_level, sector="city_department", unit=unit, proposed_form=form
    )


async def test_a_first_and_a_third_form_target_go_to_one_consultation_for_the_matter(api, as_user, nats_server):
    event = accepted(cadre("钱国强", "form_1"), cadre("孙立新", "form_3"))
    await publish(nats_server.url, event)
    (requested,) = await events_for(
        nats_server.url, "routing.kunshan.slip.consultation_requested.v1", str(event.matter_id)
    )
    assert [t["name"] for t in requested["targets"]] == ["钱国强", "孙立新"]
    assert requested["proposed_handler"] is None
    assert requested["handler_candidates"] == ["discipline_supervision_office", "review_investigation_office"]
    assert MIXED_FORMS in requested["citations"]
    assert requested["facts"]["matter_forms"] == ["form_1", "form_3"]
    assert requested["outcome"]["route_whole_matter"] is True

    with as_user("ks-intake") as client:
        # One slip for the matter: never one per target sent automatically to two offices.
        await asyncio.sleep(1)
        (slip,) = slips_of(client, str(event.matter_id))
        assert slip["state"] == "in_consultation" and slip["handler"] is None
        assert len(slip["targets"]) == 2
        assert "whole_matter_mixed_forms" in [f["rule"] for f in slip["explanation"]]
        (opened,) = client.get(f"/v1/slips/{slip['id']}/timeline").json()
        assert opened["detail"]["routed_as"] == "whole_matter"


async def test_targets_the_matter_does_not_join_are_routed_one_by_one(api, as_user, nats_server):
    event = accepted(cadre("钱国强", "form_2"), cadre("孙立新", "form_2"))
    await publish(nats_server.url, event)
    requested = await events_for(
        nats_server.url, "routing.kunshan.slip.consultation_requested.v1", str(event.matter_id), count=2
    )
    assert sorted(r["targets"][0]["name"] for r in requested) == ["孙立新", "钱国强"]
    assert {r["proposed_handler"] for r in requested} == {"discipline_supervision_office"}
    with as_user("ks-intake") as client:
        slips = slips_of(client, str(event.matter_id), count=2)
        for slip in slips:
            (opened,) = client.get(f"/v1/slips/{slip['id']}/timeline").json()
            # The matter's own evaluation is shown beside the target's, with its answer.
            assert opened["detail"]["matter_routing"]["outcome"]["route_whole_matter"] is False
            assert "targets_one_by_one" in opened["detail"]["matter_routing"]["fired"]


async def test_a_pack_without_a_matter_routing_step_routes_each_target(api, as_user, nats_server):
    person = TargetSnapshot(
        kind="person",
        name="王五",
        cadre_level="staff",
        sector="administrative_organ",
        unit="区住建局",
        proposed_form=None,
    )
    other = person.model_copy(update={"name": "赵六", "unit": "区交通局"})
    event = accepted(person, other, tenant="jintan")
    await publish(nats_server.url, event)
    with as_user("jt-conduct-office", realm="wenze-jintan") as client:
        slips = slips_of(client, str(event.matter_id), count=2)
    assert sorted(len(s["targets"]) for s in slips) == [1, 1]


async def test_an_override_sets_the_consultation_aside(api, as_user, nats_server):
    event = accepted(cadre("钱国强", "form_1"), cadre("孙立新", "form_3"))
    await publish(nats_server.url, event)
    (requested,) = await events_for(
        nats_server.url, "routing.kunshan.slip.consultation_requested.v1", str(event.matter_id)
    )
    slip_id = requested["slip_id"]
    with as_user("ks-leader", roles=["matter:read", "routing:override"]) as leader:
        done = leader.post(
            f"/v1/slips/{slip_id}/override",
            json={"handler": "review_investigation_office", "reason": "涉嫌职务违法，由审查调查室统一承办"},
        )
        assert done.status_code == 200, done.text
        (routed,) = await events_for(nats_server.url, "routing.kunshan.slip.routed.v1", str(event.matter_id))
        assert routed["fixed_by"] == "override" and routed["handler"] == "review_investigation_office"
        assert routed["override"] == {
            "by": "ks-leader",
            "office": "commission_leaders",
            "reason": "涉嫌职务违法，由审查调查室统一承办",
            "previous_handler": None,
            "previous_state": "in_consultation",
        }
        # The slip's first move: review keeps the latest routing of a slip by this count.
        assert routed["slip_revision"] == 1
        last = leader.get(f"/v1/slips/{slip_id}/timeline").json()[-1]
        assert last["action"] == "routed_by_override" and last["detail"]["consultation"] == "superseded"

        # A conclusion review reached before it learnt of the override changes nothing.
        concluded = ConsultationConcluded(
            tenant="kunshan",
            matter_id=event.matter_id,
            consultation_id=uuid.uuid4(),
            slip_id=uuid.UUID(slip_id),
            handler="discipline_supervision_office",
            decided_at_level="consensus",
            approved_by=["commission_leaders"],
        )
        await publish(nats_server.url, concluded)
        for _ in range(100):
            timeline = leader.get(f"/v1/slips/{slip_id}/timeline").json()
            if timeline[-1]["action"] == "consultation_set_aside":
                break
            await asyncio.sleep(0.2)
        assert timeline[-1]["action"] == "consultation_set_aside", timeline
        assert timeline[-1]["detail"]["kept"] == "review_investigation_office"
        slip = leader.get(f"/v1/slips/{slip_id}").json()
    assert slip["handler"] == "review_investigation_office" and slip["fixed_by"] == "override"
