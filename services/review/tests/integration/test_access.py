"""Office and authority over HTTP, with the demo users' own tokens: who reads a matter's
consultations, cases, tasks and timelines, who acts on a step, and what the audit log records.

Reading goes by matter (docs/access.md): an office party to it, or one that oversees the
tenant's matters or is linked to their units, within its authority over the targets' levels.
Anyone else gets the 404 of an id that does not exist.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import httpx
import pytest
from sqlalchemy import select

from wenze.db import create_engine
from wenze.db.audit import AUDIT_LOG, ChainReport, chain_pending, verify_chains
from wenze_devtools.testing.issuer import DEFAULT_INTEGRATOR_SECRET, INTEGRATOR_CLIENT

from .conftest import REALM
from .support import PERSON, TENANT, TOWN_PERSON, consultation_event, find_task, publish, routed_event, wait_for

pytestmark = pytest.mark.integration

# A city-managed cadre of the town of 巴城镇, which the town commission is linked to.
CITY_CADRE_OF_BACHENG = PERSON.model_copy(update={"unit": "巴城镇"})
# A city-managed cadre of 张浦镇: the second discipline-supervision office's town, not the first's.
CITY_CADRE_OF_ZHANGPU = PERSON.model_copy(update={"unit": "张浦镇"})


class AuditLog:
    """The review service's audit entries of the tenant, read when the test asks."""

    def __init__(self, database_url: str) -> None:
        self.engine = create_engine(database_url, schema="review")
        self.entries: list[dict] = []

    async def read(self) -> list[dict]:
        async with self.engine.connect() as connection:
            rows = await connection.execute(
                select(AUDIT_LOG).where(AUDIT_LOG.c.tenant == TENANT).order_by(AUDIT_LOG.c.id)
            )
            self.entries = [dict(r._mapping) for r in rows]
        return self.entries

    async def verify(self) -> list[ChainReport]:
        """The tenant's chain, once every entry committed so far is linked into it."""
        await chain_pending(self.engine, TENANT)
        async with self.engine.connect() as connection:
            return await verify_chains(connection, TENANT)


@pytest.fixture
async def audit_log(review_database: str) -> AsyncIterator[AuditLog]:
    log = AuditLog(review_database)
    yield log
    await log.engine.dispose()


def entries_of(entries: list[dict], object_id: str) -> list[tuple[str, str, str | None]]:
    return [(e["action"], e["actor"], e["office"]) for e in entries if e["object_id"] == object_id]


async def test_a_town_commission_reads_neither_a_city_cadres_matter_nor_a_consultation_it_is_not_party_to(
    as_office, as_demo_user, review_nats
) -> None:
    consultation = consultation_event(targets=[CITY_CADRE_OF_BACHENG])
    routed = routed_event(CITY_CADRE_OF_BACHENG, start_approved_by=[])
    for event in (consultation, routed):
        await publish(review_nats.url, event)
    conduct = as_office("party_conduct_office", ["consultation:sign"], username="access-conduct")
    consultation_id = find_task(conduct, consultation.matter_id, "consultation_signature")["subject_id"]
    supervision = as_demo_user("ks-supervision-1")
    case = wait_for(lambda: supervision.get("/v1/cases", params={"matter_id": str(routed.matter_id)}).json())[0]

    # Its own town, but a city-managed cadre: outside its authority, and nobody named it.
    town = as_demo_user("ks-town-bacheng")
    for path in (
        f"/v1/consultations/{consultation_id}",
        f"/v1/matters/{consultation.matter_id}/timeline",
        f"/v1/cases/{case['id']}",
        f"/v1/cases/{case['id']}/timeline",
        f"/v1/matters/{routed.matter_id}/timeline",
    ):
        response = town.get(path)
        assert response.status_code == 404, f"{path}: {response.text}"
        assert response.headers["content-type"].startswith("application/problem+json")
    assert town.get("/v1/cases", params={"matter_id": str(routed.matter_id)}).json() == []
    assert all(c["matter_id"] != str(routed.matter_id) for c in town.get("/v1/cases").json())
    # The 404 is the one of an id nothing has: the refusal tells nothing.
    nothing = str(uuid.uuid4())
    unknown = town.get(f"/v1/consultations/{nothing}").text.replace(nothing, "ID")
    assert town.get(f"/v1/consultations/{consultation_id}").text.replace(consultation_id, "ID") == unknown

    # Copied on a city cadre's slip, it is party to that matter and reads it.
    copied = routed_event(CITY_CADRE_OF_BACHENG, start_approved_by=[], cc=["district_town_commission"])
    await publish(review_nats.url, copied)
    assert wait_for(lambda: town.get("/v1/cases", params={"matter_id": str(copied.matter_id)}).json())
    # A cadre within its authority in its town: it reads the matter through its link to the town
    # even when another office handles it.
    elsewhere = routed_event(TOWN_PERSON, handler="discipline_supervision_office", start_approved_by=[])
    await publish(review_nats.url, elsewhere)
    assert wait_for(lambda: town.get("/v1/cases", params={"matter_id": str(elsewhere.matter_id)}).json())


