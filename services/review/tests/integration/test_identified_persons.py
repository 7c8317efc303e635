"""A person the investigation identifies may be named by their identity number, as intake's
targets may (ADR 0044): review keeps only the reference derived from it, routing and the
decision carry the reference, and the accountability history finds the person by it under
any unit. The number itself is in no row and no event."""

from __future__ import annotations

import datetime as dt
import json
import uuid

import httpx
import pytest
from sqlalchemy import text

from wenze.db import create_engine
from wenze.events.intake import TargetSnapshot
from wenze.events.routing import MatterRouted
from wenze.persons import DEVELOPMENT_KEY, PersonReferences, check_character

from .support import (
    TENANT,
    TOWN_PERSON,
    Subscription,
    hear_and_decide,
    publish,
    recommendation,
    routed_event,
    tenant_today,
    wait_for,
)

pytestmark = pytest.mark.integration

# The key the service processes of the tests run with (none is set for them).
REFERENCES = PersonReferences(DEVELOPMENT_KEY)
UNKNOWN = TargetSnapshot(kind="unknown", sector="district_town", unit="巴城镇")
TOWN = "district_town_commission"


def identity_number() -> str:
    """A check-valid number of this test's own: a Kunshan region, a birth date, a random sequence."""
    first = f"320583198{uuid.uuid4().int % 10}0612{uuid.uuid4().int % 1000:03d}"
    return first + check_character(first)


def routed(targets: list[TargetSnapshot], **overrides: object) -> MatterRouted:
    """A slip the town commission handles and decides on, as routing publishes it."""
    return routed_event(
        TOWN_PERSON,
        targets=targets,
        start_approved_by=[],
        joint_review_required=False,
        decided_by=[TOWN],
        **overrides,
    )


def case_of_slip(client: httpx.Client, matter_id: uuid.UUID, slip_id: uuid.UUID) -> dict:
    def fetch() -> dict | None:
        cases = client.get("/v1/cases", params={"matter_id": str(matter_id), "mine": "false"}).json()
        return next((c for c in cases if c["slip_id"] == str(slip_id)), None)

    return wait_for(fetch)


def findings_path(case: dict) -> str:
    return f"/v1/investigations/{case['investigation']['id']}/findings"


async def investigated(nats_url: str, town: httpx.Client, event: MatterRouted) -> str:
    """The case of ``event``'s slip, its investigation done: the recommendation is next."""
    await publish(nats_url, event)
    case = case_of_slip(town, event.matter_id, event.slip_id)
    found = town.post(findings_path(case), json={"findings": "查明"})
    assert found.status_code == 200, found.text
    return f"/v1/cases/{case['id']}"


def decide(town: httpx.Client, path: str, today: dt.date) -> dict:
    recommended = town.post(
        f"{path}/recommendations",
        json=recommendation(
            severity="lighter", proposed_measures=["criticism_education"], occurred_on=today.isoformat()
        ),
    )
    assert recommended.status_code == 200, recommended.text
    return hear_and_decide(town, path, today)


async def rows_holding(database_url: str, needle: str) -> list[str]:
    """The tables of review's schema with a row whose text holds ``needle``."""
    engine = create_engine(database_url, schema="review")
    try:
        async with engine.connect() as connection:
            tables = (
                await connection.execute(
                    text(
                        "SELECT table_name FROM information_schema.tables "
                        "WHERE table_schema = 'review' AND table_type = 'BASE TABLE'"
                    )
                )
            ).scalars()
            holding = []
            for table in list(tables):
                # The superuser of the tests reads past row-level security: every tenant's rows.
                found = await connection.scalar(
                    text(f'SELECT count(*) FROM review."{table}" AS t WHERE t::text LIKE :needle'),
                    {"needle": f"%{needle}%"},
                )
                if found:
                    holding.append(table)
            return holding
    finally:
        await engine.dispose()


