"""The work queue: an office's open tasks with their matters' number, summary and targets, paged."""

from __future__ import annotations

import uuid

import httpx
import pytest

from .support import CITATION, PERSON, consultation_event, find_task, publish

pytestmark = pytest.mark.integration

SIGNER = ["consultation:sign"]


def whole_queue(client: httpx.Client, limit: int) -> tuple[list[dict], set[int]]:
    """Every item of the caller's queue, read ``limit`` at a time; and the totals the pages gave."""
    items: list[dict] = []
    totals: set[int] = set()
    offset = 0
    while True:
        response = client.get("/v1/work-queue", params={"limit": limit, "offset": offset})
        assert response.status_code == 200, response.text
        page = response.json()
        assert (page["limit"], page["offset"]) == (limit, offset)
        assert len(page["items"]) <= limit
        totals.add(page["total"])
        items.extend(page["items"])
        if not page["items"]:
            return items, totals
        offset += limit


def in_queue_order(items: list[dict]) -> list[dict]:
    """Soonest due first, undated last; among tasks due alike, the newest first."""
    newest_first = sorted(items, key=lambda i: i["created_at"], reverse=True)
    return sorted(newest_first, key=lambda i: (i["due"] is None, i["due"] or ""))


async def test_the_queue_pages_through_the_offices_open_tasks_with_their_matters(as_office, review_nats) -> None:
    events = [
        consultation_event(matter_number=f"WQ-{i}-{uuid.uuid4().hex[:6]}", summary=f"队列事由{i}") for i in range(3)
    ]
    for event in events:
        await publish(review_nats.url, event)
    client = as_office("party_conduct_office", SIGNER, username="queue-reader")
    tasks = {event.matter_id: find_task(client, event.matter_id, "consultation_signature") for event in events}

    items, totals = whole_queue(client, limit=2)
    (total,) = totals
    ids = [item["id"] for item in items]
    assert len(ids) == len(set(ids)) == total
    assert items == in_queue_order(items)
    # The same tasks /v1/tasks lists open for the office, and only the office's.
    listed = client.get("/v1/tasks", params={"state": "open", "limit": 500}).json()
    assert set(ids) == {t["id"] for t in listed}
    assert {item["office"] for item in items} == {"party_conduct_office"}

    by_id = {item["id"]: item for item in items}
    for event in events:
        task = tasks[event.matter_id]
        item = by_id[task["id"]]
        assert item["matter_id"] == str(event.matter_id)
        assert item["matter_number"] == event.matter_number
        assert item["summary"] == event.summary
        assert item["targets"] == [{"name": PERSON.name, "post": PERSON.post, "unit": PERSON.unit}]
        assert item["citations"] == task["citations"] and CITATION in item["citations"]
        assert (item["due"], item["state"], item["assignee"]) == (task["due"], "open", None)

    # One matter's tasks of the office, as the matter page asks for them.
    one = client.get("/v1/work-queue", params={"matter_id": str(events[0].matter_id)}).json()
    assert one["total"] == 1 and [i["id"] for i in one["items"]] == [tasks[events[0].matter_id]["id"]]

    # A claimed task stays in the queue with its holder; a page past the end is empty.
    claimed = tasks[events[1].matter_id]["id"]
    assert client.post(f"/v1/tasks/{claimed}/claim").status_code == 200
    after = client.get("/v1/work-queue", params={"matter_id": str(events[1].matter_id)}).json()
    assert [(i["id"], i["assignee"]) for i in after["items"]] == [(claimed, "queue-reader")]
    beyond = client.get("/v1/work-queue", params={"offset": total + 5}).json()
    assert beyond["items"] == [] and beyond["total"] == total


async def test_each_office_sees_its_own_tasks_and_another_tenant_nothing(as_office, review_nats) -> None:
    event = consultation_event(matter_number=f"WQ-O-{uuid.uuid4().hex[:6]}")
    await publish(review_nats.url, event)
    conduct = as_office("party_conduct_office", SIGNER, username="queue-conduct")
    trial = as_office("case_trial_office", SIGNER, username="queue-trial")
    own = find_task(conduct, event.matter_id, "consultation_signature")
    theirs = find_task(trial, event.matter_id, "consultation_signature")
    assert own["id"] != theirs["id"]
    params = {"matter_id": str(event.matter_id)}

    for client, task, office in ((conduct, own, "party_conduct_office"), (trial, theirs, "case_trial_office")):
        page = client.get("/v1/work-queue", params=params).json()
        assert [(i["id"], i["office"]) for i in page["items"]] == [(task["id"], office)]
        assert page["total"] == 1

    # An office not party to the matter, reaching no unit of it, has no task of it to see.
    outsider = as_office("district_town_commission", SIGNER, username="queue-outsider")
    assert outsider.get("/v1/work-queue", params=params).json() == {
        "items": [],
        "total": 0,
        "limit": 50,
        "offset": 0,
    }

    # The same office code in another tenant is another office: none of this tenant's tasks.
    foreign = as_office("party_conduct_office", SIGNER, username="queue-foreign", realm="wenze-jintan")
    assert foreign.get("/v1/work-queue", params=params).json()["total"] == 0
    foreign_items, _ = whole_queue(foreign, limit=200)
    assert {own["id"], theirs["id"]}.isdisjoint(i["id"] for i in foreign_items)
    assert all(i["matter_id"] != str(event.matter_id) for i in foreign_items)


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"limit": "0"}, "query.limit"),
        ({"limit": "201"}, "query.limit"),
        ({"limit": "many"}, "query.limit"),
        ({"offset": "-1"}, "query.offset"),
        ({"matter_id": "not-a-matter"}, "query.matter_id"),
        ({"state": "open"}, "query.state"),
    ],
)
async def test_bad_paging_is_refused_naming_the_field(as_office, params: dict, field: str) -> None:
    client = as_office("party_conduct_office", SIGNER, username="queue-bad")
    refused = client.get("/v1/work-queue", params=params)
    assert refused.status_code == 422, refused.text
    assert refused.headers["content-type"].startswith("application/problem+json")
    assert refused.json()["errors"][0]["field"] == field
