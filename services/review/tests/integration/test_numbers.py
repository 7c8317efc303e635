"""Official numbers take their year from the day the document is issued, in the tenant's time
zone; never from the matter's relevant date, which may lie in an earlier year."""

from __future__ import annotations

import datetime as dt

import pytest

from .support import (
    TEST_PACK,
    TOWN_PERSON,
    case_of,
    consultation_event,
    find_task,
    publish,
    recommendation,
    routed_event,
    tenant_today,
)

pytestmark = pytest.mark.integration


def last_year() -> dt.date:
    return dt.date(tenant_today().year - 1, 3, 14)


def issued_on(created_at: str) -> dt.date:
    """The tenant's date at an instant the service reported."""
    return TEST_PACK.local_date(dt.datetime.fromisoformat(created_at))


async def test_a_consultation_is_numbered_in_the_year_it_opens(as_office, review_nats) -> None:
    event = consultation_event(relevant_date=last_year())
    await publish(review_nats.url, event)
    conduct = as_office("party_conduct_office", ["consultation:sign"], username="numbers-conduct")
    consultation_id = find_task(conduct, event.matter_id, "consultation_signature")["subject_id"]
    consultation = conduct.get(f"/v1/consultations/{consultation_id}").json()
    opened = issued_on(consultation["created_at"])
    assert opened.year > event.relevant_date.year
    assert consultation["number"].startswith(f"审测问商〔{opened.year}〕"), consultation["number"]


async def test_a_joint_review_is_numbered_in_the_year_it_opens(as_office, review_nats) -> None:
    event = routed_event(relevant_date=last_year(), start_approved_by=[])
    await publish(review_nats.url, event)
    handler = as_office("discipline_supervision_office", [], username="numbers-handler")
    case = case_of(handler, event.matter_id)
    assert handler.post(
        f"/v1/investigations/{case['investigation']['id']}/findings", json={"findings": "查明"}
    ).is_success
    recommended = handler.post(
        f"/v1/cases/{case['id']}/recommendations", json=recommendation(occurred_on=last_year().isoformat())
    )
    assert recommended.status_code == 200, recommended.text
    review = handler.get(f"/v1/joint-reviews/{recommended.json()['joint_review_id']}").json()
    opened = issued_on(review["created_at"])
    assert review["number"].startswith(f"审测问审〔{opened.year}〕"), review["number"]


async def test_a_decision_is_numbered_in_the_year_of_its_date_which_is_neither_future_nor_before_the_case(
    as_office, review_nats
) -> None:
    event = routed_event(
        TOWN_PERSON,
        relevant_date=last_year(),
        start_approved_by=[],
        joint_review_required=False,
        decided_by=["district_town_commission"],
    )
    await publish(review_nats.url, event)
    town = as_office("district_town_commission", ["decision:make"], username="numbers-town")
    case = case_of(town, event.matter_id)
    path = f"/v1/cases/{case['id']}"
    assert town.post(f"/v1/investigations/{case['investigation']['id']}/findings", json={"findings": "查明"}).is_success
    lighter = recommendation(severity="lighter", proposed_measures=["criticism_education"])
    assert town.post(f"{path}/recommendations", json=lighter).is_success
    today = tenant_today()
    heard = town.post(f"{path}/hearings", json={"target_index": 0, "held_on": today.isoformat(), "arguments": []})
    assert heard.status_code == 200, heard.text
    deciding = town.get(path).json()
    assert deciding["state"] == "deciding"

    def decide(on: dt.date, announced: dt.date | None = None):
        body = {
            "decided_on": on.isoformat(),
            "announced_on": (announced or on).isoformat(),
            "facts_clear": True,
            "measures": [{"target_index": 0, "measures": ["criticism_education"]}],
        }
        return town.post(f"{path}/decision", json=body)

    opened = issued_on(case["created_at"])
    for refused_on in (today + dt.timedelta(days=2), opened - dt.timedelta(days=1), event.relevant_date):
        refused = decide(refused_on)
        assert refused.status_code == 422, (refused_on, refused.text)
        assert refused.json()["errors"][0]["field"] == "body.decided_on"
        assert town.get(path).json() == deciding

    decided = decide(today)
    assert decided.status_code == 201, decided.text
    assert decided.json()["decision"]["number"].startswith(f"审测问决〔{today.year}〕")