async def test_a_person_identified_by_number_in_the_investigation_keeps_their_history_under_another_unit(
    as_office, review_nats, review_database
) -> None:
    number = identity_number()
    reference = REFERENCES.reference(TENANT, number)
    name = f"沈{uuid.uuid4().hex[:8]}"
    town = as_office(TOWN, ["decision:make"], username="identified-town")
    today = tenant_today()
    identified_events = Subscription(review_nats.url, f"review.{TENANT}.investigation.targets_identified.v1")
    made_events = Subscription(review_nats.url, f"review.{TENANT}.decision.made.v1")

    parent = routed([UNKNOWN], reclassify_after_investigation=True)
    await publish(review_nats.url, parent)
    case = case_of_slip(town, parent.matter_id, parent.slip_id)
    person = {**TOWN_PERSON.model_dump(exclude_none=True), "name": name}

    mistyped = number[:17] + ("0" if number[17] != "0" else "1")
    refused = town.post(
        findings_path(case),
        json={"findings": "查明责任人", "identified_targets": [{**person, "identity_number": mistyped}]},
    )
    assert refused.status_code == 422, refused.text
    assert refused.headers["content-type"].startswith("application/problem+json")
    (error,) = refused.json()["errors"]
    assert error["field"] == "body.identified_targets.0.identity_number"
    assert "check digit" in error["reason"]
    assert mistyped not in refused.text

    found = town.post(
        findings_path(case),
        json={"findings": "查明责任人", "identified_targets": [{**person, "identity_number": number.lower()}]},
    )
    assert found.status_code == 200, found.text
    assert found.json()["investigation"]["identified_targets"][0]["person_ref"] == reference
    assert number not in found.text

    event = await identified_events.next_matching(lambda e: e["investigation_id"] == case["investigation"]["id"])
    (target,) = event["targets"]
    assert target["person_ref"] == reference and "identity_number" not in target
    assert number not in json.dumps(event)

    # Routing classifies the identified person on a slip of their own, carrying the reference.
    child = routed([TargetSnapshot.model_validate(target)], matter_id=parent.matter_id)
    decision = decide(town, await investigated(review_nats.url, town, child), today)
    made = await made_events.next_matching(lambda e: e["decision_id"] == decision["id"])
    assert [m["target"]["person_ref"] for m in made["measures"]] == [reference]
    assert number not in json.dumps(made)

    # A later matter names the same number (intake derived its reference) under another unit.
    moved = TOWN_PERSON.model_copy(update={"name": name, "unit": "周市镇", "person_ref": reference})
    path = await investigated(review_nats.url, town, routed([moved]))
    recommended = town.post(
        f"{path}/recommendations",
        json=recommendation(
            severity="lighter",
            proposed_measures=["criticism_education"],
            occurred_on=(today + dt.timedelta(days=1)).isoformat(),
        ),
    )
    assert recommended.status_code == 200, recommended.text
    (factors,) = [r["factors"] for r in recommended.json()["recommendations"]]
    assert factors["prior_decisions"] == [{"number": decision["number"], "decided_on": today.isoformat()}]
    assert factors["outcome"]["repeated_within_year"] is True

    # A namesake of the first unit without the number is someone else to the platform.
    path = await investigated(review_nats.url, town, routed([TOWN_PERSON.model_copy(update={"name": name})]))
    recommended = town.post(
        f"{path}/recommendations",
        json=recommendation(severity="lighter", proposed_measures=["criticism_education"]),
    )
    assert recommended.status_code == 200, recommended.text
    assert recommended.json()["recommendations"][0]["factors"]["prior_decisions"] == []

    assert await rows_holding(review_database, reference) != []
    assert await rows_holding(review_database, number) == []


async def test_a_target_keeps_the_reference_it_carries_and_no_other(as_office, review_nats) -> None:
    """A reference comes from a number only: one the case's targets do not carry is refused, and
    so is a number of another person for a target that carries one, or a target still unknown
    or graded by codes the pack lacks; a target restated with its reference keeps it."""
    carried_number, other_number = identity_number(), identity_number()
    carried = REFERENCES.reference(TENANT, carried_number)
    named = TOWN_PERSON.model_copy(update={"name": f"沈{uuid.uuid4().hex[:8]}", "person_ref": carried})
    town = as_office(TOWN, ["decision:make"], username="identified-town")

    parent = routed([named, UNKNOWN], reclassify_after_investigation=True)
    await publish(review_nats.url, parent)
    path = findings_path(case_of_slip(town, parent.matter_id, parent.slip_id))
    restated = named.model_dump(exclude_none=True)
    organisation = {"kind": "organisation", "name": "巴城镇人民政府", "sector": "district_town"}

    for targets, field in (
        ([{**restated, "person_ref": uuid.uuid4().hex * 2}], "body.identified_targets.0.person_ref"),
        ([restated, {**restated, "identity_number": other_number}], "body.identified_targets.1.identity_number"),
        ([{**organisation, "identity_number": other_number}], "body.identified_targets.0.identity_number"),
        # Routing classifies an identified target by its kind and the pack's codes.
        ([{**organisation, "kind": "unknown"}], "body.identified_targets.0.kind"),
        ([{**restated, "cadre_level": "province_managed"}], "body.identified_targets.0.cadre_level"),
        ([restated, {**organisation, "sector": "nowhere"}], "body.identified_targets.1.sector"),
    ):
        refused = town.post(path, json={"findings": "查明", "identified_targets": targets})
        assert refused.status_code == 422, refused.text
        assert [e["field"] for e in refused.json()["errors"]] == [field]
        assert other_number not in refused.text

    found = town.post(
        path,
        json={
            "findings": "查明",
            "identified_targets": [{**restated, "identity_number": carried_number}, organisation],
        },
    )
    assert found.status_code == 200, found.text
    refs = [t.get("person_ref") for t in found.json()["investigation"]["identified_targets"]]
    assert refs == [carried, None]
