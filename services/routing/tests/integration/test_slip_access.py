"""Who reads a routing slip and who forces its routing, over real HTTP, NATS and PostgreSQL: the
party offices, authority over the targets' levels and the offices' linked units decide; a
slip the caller may not read is not found; every change and read is in the audit log."""

from __future__ import annotations

import uuid
from collections.abc import Callable

import httpx
import pytest
from sqlalchemy import text

from wenze.db import create_engine
from wenze.db.audit import chain_pending, verify_chains
from wenze.events import ConsultationConcluded, TargetsIdentified, TargetSnapshot
from wenze_devtools.testing.infra import ServiceProcess
from wenze_devtools.testing.issuer import DEFAULT_INTEGRATOR_SECRET, INTEGRATOR_CLIENT

from .support import accepted, events_for, person, publish, slips_of

pytestmark = pytest.mark.integration

OVERRIDE = ["matter:read", "routing:override"]
CHANGE = {"handler": "case_trial_office", "reason": "联系单位调整"}
TO_COMMISSION = {"handler": "district_commission", "reason": "移交区纪委监委"}


@pytest.fixture(scope="module")
def as_user(slips_api: ServiceProcess, token) -> Callable[..., httpx.Client]:
    def make(username: str, realm: str = "wenze-kunshan", **overrides) -> httpx.Client:
        headers = {"Authorization": f"Bearer {token(realm, username, **overrides)}"}
        return httpx.Client(base_url=slips_api.url, timeout=30, headers=headers)

    return make


def not_found(response: httpx.Response, slip_id: str) -> None:
    """Exactly what a slip that does not exist gets: nothing tells that this one does."""
    assert response.status_code == 404, response.text
    assert response.json()["type"].endswith("/slip-not-found")
    assert response.json()["detail"] == f"no routing slip {slip_id} in the caller's tenant"


def refused(response: httpx.Response, slug: str) -> dict:
    assert response.status_code == 403, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    body = response.json()
    assert body["type"].endswith(f"/{slug}"), body
    return body


async def routed(nats_url: str, event, reader: httpx.Client) -> dict:
    await publish(nats_url, event)
    (slip,) = slips_of(reader, str(event.matter_id))
    return slip


async def test_a_town_commission_reads_no_city_managed_cadre_of_its_town_nor_a_consultation_it_is_not_in(
    slips_api, as_user, nats_server
) -> None:
    # Both in the commission's own town; only the second cadre is within its authority.
    city_cadre = accepted(person("city_managed", "district_town", unit="巴城镇"), proposed_form="form_2")
    town_cadre = accepted(person("not_city_managed", "district_town", unit="巴城镇"))
    with as_user("ks-intake") as intake:
        in_consultation = await routed(nats_server.url, city_cadre, intake)
        handled_by_town = await routed(nats_server.url, town_cadre, intake)
    # The consultation's participants are the commission's offices; the town commission is not one.
    assert in_consultation["state"] == "in_consultation"
    assert handled_by_town["handler"] == "district_town_commission"

    with as_user("ks-town-bacheng") as commission:
        not_found(commission.get(f"/v1/slips/{in_consultation['id']}"), in_consultation["id"])
        not_found(commission.get(f"/v1/slips/{in_consultation['id']}/timeline"), in_consultation["id"])
        assert commission.get("/v1/slips", params={"matter_id": str(city_cadre.matter_id)}).json() == []
        listed = {s["id"] for s in commission.get("/v1/slips", params={"limit": 500}).json()}
        assert handled_by_town["id"] in listed and in_consultation["id"] not in listed
        assert commission.get(f"/v1/slips/{handled_by_town['id']}").status_code == 200

    # Once the consultation makes it the handler, the commission is a party and reads it.
    await publish(
        nats_server.url,
        ConsultationConcluded(
            tenant="kunshan",
            matter_id=city_cadre.matter_id,
            consultation_id=uuid.uuid4(),
            slip_id=uuid.UUID(in_consultation["id"]),
            handler="district_town_commission",
            decided_at_level="consensus",
            approved_by=["commission_leaders"],
        ),
    )
    await events_for(nats_server.url, "routing.kunshan.slip.routed.v1", str(city_cadre.matter_id))
    with as_user("ks-town-bacheng") as commission:
        assert commission.get(f"/v1/slips/{in_consultation['id']}").json()["handler"] == "district_town_commission"


