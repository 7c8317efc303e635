"""Office and authority over real HTTP, PostgreSQL and NATS: who reads a matter, who accepts it.

Readers' tokens carry exactly the roles a test names, so a capability granted to a demo user
later (``matter:oversee``, say) does not change what these tests show.
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from collections.abc import Callable

import httpx
import pytest

from wenze.auth.capabilities import MATTER_ACCEPT, MATTER_BULK, MATTER_READ, MATTER_SUBMIT
from wenze.events import ConsultationRequested, MatterRouted, RuleStep, TargetSnapshot
from wenze.rules import get_pack

pytestmark = pytest.mark.integration

KS, JT = "wenze-kunshan", "wenze-jintan"


def cadre(level: str, unit: str, name: str = "钱国强") -> dict:
    return {"kind": "person", "name": name, "post": "副镇长", "unit": unit, "cadre_level": level}


def found(client: httpx.Client, matter_id: str) -> bool:
    response = client.get(f"/v1/matters/{matter_id}")
    assert response.status_code in (200, 404), response.text
    return response.status_code == 200


def listed(client: httpx.Client, marker: str) -> set[str]:
    response = client.get("/v1/matters", params={"q": marker, "limit": 200})
    assert response.status_code == 200, response.text
    return {m["id"] for m in response.json()["items"]}


def submit(client: httpx.Client, make_matter, **fields) -> dict:
    response = client.post("/v1/matters", json=make_matter(**fields))
    assert response.status_code == 201, response.text
    return response.json()


def accept(client: httpx.Client, matter_id: str) -> httpx.Response:
    today = get_pack("kunshan").today().isoformat()
    return client.post(
        f"/v1/matters/{matter_id}/acceptance",
        json={"outcome": "accepted", "participants": ["周敏"], "study_date": today},
    )


def snapshots(matter: dict) -> list[TargetSnapshot]:
    return [TargetSnapshot.model_validate(t) for t in matter["targets"]]


def routed(matter: dict, *, handler: str, cc: tuple[str, ...] = ()) -> MatterRouted:
    return MatterRouted(
        tenant=matter["tenant"],
        matter_id=uuid.UUID(matter["id"]),
        slip_id=uuid.uuid4(),
        slip_number=f"昆纪委问分〔2026〕{uuid.uuid4().int % 10000}号",
        matter_number=matter["number"],
        summary=matter["summary"],
        relevant_date=dt.date.fromisoformat(matter["relevant_date"]),
        targets=snapshots(matter),
        handler=handler,
        cc=list(cc),
        investigated_by=None,
        investigated_with=[],
        reclassify_after_investigation=False,
        joint_review_required=False,
        start_approved_by=[],
        decided_by=[],
        fixed_by="rules",
        facts={},
        outcome={},
        citations=[],
    )


def consultation(matter: dict, *, lead: str, participants: list[str]) -> ConsultationRequested:
    return ConsultationRequested(
        tenant=matter["tenant"],
        matter_id=uuid.UUID(matter["id"]),
        slip_id=uuid.uuid4(),
        slip_number=f"昆纪委问分〔2026〕{uuid.uuid4().int % 10000}号",
        matter_number=matter["number"],
        summary=matter["summary"],
        relevant_date=dt.date.fromisoformat(matter["relevant_date"]),
        targets=snapshots(matter),
        lead=lead,
        participants=participants,
        proposed_handler=None,
        handler_candidates=["discipline_supervision_office", "review_investigation_office"],
        approved_by=[],
        escalation=[RuleStep(step="leader", actor="leader_in_charge")],
        facts={},
        outcome={},
        citations=[],
    )


@pytest.fixture(scope="module")
def kunshan(client_as) -> Callable[..., httpx.Client]:
    """A Kunshan demo user reading with ``matter:read`` alone, unless other roles are named."""

    def user(username: str, *roles: str) -> httpx.Client:
        return client_as(KS, username, roles=[MATTER_READ, *roles])

    return user


def test_a_town_commission_reads_neither_a_city_managed_cadres_matter_of_its_town_nor_others(
    ks_intake: httpx.Client, kunshan, make_matter, publish, wait_for
) -> None:
    marker = uuid.uuid4().hex[:8]
    town = kunshan("ks-town-bacheng")
    city_managed = submit(ks_intake, make_matter, summary=f"巴城镇{marker}", targets=[cadre("city_managed", "巴城镇")])
    its_own = submit(ks_intake, make_matter, summary=f"巴城镇{marker}", targets=[cadre("not_city_managed", "巴城镇")])
    elsewhere = submit(ks_intake, make_matter, summary=f"巴城镇{marker}", targets=[cadre("not_city_managed", "张浦镇")])

    # Not found, as if it did not exist: a refusal would confirm that it does.
    refused = town.get(f"/v1/matters/{city_managed['id']}")
    assert refused.status_code == 404, refused.text
    assert refused.json()["type"].endswith("/matter-not-found")
    assert town.get(f"/v1/matters/{city_managed['id']}/timeline").status_code == 404
    assert found(town, its_own["id"]) and not found(town, elsewhere["id"])
    assert listed(town, marker) == {its_own["id"]}
    assert listed(ks_intake, marker) == {city_managed["id"], its_own["id"], elsewhere["id"]}

    # Routing copies the commission on the city-managed cadre's matter: it is party from then on.
    publish(routed(city_managed, handler="discipline_supervision_office", cc=("district_town_commission",)))
    wait_for(lambda: found(town, city_managed["id"]), "the copied town commission to read the matter")
    assert listed(town, marker) == {city_managed["id"], its_own["id"]}


def test_a_consultation_is_read_by_the_offices_it_names_only(
    ks_intake: httpx.Client, kunshan, make_matter, publish, wait_for
) -> None:
    matter = submit(ks_intake, make_matter, targets=[cadre("city_managed", "市住房和城乡建设局")])
    trial, investigation, town = kunshan("ks-trial"), kunshan("ks-investigation-1"), kunshan("ks-town-bacheng")
    escalation_level = kunshan("ks-leader-in-charge")
    assert not any(found(reader, matter["id"]) for reader in (trial, investigation, town, escalation_level))

    publish(consultation(matter, lead="party_conduct_office", participants=["case_trial_office"]))

    wait_for(lambda: found(trial, matter["id"]), "the consulted trial office to read the matter")
    # The escalation chain's levels may come to decide, so they read it too; a candidate
    # handler and an office the consultation does not name do not.
    assert found(escalation_level, matter["id"])
    assert not found(investigation, matter["id"]) and not found(town, matter["id"])


def test_an_office_linked_to_town_a_reads_and_accepts_town_a_matters_only(
    ks_intake: httpx.Client, kunshan, make_matter, publish, wait_for
) -> None:
    marker = uuid.uuid4().hex[:8]
    town_a = submit(ks_intake, make_matter, summary=f"玉山镇{marker}", targets=[cadre("city_managed", "玉山镇")])
    town_b = submit(ks_intake, make_matter, summary=f"张浦镇{marker}", targets=[cadre("city_managed", "张浦镇")])
    supervision = kunshan("ks-supervision-1")  # 第一执纪监督室, linked to 玉山镇 among others

    assert listed(supervision, marker) == {town_a["id"]}
    assert not found(supervision, town_b["id"])

    # Holding matter:accept, the office sees every matter within its authority, but acts only
    # on those of its linked units: nothing in intake assigns town B's matter to it by name.
    accepting = kunshan("ks-supervision-1", MATTER_ACCEPT)
    assert found(accepting, town_b["id"])
    refused = accept(accepting, town_b["id"])
    assert refused.status_code == 403, refused.text
    problem = refused.json()
    assert problem["type"].endswith("/outside-linked-units") and problem["units"] == ["张浦镇"]
    assert ks_intake.get(f"/v1/matters/{town_b['id']}").json()["state"] == "received"
    assert accept(accepting, town_a["id"]).status_code == 200

    # Routing gives town B's matter to the discipline-supervision office: now it reads it.
    publish(routed(town_b, handler="discipline_supervision_office"))
    wait_for(lambda: found(supervision, town_b["id"]), "the assigned office to read town B's matter")
    assert listed(supervision, marker) == {town_a["id"], town_b["id"]}
    assert accept(ks_intake, town_b["id"]).status_code == 200


def test_a_jintan_unit_office_cannot_accept_a_section_leaders_matter(client_as, make_matter) -> None:
    marker = uuid.uuid4().hex[:8]

    def jintan_matter(level: str) -> dict:
        return make_matter(
            source="unit_self_found",
            summary=f"履职不力{marker}",
            targets=[{"kind": "person", "name": "李强", "unit": "区教育局", "cadre_level": level}],
            proposed_form=None,
        )

    unit = client_as(JT, "jt-unit-education")  # 区教育局: authority over staff and contract staff
    conduct_office = client_as(JT, "jt-conduct-office")
    section_leader = conduct_office.post("/v1/matters", json=jintan_matter("section_leader")).json()
    staff = conduct_office.post("/v1/matters", json=jintan_matter("staff")).json()
    assert listed(unit, marker) == {staff["id"]}
    assert not found(unit, section_leader["id"])

    # Submitted by the unit itself, the section leader's matter is the unit's to read, but the
    # unit may not accept it even holding the capability: the target is beyond its authority.
    own = unit.post("/v1/matters", json=jintan_matter("section_leader"))
    assert own.status_code == 201, own.text
    assert own.json()["submitter_office"] == "competent_unit"
    assert found(unit, own.json()["id"])
    accepting_unit = client_as(JT, "jt-unit-education", roles=[MATTER_READ, MATTER_SUBMIT, MATTER_ACCEPT])
    refused = accept(accepting_unit, own.json()["id"])
    assert refused.status_code == 403, refused.text
    assert refused.json()["type"].endswith("/outside-authority")
    assert refused.json()["levels"] == ["section_leader"]
    assert accept(conduct_office, own.json()["id"]).status_code == 200


def test_an_integrator_reads_what_it_submitted_and_nothing_else(
    ks_intake: httpx.Client, integrator_for, client_as, make_matter, wait_done
) -> None:
    marker = uuid.uuid4().hex[:8]
    integrator = integrator_for(KS)
    mine = submit(integrator, make_matter, summary=f"信访转办{marker}")
    assert (mine["submitted_by"], mine["submitter_office"]) == ("service-account-wenze-integrator", None)
    theirs = submit(ks_intake, make_matter, summary=f"信访转办{marker}")

    assert found(integrator, mine["id"]) and not found(integrator, theirs["id"])
    assert integrator.get(f"/v1/matters/{mine['id']}/timeline").status_code == 200
    assert integrator.get(f"/v1/matters/{theirs['id']}/timeline").status_code == 404
    assert listed(integrator, marker) == {mine["id"]}
    assert listed(ks_intake, marker) == {mine["id"], theirs["id"]}

    # An import belongs to whoever started it, and its matters follow the matter rules.
    rows = "\n".join(json.dumps(make_matter(summary=f"批量{marker}-{i}"), ensure_ascii=False) for i in range(3))
    job = integrator.post("/v1/matter-imports", content=rows.encode(), headers={"Content-Type": "application/x-ndjson"})
    assert job.status_code == 202, job.text
    job_id = job.json()["id"]
    assert wait_done(integrator, job_id)["registered"] == 3
    other_job = ks_intake.post(
        "/v1/matter-imports",
        content=json.dumps(make_matter(summary=f"批量{marker}-ks")).encode(),
        headers={"Content-Type": "application/x-ndjson"},
    ).json()["id"]
    wait_done(ks_intake, other_job)
    assert ks_intake.get(f"/v1/matter-imports/{job_id}").status_code == 404
    assert ks_intake.get(f"/v1/matter-imports/{job_id}/errors").status_code == 404
    assert integrator.get(f"/v1/matter-imports/{other_job}").status_code == 404
    imported = listed(integrator, f"批量{marker}")
    assert len(imported) == 3 and len(listed(ks_intake, f"批量{marker}")) == 4

    # Another member of the office that started an import follows it too.
    colleague = client_as(KS, "ks-intake", claims={"preferred_username": "ks-intake-colleague", "sub": "colleague"})
    assert colleague.get(f"/v1/matter-imports/{other_job}").status_code == 200


def test_a_repeat_names_the_registered_matter_only_to_those_who_may_read_it(
    client_as, ks_intake: httpx.Client, make_matter, wait_done
) -> None:
    town = client_as(KS, "ks-town-bacheng")
    body = make_matter(targets=[cadre("not_city_managed", "巴城镇")])
    first = submit(town, make_matter, **{k: body[k] for k in ("source_reference", "targets")})

    # 第二执纪监督室 is linked to 巴城镇 but has no authority over a non-city-managed cadre.
    supervision = client_as(KS, "ks-supervision-2", roles=[MATTER_READ, MATTER_SUBMIT, MATTER_BULK])
    assert not found(supervision, first["id"])
    repeat = supervision.post("/v1/matters", json=body)
    assert repeat.status_code == 409, repeat.text
    assert "existing_matter_id" not in repeat.json() and first["id"] not in repeat.text
    assert repeat.json()["errors"][0]["field"] == "body.source_reference"
    named = ks_intake.post("/v1/matters", json=body)
    assert named.status_code == 409 and named.json()["existing_matter_id"] == first["id"]

    # The same in an import's refused rows.
    job = supervision.post(
        "/v1/matter-imports", content=json.dumps(body).encode(), headers={"Content-Type": "application/x-ndjson"}
    )
    assert job.status_code == 202, job.text
    assert wait_done(supervision, job.json()["id"])["refused"] == 1
    [row] = supervision.get(f"/v1/matter-imports/{job.json()['id']}/errors").json()["items"]
    assert row["errors"] == [
        {
            "field": "source_reference",
            "reason": "this source and reference are already registered",
            "code": "already_registered",
        }
    ]