async def test_a_supervision_office_acts_on_another_towns_matter_only_once_it_is_given_the_task(
    as_demo_user, review_nats, audit_log
) -> None:
    routed = routed_event(CITY_CADRE_OF_ZHANGPU, start_approved_by=[])
    await publish(review_nats.url, routed)
    first, second = as_demo_user("ks-supervision-1"), as_demo_user("ks-supervision-2")
    task = find_task(first, routed.matter_id, "investigation")
    case = first.get(f"/v1/cases/{task['case_id']}").json()
    findings = f"/v1/investigations/{case['investigation']['id']}/findings"
    body = {"findings": "查明未按期整改", "evidence": ["询问笔录"]}

    # Linked to 玉山镇, 周市镇, ...: not to 张浦镇. It reads the case (its office handles it) but
    # neither takes the task nor records the findings.
    for response in (first.post(findings, json=body), first.post(f"/v1/tasks/{task['id']}/claim")):
        assert response.status_code == 403, response.text
        assert response.json()["type"].endswith("/outside-linked-units")
        assert response.json()["units"] == ["张浦镇"]
    assert first.get(f"/v1/cases/{case['id']}").json()["investigation"]["state"] == "open"

    # The office linked to 张浦镇 takes it and hands it to the first by name.
    assert second.post(f"/v1/tasks/{task['id']}/claim").status_code == 200
    handed = second.post(f"/v1/tasks/{task['id']}/reassign", json={"username": "ks-supervision-1"})
    assert handed.status_code == 200, handed.text
    found = first.post(findings, json=body)
    assert found.status_code == 200, found.text
    assert found.json()["state"] == "recommending"

    # Given the investigation, not the recommendation that follows: that one is not its own.
    recommendation = find_task(first, routed.matter_id, "recommendation")
    refused = first.post(f"/v1/tasks/{recommendation['id']}/claim")
    assert refused.status_code == 403 and refused.json()["type"].endswith("/outside-linked-units")

    entries = await audit_log.read()
    assert entries_of(entries, task["id"]) == [
        ("task.claim", "ks-supervision-2", "discipline_supervision_office"),
        ("task.reassign", "ks-supervision-2", "discipline_supervision_office"),
    ]
    (reassigned,) = [e for e in entries if e["object_id"] == task["id"] and e["action"] == "task.reassign"]
    assert reassigned["detail"]["to"] == "ks-supervision-1" and reassigned["client_address"] == "127.0.0.1"
    (completed,) = [e for e in entries if e["object_id"] == case["investigation"]["id"]]
    assert (completed["action"], completed["actor"], completed["office"]) == (
        "investigation.complete",
        "ks-supervision-1",
        "discipline_supervision_office",
    )
    assert completed["detail"]["matter_id"] == str(routed.matter_id) and completed["client_address"] == "127.0.0.1"
    # Refused requests change nothing, so they leave no entry.
    assert not [e for e in entries if e["object_id"] == recommendation["id"]]


async def test_an_integrator_reads_nothing_of_review(as_office, review_nats, oidc_issuer, review_api) -> None:
    """Integrators see what they submitted; review is not told who submitted a matter, so
    an integrator's service account sees none of its consultations, cases or tasks."""
    consultation = consultation_event()
    routed = routed_event(start_approved_by=[])
    for event in (consultation, routed):
        await publish(review_nats.url, event)
    conduct = as_office("party_conduct_office", ["consultation:sign"], username="access-integrator-check")
    consultation_id = find_task(conduct, consultation.matter_id, "consultation_signature")["subject_id"]
    supervision = as_office("discipline_supervision_office", [], username="access-integrator-handler")
    case = wait_for(lambda: supervision.get("/v1/cases", params={"matter_id": str(routed.matter_id)}).json())[0]

    token = httpx.post(
        f"{oidc_issuer.base_url}/realms/{REALM}/protocol/openid-connect/token",
        data={
            "grant_type": "client_credentials",
            "client_id": INTEGRATOR_CLIENT,
            "client_secret": DEFAULT_INTEGRATOR_SECRET,
        },
    ).json()["access_token"]
    with httpx.Client(base_url=review_api.url, headers={"Authorization": f"Bearer {token}"}, timeout=30) as integrator:
        for path in (
            f"/v1/consultations/{consultation_id}",
            f"/v1/cases/{case['id']}",
            f"/v1/cases/{case['id']}/timeline",
            f"/v1/matters/{routed.matter_id}/timeline",
        ):
            assert integrator.get(path).status_code == 404, path
        assert integrator.get("/v1/cases").json() == []
        assert integrator.get("/v1/cases", params={"matter_id": str(routed.matter_id)}).json() == []
        assert integrator.get("/v1/tasks").json() == []