async def test_an_office_linked_to_town_a_cannot_force_the_routing_of_town_bs_slip(
    slips_api, as_user, nats_server
) -> None:
    # Both in consultation with the discipline-supervision offices taking part: they read both.
    town_a = accepted(person("city_managed", "district_town", unit="玉山镇"), proposed_form="form_2")
    town_b = accepted(person("city_managed", "district_town", unit="张浦镇"), proposed_form="form_2")
    with as_user("ks-intake") as intake:
        slip_a = await routed(nats_server.url, town_a, intake)
        slip_b = await routed(nats_server.url, town_b, intake)

    # The first supervision office is linked to 玉山镇, not to 张浦镇; routing assigns no step by name.
    with as_user("ks-supervision-1", roles=OVERRIDE) as supervision:
        assert supervision.get(f"/v1/slips/{slip_b['id']}").status_code == 200
        body = refused(supervision.post(f"/v1/slips/{slip_b['id']}/override", json=CHANGE), "outside-linked-units")
        assert body["units"] == ["张浦镇"]
        assert supervision.get(f"/v1/slips/{slip_b['id']}").json()["state"] == "in_consultation"

        done = supervision.post(f"/v1/slips/{slip_a['id']}/override", json=CHANGE)
        assert done.status_code == 200, done.text
        assert done.json()["handler"] == "case_trial_office"


async def test_a_jintan_unit_office_cannot_force_the_routing_of_a_section_level_leader(
    slips_api, as_user, nats_server
) -> None:
    leader = accepted(person("section_leader", None, name="陈刚", unit="区教育局"), tenant="jintan")
    staff = accepted(person("staff", None, name="王芳", unit="区教育局"), tenant="jintan")
    with as_user("jt-conduct-office", realm="wenze-jintan") as conduct_office:
        leader_slip = await routed(nats_server.url, leader, conduct_office)
        staff_slip = await routed(nats_server.url, staff, conduct_office)
    assert (leader_slip["handler"], staff_slip["handler"]) == ("conduct_office", "competent_unit")

    def unit() -> httpx.Client:
        return as_user("jt-unit-education", realm="wenze-jintan", roles=OVERRIDE)

    with unit() as education:
        # Neither party to it nor with authority over section-level leaders: it is not found.
        not_found(education.get(f"/v1/slips/{leader_slip['id']}"), leader_slip["id"])
        not_found(education.post(f"/v1/slips/{leader_slip['id']}/override", json=TO_COMMISSION), leader_slip["id"])
        # Its own staff member's slip it handles, and may route elsewhere.
        assert education.post(f"/v1/slips/{staff_slip['id']}/override", json=TO_COMMISSION).status_code == 200

    # Named the handler by the conduct office, the unit reads the leader's slip, and still
    # cannot route it: a section-level leader is beyond its authority.
    with as_user("jt-conduct-office", realm="wenze-jintan", roles=OVERRIDE) as conduct_office:
        handed = conduct_office.post(
            f"/v1/slips/{leader_slip['id']}/override", json={"handler": "competent_unit", "reason": "交由主管部门"}
        )
        assert handed.status_code == 200, handed.text
    with unit() as education:
        assert education.get(f"/v1/slips/{leader_slip['id']}").json()["handler"] == "competent_unit"
        body = refused(
            education.post(f"/v1/slips/{leader_slip['id']}/override", json=TO_COMMISSION), "outside-authority"
        )
        assert body["levels"] == ["section_leader"]


