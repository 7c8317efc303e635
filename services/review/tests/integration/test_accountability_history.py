"""The person's accountability history feeds the recidivism factors of a new recommendation:
the platform counts the decisions it recorded for the same name and unit in the year before
the conduct, and the recommendation names the decisions it counted; a decision revoked on
appeal (sanction-execution's ``appeal.decided``) no longer counts.

Every decision is made on the service's real today (a decision cannot predate its case), so
the conduct of the later cases is dated after it: the day after is within the year that
follows, a year and two days after is not.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import time
import uuid

import httpx
import pytest
from sqlalchemy import select

from wenze.db import create_engine
from wenze.db.audit import AUDIT_LOG
from wenze.events.execution import AppealDecided
from wenze.events.intake import TargetSnapshot

from .support import TENANT, TOWN_PERSON, case_of, hear_and_decide, publish, recommendation, routed_event, tenant_today

pytestmark = pytest.mark.integration

REPEAT_ARTICLE = "审测〔2024〕1号 第九条"


async def open_case(nats_url: str, town: httpx.Client, person: TargetSnapshot) -> tuple[str, uuid.UUID]:
    """A town cadre's case, investigated: the recommendation is next."""
    event = routed_event(
        person, start_approved_by=[], joint_review_required=False, decided_by=["district_town_commission"]
    )
    await publish(nats_url, event)
    case = case_of(town, event.matter_id)
    found = town.post(f"/v1/investigations/{case['investigation']['id']}/findings", json={"findings": "查明"})
    assert found.status_code == 200, found.text
    return f"/v1/cases/{case['id']}", event.matter_id


def recommend(town: httpx.Client, path: str, occurred_on: dt.date) -> dict:
    body = recommendation(
        severity="lighter", proposed_measures=["criticism_education"], occurred_on=occurred_on.isoformat()
    )
    recommended = town.post(f"{path}/recommendations", json=body)
    assert recommended.status_code == 200, recommended.text
    (made,) = recommended.json()["recommendations"]
    return made["factors"]


async def test_an_earlier_decision_counts_within_the_year_before_the_conduct_and_not_once_revoked(
    as_office, review_nats, review_database
) -> None:
    # A name of this test's own: decisions other tests make for the demo cadre must not count.
    person = TOWN_PERSON.model_copy(update={"name": f"沈{uuid.uuid4().hex[:8]}"})
    namesake_elsewhere = person.model_copy(update={"unit": "周市镇"})
    town = as_office("district_town_commission", ["decision:make"], username="history-town")
    today = tenant_today()

    path, matter_id = await open_case(review_nats.url, town, person)
    first = recommend(town, path, today)
    assert first["facts"] == {"prior_accountabilities": 0} and first["prior_decisions"] == []
    assert first["outcome"].get("repeated_within_year") in (None, False)
    decision = hear_and_decide(town, path, today)

    # Nobody tells the second case about the first: the platform does.
    path, _ = await open_case(review_nats.url, town, person)
    repeat = recommend(town, path, today + dt.timedelta(days=1))
    assert repeat["outcome"]["repeated_within_year"] is True
    assert REPEAT_ARTICLE in repeat["citations"]
    assert repeat["facts"] == {"last_accountability_on": today.isoformat(), "prior_accountabilities": 1}
    assert repeat["prior_decisions"] == [{"number": decision["number"], "decided_on": today.isoformat()}]

    path, _ = await open_case(review_nats.url, town, person)
    later = recommend(town, path, today + dt.timedelta(days=367))
    assert later["facts"]["prior_accountabilities"] == 0 and later["prior_decisions"] == []
    assert later["outcome"].get("repeated_within_year") in (None, False)
    assert REPEAT_ARTICLE not in later["citations"]

    # Same name, another unit: another person.
    path, _ = await open_case(review_nats.url, town, namesake_elsewhere)
    assert recommend(town, path, today + dt.timedelta(days=1))["prior_decisions"] == []

    revoked = AppealDecided(
        tenant=TENANT,
        matter_id=matter_id,
        appeal_id=uuid.uuid4(),
        decision_id=uuid.UUID(decision["id"]),
        matter_number="RT-2",
        outcome="revoked",
        measures=[],
        decided_on=today,
        citations=["审测〔2024〕1号 第十条"],
        target=person,
    )
    await publish(review_nats.url, revoked)
    await revocation_applied(review_database, decision["id"])

    path, _ = await open_case(review_nats.url, town, person)
    after = recommend(town, path, today + dt.timedelta(days=1))
    assert after["facts"] == {"prior_accountabilities": 0} and after["prior_decisions"] == []
    assert after["outcome"].get("repeated_within_year") in (None, False)


async def revocation_entries(database_url: str, decision_id: str) -> list[dict]:
    engine = create_engine(database_url, schema="review")
    try:
        async with engine.connect() as connection:
            rows = await connection.execute(
                select(AUDIT_LOG).where(
                    AUDIT_LOG.c.tenant == TENANT,
                    AUDIT_LOG.c.action == "decision.revoked_for_person",
                    AUDIT_LOG.c.object_id == decision_id,
                )
            )
            return [dict(r._mapping) for r in rows]
    finally:
        await engine.dispose()


async def revocation_applied(database_url: str, decision_id: str, timeout: float = 60.0) -> None:
    """The worker applies the appeal's outcome asynchronously: wait for its audit entry."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if await revocation_entries(database_url, decision_id):
            return
        await asyncio.sleep(0.2)
    raise AssertionError("the worker did not apply the revocation")


async def test_a_person_known_by_reference_keeps_their_history_across_units_and_apart_from_namesakes(
    as_office, review_nats, review_database
) -> None:
    """ADR 0044: where intake derived a person reference from the identity number, the history
    is the reference's: a move of unit keeps it, a namesake of the same unit does not share it."""
    name = f"沈{uuid.uuid4().hex[:8]}"
    person = TOWN_PERSON.model_copy(update={"name": name, "person_ref": uuid.uuid4().hex * 2})
    moved = person.model_copy(update={"unit": "周市镇"})
    namesake = person.model_copy(update={"person_ref": uuid.uuid4().hex * 2})
    unnumbered = person.model_copy(update={"person_ref": None})
    town = as_office("district_town_commission", ["decision:make"], username="history-town")
    today = tenant_today()

    path, matter_id = await open_case(review_nats.url, town, person)
    recommend(town, path, today)
    decision = hear_and_decide(town, path, today)

    path, _ = await open_case(review_nats.url, town, moved)
    repeat = recommend(town, path, today + dt.timedelta(days=1))
    assert repeat["prior_decisions"] == [{"number": decision["number"], "decided_on": today.isoformat()}]
    assert repeat["outcome"]["repeated_within_year"] is True

    for other in (namesake, unnumbered):
        path, _ = await open_case(review_nats.url, town, other)
        assert recommend(town, path, today + dt.timedelta(days=1))["prior_decisions"] == []

    # The appeal names the person under their new unit: the reference still finds their part.
    revoked = AppealDecided(
        tenant=TENANT,
        matter_id=matter_id,
        appeal_id=uuid.uuid4(),
        decision_id=uuid.UUID(decision["id"]),
        matter_number="RT-3",
        outcome="revoked",
        measures=[],
        decided_on=today,
        citations=["审测〔2024〕1号 第十条"],
        target=moved,
    )
    await publish(review_nats.url, revoked)
    await revocation_applied(review_database, decision["id"])
    path, _ = await open_case(review_nats.url, town, moved)
    assert recommend(town, path, today + dt.timedelta(days=1))["prior_decisions"] == []
