"""From a decision to its execution, deadlines, after-effects and appeals, over the API."""

from __future__ import annotations

import datetime as dt
import json
import uuid

import pytest
from sqlalchemy import select

from wenze.db.outbox import OutboxRecord
from wenze.db.tenancy import tenant_scope

from .conftest import decision, deliver, fire_on

pytestmark = pytest.mark.integration

KUNSHAN_TARGET = {
    "kind": "person",
    "name": "陈志远",
    "post": "玉山镇副镇长",
    "unit": "玉山镇",
    "cadre_level": "city_managed",
    "party_member": True,
}


async def events_about(units, tenant: str, kind: str, key: str, value: str) -> list[dict]:
    with tenant_scope(tenant):
        async with units() as uow:
            rows = await uow.session.scalars(select(OutboxRecord).where(OutboxRecord.subject.like(f"%.{kind}.v1")))
            payloads = [json.loads(r.payload) for r in rows]
    return [p for p in payloads if p.get(key) == value]


async def test_kunshan_decision_of_30_september_is_copied_by_10_october_with_one_reminder(
    execution_api, executions, units, client_for
) -> None:
    event = decision(
        "kunshan",
        decided_on=dt.date(2026, 9, 30),
        decided_by="discipline_supervision_office",
        target=KUNSHAN_TARGET,
        measures=["removal_from_post"],
    )
    await deliver(executions, event)
    await deliver(executions, event)  # redelivered: nothing more

    supervision = client_for(execution_api, "wenze-kunshan", "ks-supervision-1")
    listed = supervision.get("/v1/executions", params={"decision_id": str(event.decision_id)})
    assert listed.status_code == 200, listed.text
    (execution,) = listed.json()
    assert execution["measure"] == "removal_from_post" and execution["state"] == "open"
    # The same execution asked for by its matter, as the console's matter page asks; none by another.
    by_matter = supervision.get("/v1/executions", params={"matter_id": str(event.matter_id)}).json()
    assert [e["id"] for e in by_matter] == [execution["id"]]
    assert supervision.get("/v1/executions", params={"matter_id": str(uuid.uuid4())}).json() == []
    assert [s["code"] for s in execution["steps"]][:3] == [
        "copy_decision",
        "talk_and_record",
        "consult_organisation_department",
    ]
    (deadline,) = execution["deadlines"]
    assert deadline["duty"] == "copy_decision"
    assert deadline["due_on"] == "2026-10-10"
    assert deadline["citations"] == ["昆纪办发〔2019〕19号 二.3"]
    opened = await events_about(units, "kunshan", "execution.opened", "execution_id", execution["id"])
    assert len(opened) == 1

    # Before the lead time nothing; on 8 October the reminder, once however often the
    # scheduler runs; after the 10th the deadline is missed, once.
    await fire_on(executions, dt.date(2026, 10, 7))
    assert await events_about(units, "kunshan", "deadline.due", "deadline_id", deadline["id"]) == []
    for _ in range(3):
        await fire_on(executions, dt.date(2026, 10, 8))
    (due,) = await events_about(units, "kunshan", "deadline.due", "deadline_id", deadline["id"])
    assert due["due_on"] == "2026-10-10" and due["office"] == "discipline_supervision_office"

    listed = supervision.get("/v1/offices/discipline_supervision_office/deadlines")
    assert listed.status_code == 200, listed.text
    mine = next(d for d in listed.json() if d["id"] == deadline["id"])
    assert mine["state"] == "reminded"

    await fire_on(executions, dt.date(2026, 10, 11))
    await fire_on(executions, dt.date(2026, 10, 12))
    assert len(await events_about(units, "kunshan", "deadline.missed", "deadline_id", deadline["id"])) == 1
    listed = supervision.get("/v1/offices/discipline_supervision_office/deadlines").json()
    assert next(d for d in listed if d["id"] == deadline["id"])["light"] == "red"

    # Copying the decision meets the deadline; it leaves the office's open list.
    done = supervision.post(
        f"/v1/executions/{execution['id']}/steps/copy_decision/completion",
        json={"completed_on": "2026-10-12", "note": "已抄送党风政风监督室"},
    )
    assert done.status_code == 200, done.text
    assert next(d for d in done.json()["deadlines"])["state"] == "met"
    listed = supervision.get("/v1/offices/discipline_supervision_office/deadlines").json()
    assert deadline["id"] not in [d["id"] for d in listed]