async def test_an_integrator_reads_no_slip(slips_api, as_user, nats_server, issuer_url: str) -> None:
    with as_user("ks-intake") as intake:
        slip = await routed(nats_server.url, accepted(person("not_city_managed", "district_town")), intake)
    granted = httpx.post(
        f"{issuer_url}/realms/wenze-kunshan/protocol/openid-connect/token",
        data={"grant_type": "client_credentials"},
        auth=(INTEGRATOR_CLIENT, DEFAULT_INTEGRATOR_SECRET),
        timeout=10,
    )
    granted.raise_for_status()
    headers = {"Authorization": f"Bearer {granted.json()['access_token']}"}
    # A slip does not carry who submitted its matter: integrators follow their matters in intake.
    with httpx.Client(base_url=slips_api.url, headers=headers, timeout=30) as integrator:
        not_found(integrator.get(f"/v1/slips/{slip['id']}"), slip["id"])
        not_found(integrator.get(f"/v1/slips/{slip['id']}/timeline"), slip["id"])
        assert integrator.get("/v1/slips", params={"matter_id": slip["matter_id"]}).json() == []
        assert integrator.get("/v1/slips").json() == []


async def test_every_change_and_read_of_a_slip_is_in_the_audit_log(
    slips_api, as_user, nats_server, database_url: str
) -> None:
    event = accepted(person("city_managed", "city_department", unit="市发展和改革委员会"), proposed_form="form_2")
    with as_user("ks-intake") as intake:
        slip = await routed(nats_server.url, event, intake)
        intake.get(f"/v1/slips/{slip['id']}").raise_for_status()
        intake.get(f"/v1/slips/{slip['id']}/timeline").raise_for_status()
    await publish(
        nats_server.url,
        ConsultationConcluded(
            tenant="kunshan",
            matter_id=event.matter_id,
            consultation_id=uuid.uuid4(),
            slip_id=uuid.UUID(slip["id"]),
            handler="discipline_supervision_office",
            decided_at_level="consensus",
            approved_by=["commission_leaders"],
        ),
    )
    await events_for(nats_server.url, "routing.kunshan.slip.routed.v1", str(event.matter_id))
    with as_user("ks-leader") as leader:
        leader.post(f"/v1/slips/{slip['id']}/override", json=CHANGE).raise_for_status()

    engine = create_engine(database_url, schema="routing")
    try:
        async with engine.connect() as conn:
            entries = (
                await conn.execute(
                    text(
                        "SELECT action, actor, office, client_address, detail FROM audit_log "
                        "WHERE tenant = 'kunshan' AND (object_id = :slip "
                        "OR detail -> 'slip_ids' @> jsonb_build_array(CAST(:slip AS text))) ORDER BY id"
                    ),
                    {"slip": slip["id"]},
                )
            ).all()
            await chain_pending(engine, "kunshan")
            [chain] = await verify_chains(conn, "kunshan")
    finally:
        await engine.dispose()
    who = [(e.action, e.actor, e.office, e.client_address) for e in entries]
    # Polling lists that came before the slip existed did not show it: they are not its entries.
    assert who == [
        ("slip.open", "system:routing", None, None),
        ("slip.list", "ks-intake", "party_conduct_office", "127.0.0.1"),
        ("slip.read", "ks-intake", "party_conduct_office", "127.0.0.1"),
        ("slip.timeline", "ks-intake", "party_conduct_office", "127.0.0.1"),
        ("slip.conclude_consultation", "system:routing", None, None),
        ("slip.override", "ks-leader", "commission_leaders", "127.0.0.1"),
    ], who
    opened, listed, *_, concluded, overridden = (e.detail for e in entries)
    assert opened["matter_id"] == str(event.matter_id) and opened["state"] == "in_consultation"
    assert listed["filters"]["matter_id"] == str(event.matter_id) and listed["count"] == 1
    assert concluded["handler"] == "discipline_supervision_office"
    assert overridden == {
        "handler": "case_trial_office",
        "previous_handler": "discipline_supervision_office",
        "previous_state": "routed",
    }
    assert chain.sound, chain