async def test_every_step_reads_and_lists_leave_an_entry_and_the_chain_holds(as_office, review_nats, audit_log) -> None:
    event = consultation_event()
    await publish(review_nats.url, event)
    conduct = as_office("party_conduct_office", ["consultation:sign"], username="audit-conduct")
    consultation_id = find_task(conduct, event.matter_id, "consultation_signature")["subject_id"]
    path = f"/v1/consultations/{consultation_id}"
    assert conduct.get(path).status_code == 200
    assert conduct.post(f"{path}/signatures", json={"opinion": "agree"}).status_code == 200
    trial = as_office("case_trial_office", ["consultation:sign"], username="audit-trial")
    assert trial.post(f"{path}/signatures", json={"opinion": "agree"}).status_code == 200
    leader = as_office("commission_leaders", ["approval:sign"], username="audit-leader")
    key = {"Idempotency-Key": f"audit-approve-{consultation_id}"}
    assert leader.post(f"{path}/approvals", json={}, headers=key).json()["state"] == "concluded"
    # A replay changes nothing: no second entry.
    assert leader.post(f"{path}/approvals", json={}, headers=key).headers["Idempotency-Replayed"] == "true"
    assert leader.get("/v1/tasks", params={"state": "done"}).status_code == 200

    log = await audit_log.read()
    assert entries_of(log, consultation_id) == [
        ("consultation.open", "system:review", None),
        ("consultation.read", "audit-conduct", "party_conduct_office"),
        ("consultation.sign", "audit-conduct", "party_conduct_office"),
        ("consultation.sign", "audit-trial", "case_trial_office"),
        ("consultation.approve", "audit-leader", "commission_leaders"),
    ]
    entries = [e for e in log if e["object_id"] == consultation_id]
    assert entries[0]["client_address"] is None and entries[0]["detail"]["slip_id"] == str(event.slip_id)
    assert all(e["client_address"] == "127.0.0.1" for e in entries[1:])
    assert all(e["detail"]["matter_id"] == str(event.matter_id) for e in entries)
    assert [e["detail"]["state"] for e in entries[2:]] == ["signing", "approving", "concluded"]
    listed = [e for e in log if e["action"] == "task.list" and e["actor"] == "audit-leader"][-1]
    assert listed["detail"]["state"] == "done" and listed["detail"]["count"] >= 1

    # Every entry of the tenant so far, whichever test or consumer wrote it, links to the one before.
    (report,) = await audit_log.verify()
    assert report.sound, report
    assert report.entries >= len(log)


async def test_case_lists_show_what_concerns_the_callers_office_unless_widened(as_office, review_nats) -> None:
    """Two offices of one tenant each list their own office's cases by default; an office
    overseeing the tenant's matters lists what it is party to, and widens the list to every
    case it may read with ``mine=false``. Asked for one matter's cases, it sees them."""
    supervised = routed_event(PERSON)
    investigated = routed_event(
        PERSON, handler="review_investigation_office", outcome={"handler": "review_investigation_office"}
    )
    for event in (supervised, investigated):
        await publish(review_nats.url, event)
    supervision = as_office("discipline_supervision_office", [], username="lists-supervision")
    investigation = as_office("review_investigation_office", [], username="lists-investigation")
    overseer = as_office(
        "case_management_office",
        ["matter:oversee"],
        username="lists-overseer",
        authority=["city_managed", "not_city_managed"],
    )

    def matters_listed(client: httpx.Client, **params: str) -> set[str]:
        response = client.get("/v1/cases", params={"limit": "200", **params})
        assert response.status_code == 200, response.text
        return {c["matter_id"] for c in response.json()}

    ours = {str(supervised.matter_id), str(investigated.matter_id)}
    assert wait_for(lambda: ours <= matters_listed(overseer, mine="false"))
    assert matters_listed(supervision) & ours == {str(supervised.matter_id)}
    assert matters_listed(investigation) & ours == {str(investigated.matter_id)}
    assert matters_listed(investigation, mine="false") & ours == {str(investigated.matter_id)}
    assert matters_listed(overseer) & ours == set()
    assert matters_listed(overseer, matter_id=str(supervised.matter_id)) == {str(supervised.matter_id)}
    assert matters_listed(overseer, matter_id=str(supervised.matter_id), mine="true") == set()
    refused = overseer.get("/v1/cases", params={"mine": "maybe"})
    assert refused.status_code == 422 and refused.json()["errors"][0]["field"] == "query.mine"