async def test_steps_belong_to_their_offices_and_foreign_offices_see_nothing(
    execution_api, executions, client_for
) -> None:
    event = decision(
        "kunshan",
        decided_on=dt.date(2026, 5, 11),
        decided_by="discipline_supervision_office",
        target={**KUNSHAN_TARGET, "name": "李平"},
        measures=["reassignment"],
    )
    await deliver(executions, event)
    supervision = client_for(execution_api, "wenze-kunshan", "ks-supervision-1")
    (execution,) = supervision.get("/v1/executions", params={"decision_id": str(event.decision_id)}).json()

    # An office neither party to it nor linked to its unit does not see it at all.
    town = client_for(execution_api, "wenze-kunshan", "ks-town-bacheng")
    assert town.get(f"/v1/executions/{execution['id']}").status_code == 404
    # Nor another office's deadlines, unless it oversees; an unknown office is named as such.
    others = town.get("/v1/offices/discipline_supervision_office/deadlines")
    assert others.status_code == 403 and others.json()["type"].endswith("/another-offices-deadlines")
    overseer = client_for(execution_api, "wenze-kunshan", "ks-case-management")
    assert overseer.get("/v1/offices/discipline_supervision_office/deadlines").status_code == 200
    unknown = supervision.get("/v1/offices/no_such_office/deadlines")
    assert unknown.status_code == 422 and "no_such_office" in unknown.json()["detail"]
    # Another tenant's office neither.
    hubei = client_for(execution_api, "wenze-hubei", "hb-commission")
    assert hubei.get(f"/v1/executions/{execution['id']}").status_code == 404

    # The party-conduct office is named by the follow-up step and reads it, but the talk with
    # the person is the deciding office's.
    intake = client_for(execution_api, "wenze-kunshan", "ks-intake")
    refused = intake.post(
        f"/v1/executions/{execution['id']}/steps/talk_and_record/completion", json={"completed_on": "2026-05-12"}
    )
    assert refused.status_code == 403, refused.text
    assert refused.headers["content-type"].startswith("application/problem+json")
    followed = intake.post(
        f"/v1/executions/{execution['id']}/steps/follow_up/completion", json={"completed_on": "2026-05-12"}
    )
    assert followed.status_code == 200, followed.text

    before = supervision.post(
        f"/v1/executions/{execution['id']}/steps/talk_and_record/completion", json={"completed_on": "2026-05-10"}
    )
    assert before.status_code == 422
    assert "completed_on" in before.text

    for step in [s["code"] for s in execution["steps"] if s["code"] != "follow_up"]:
        answer = supervision.post(
            f"/v1/executions/{execution['id']}/steps/{step}/completion", json={"completed_on": "2026-05-20"}
        )
        assert answer.status_code == 200, answer.text
    assert answer.json()["state"] == "carried_out"
    # Sending the recommendation letter numbered it by the pack's pattern (附件6 建议函).
    letter = next(s for s in answer.json()["steps"] if s["code"] == "proposal_letter")
    assert letter["numbering"] == "organisational_measure_letter"
    assert letter["document_number"].startswith("昆纪委办函〔2026〕") and letter["document_number"].endswith("号")
    assert all(s["document_number"] is None for s in answer.json()["steps"] if s["code"] != "proposal_letter")
    again = supervision.post(
        f"/v1/executions/{execution['id']}/steps/copy_decision/completion", json={"completed_on": "2026-05-20"}
    )
    assert again.status_code == 409