async def test_reclassifying_a_slip_is_in_the_audit_log_with_the_slips_it_opened(
    slips_api, as_user, nats_server, database_url: str
) -> None:
    event = accepted(TargetSnapshot(kind="unknown", sector="district_town", unit="巴城镇"))
    await publish(nats_server.url, event)
    (routed_event,) = await events_for(nats_server.url, "routing.kunshan.slip.routed.v1", str(event.matter_id))
    parent = routed_event["slip_id"]
    identified = TargetsIdentified(
        tenant="kunshan",
        matter_id=event.matter_id,
        investigation_id=uuid.uuid4(),
        slip_id=uuid.UUID(parent),
        targets=[person("not_city_managed", "district_town", "张三", unit="巴城镇")],
    )
    await publish(nats_server.url, identified)
    with as_user("ks-intake") as intake:
        (child,) = [s for s in slips_of(intake, str(event.matter_id), count=2) if s["parent_slip_id"] == parent]

    engine = create_engine(database_url, schema="routing")
    try:
        async with engine.connect() as conn:
            entries = (
                await conn.execute(
                    text(
                        "SELECT action, actor, object_id, detail FROM audit_log WHERE tenant = 'kunshan' "
                        "AND object_id IN (:parent, :child) AND action NOT IN ('slip.read', 'slip.timeline') "
                        "ORDER BY id"
                    ),
                    {"parent": parent, "child": child["id"]},
                )
            ).all()
    finally:
        await engine.dispose()
    assert [(e.action, e.actor, e.object_id) for e in entries] == [
        ("slip.open", "system:routing", parent),
        ("slip.reclassify", "system:routing", parent),
        ("slip.open", "system:routing", child["id"]),
    ]
    assert entries[1].detail["slip_ids"] == [child["id"]]
    assert entries[1].detail["event_id"] == entries[2].detail["event_id"] == str(identified.event_id)
    assert entries[2].detail["parent_slip_id"] == parent


async def test_slip_lists_show_what_concerns_the_callers_office_unless_widened(slips_api, as_user, nats_server) -> None:
    """Two offices of one tenant each list the slips naming them; the case-management office,
    which oversees the tenant's matters, lists neither by default and both with ``mine=false``."""
    town_cadre = accepted(person("not_city_managed", "district_town", unit="巴城镇"))
    department_cadre = accepted(person("not_city_managed", "city_department", unit="市财政局"))
    with as_user("ks-intake") as intake:
        town_slip = await routed(nats_server.url, town_cadre, intake)
        department_slip = await routed(nats_server.url, department_cadre, intake)
    ours = {town_slip["id"], department_slip["id"]}
    assert town_slip["handler"] == "district_town_commission"
    assert department_slip["handler"] == "dispatched_organ"

    def listed(client: httpx.Client, **params: str) -> set[str]:
        response = client.get("/v1/slips", params={"limit": "500", **params})
        assert response.status_code == 200, response.text
        return {s["id"] for s in response.json()} & ours

    every_level = {"cadre_authority": ["city_managed", "not_city_managed", "township_section"]}
    with as_user("ks-case-management", claims=every_level) as overseer:
        assert listed(overseer) == set()
        assert listed(overseer, mine="false") == ours
        assert listed(overseer, matter_id=str(town_cadre.matter_id)) == {town_slip["id"]}
        assert listed(overseer, matter_id=str(town_cadre.matter_id), mine="true") == set()
    with as_user("ks-town-bacheng") as town, as_user("ks-dispatched-1") as dispatched:
        assert listed(town) == {town_slip["id"]}
        assert listed(dispatched) == {department_slip["id"]}