async def test_jintan_admonishment_of_10_june_bars_promotion_until_10_december(
    execution_api, executions, client_for
) -> None:
    event = decision(
        "jintan",
        decided_on=dt.date(2026, 6, 10),
        decided_by="competent_unit",
        target={"kind": "person", "name": "周晓", "unit": "区教育局", "cadre_level": "staff"},
        measures=["admonishment"],
    )
    await deliver(executions, event)
    unit = client_for(execution_api, "wenze-jintan", "jt-unit-education")
    (person,) = unit.get("/v1/persons", params={"name": "周晓", "unit": "区教育局"}).json()

    barred = unit.get(f"/v1/persons/{person['id']}/eligibility", params={"date": "2026-12-09", "for": "promotion"})
    assert barred.status_code == 200, barred.text
    answer = barred.json()
    assert answer["eligible"] is False
    assert answer["until"] == "2026-12-10"
    assert answer["for"] == "promotion"
    assert answer["citations"] == ["坛作组办〔2019〕2号 第十九条第二款"]
    assert event.number in answer["reason"]

    free = unit.get(f"/v1/persons/{person['id']}/eligibility", params={"date": "2026-12-10", "for": "promotion"})
    assert free.json()["eligible"] is True
    honours = unit.get(f"/v1/persons/{person['id']}/eligibility", params={"date": "2026-12-31", "for": "honours"})
    assert honours.json()["eligible"] is False and honours.json()["until"] == "2027-01-01"
    appointment = unit.get(
        f"/v1/persons/{person['id']}/eligibility", params={"date": "2026-07-01", "for": "appointment"}
    )
    assert appointment.json()["eligible"] is True

    bad = unit.get(f"/v1/persons/{person['id']}/eligibility", params={"date": "2026-12-31", "for": "pension"})
    assert bad.status_code == 422

    history = unit.get(f"/v1/persons/{person['id']}/history").json()
    assert [(e["decision_number"], e["measure"]) for e in history["entries"]] == [(event.number, "admonishment")]

    # The formalities deadline: one month, to 10 July.
    (execution,) = unit.get("/v1/executions", params={"decision_id": str(event.decision_id)}).json()
    assert [(d["duty"], d["due_on"]) for d in execution["deadlines"]] == [("formalities", "2026-07-10")]


ZHENXIONG_LEADER = {"kind": "person", "name": "杨林", "unit": "县纪委监委第二监督检查室", "cadre_level": "leader"}


async def test_zhenxiong_appeal_on_day_15_is_accepted_and_on_day_16_refused_with_the_last_day(
    execution_api, executions, client_for
) -> None:
    received = dt.date(2026, 3, 2)
    event = decision(
        "zhenxiong",
        decided_on=received,
        announced_on=received,
        decided_by="county_standing_committee",
        target=ZHENXIONG_LEADER,
        measures=["admonishment"],
    )
    await deliver(executions, event)
    committee = client_for(execution_api, "wenze-zhenxiong", "zx-standing-committee")
    (execution,) = committee.get("/v1/executions", params={"decision_id": str(event.decision_id)}).json()
    body = {"decision_id": str(event.decision_id), "person_id": execution["person_id"]}

    late = committee.post("/v1/appeals", json={**body, "filed_on": "2026-03-18"})
    assert late.status_code == 422, late.text
    problem = late.json()
    assert problem["last_day"] == "2026-03-17"
    assert "2026-03-17" in problem["detail"] and "filed_on" in problem["detail"]
    assert problem["citations"][0] == "镇雄县纪检监察干部工作责任追究办法（试行） 十六"

    filed = committee.post("/v1/appeals", json={**body, "filed_on": "2026-03-17", "heard_by": "higher_organ"})
    assert filed.status_code == 201, filed.text
    assert filed.json()["heard_by"] == ["higher_organ"]
    assert filed.json()["last_day"] == "2026-03-17"
    twice = committee.post("/v1/appeals", json={**body, "filed_on": "2026-03-17"})
    assert twice.status_code == 409

    # Measures go with a varied outcome only, and each is one of the tenant's; nothing is decided.
    outcome = f"/v1/appeals/{filed.json()['id']}/outcome"
    for body, code in (
        ({"outcome": "upheld", "measures": ["demotion"]}, "measures_only_when_varied"),
        ({"outcome": "varied"}, "varied_measures_required"),
        ({"outcome": "varied", "measures": ["admonishment", "fine"]}, "unknown_measures"),
    ):
        refused = committee.post(outcome, json={**body, "decided_on": "2026-03-20"})
        assert refused.status_code == 422, refused.text
        (error,) = refused.json()["errors"]
        assert (error["field"], error["code"]) == ("body.measures", code)
    assert refused.json()["measures"] == ["fine"]
    assert committee.get(f"/v1/appeals/{filed.json()['id']}").json()["outcome"] is None


async def test_hubei_appeal_leaves_execution_running_and_a_revocation_lifts_the_after_effects(
    execution_api, executions, units, client_for
) -> None:
    event = decision(
        "hubei",
        decided_on=dt.date(2026, 5, 6),
        decided_by="same_level_party_committee",
        target={"kind": "person", "name": "刘军", "unit": "黄州区", "cadre_level": "county_level"},
        measures=["demotion"],
    )
    await deliver(executions, event)
    committee = client_for(execution_api, "wenze-hubei", "hb-committee")
    (execution,) = committee.get("/v1/executions", params={"decision_id": str(event.decision_id)}).json()
    person_id = execution["person_id"]
    promotion = {"date": "2027-05-05", "for": "promotion"}
    assert committee.get(f"/v1/persons/{person_id}/eligibility", params=promotion).json()["until"] == "2028-05-06"

    filed = committee.post(
        "/v1/appeals",
        json={"decision_id": str(event.decision_id), "person_id": person_id, "filed_on": "2026-06-01"},
    )
    assert filed.status_code == 201, filed.text
    assert filed.json()["suspends_execution"] is False
    assert filed.json()["citations"] == ["湖北省党风廉政建设主体责任和监督责任追究暂行办法 第二十条"]
    assert committee.get(f"/v1/executions/{execution['id']}").json()["state"] == "open"

    decided = committee.post(
        f"/v1/appeals/{filed.json()['id']}/outcome", json={"outcome": "revoked", "decided_on": "2026-06-20"}
    )
    assert decided.status_code == 200, decided.text
    assert committee.get(f"/v1/executions/{execution['id']}").json()["state"] == "revoked"
    assert committee.get(f"/v1/persons/{person_id}/eligibility", params=promotion).json()["eligible"] is True
    # The outcome names the appellant, whose history no longer holds the decision.
    (published,) = await events_about(units, "hubei", "appeal.decided", "appeal_id", filed.json()["id"])
    assert published["outcome"] == "revoked"
    assert (published["target"]["name"], published["target"]["unit"]) == ("刘军", "黄州区")


async def test_kunshan_provides_no_appeal_of_its_own(execution_api, executions, client_for) -> None:
    event = decision(
        "kunshan",
        decided_on=dt.date(2026, 5, 11),
        decided_by="discipline_supervision_office",
        target={**KUNSHAN_TARGET, "name": "王强"},
        measures=["reassignment"],
    )
    await deliver(executions, event)
    supervision = client_for(execution_api, "wenze-kunshan", "ks-supervision-1")
    (execution,) = supervision.get("/v1/executions", params={"decision_id": str(event.decision_id)}).json()
    refused = supervision.post(
        "/v1/appeals",
        json={"decision_id": str(event.decision_id), "person_id": execution["person_id"], "filed_on": "2026-05-12"},
    )
    assert refused.status_code == 422
    assert "no appeal" in refused.json()["detail"]
