"""Review counts a tenant's deadlines in routing's calendar (ADR 0011, ADR 0031): a national
year a platform operator loads through routing's API and a tenant's local days declared there
reach review through routing's events, and move the day a decision's copy is due."""

from __future__ import annotations

import asyncio
import datetime as dt
import time
from collections.abc import Callable, Iterator

import httpx
import pytest
from sqlalchemy import text

from wenze.calendar import DeadlineSpec, LocalDays, WorkingCalendar, YearDefinition
from wenze.db import create_engine
from wenze.db.tenancy import tenant_scope
from wenze_devtools.testing.infra import NatsServer, ServiceProcess, fresh_database

from .support import TENANT, TOWN_PERSON, case_of, publish, recommendation, routed_event, tenant_today

pytestmark = pytest.mark.integration

COPY_DUE = DeadlineSpec(kind="working_days", amount=3)
# A year the bundled calendar does not cover.
YEAR_2027 = {
    "year": 2027,
    "source": "国务院办公厅关于2027年部分节假日安排的通知",
    "holidays": [{"date": "2027-01-01", "name": "元旦"}],
    "makeup_working_days": [],
}


@pytest.fixture(scope="module")
def routing(service_factory, review_nats: NatsServer) -> Iterator[ServiceProcess]:
    """Routing's api and worker on a database of their own and review's NATS: the worker's relay
    publishes the calendar events the api writes to its outbox."""
    with fresh_database() as database:
        api = service_factory("routing", database=database, nats_url=review_nats.url)
        worker = service_factory("routing", "worker", database=database, nats_url=review_nats.url, wait=False)
        yield api
        worker.stop()
        api.stop()


@pytest.fixture(scope="module")
def routing_client(routing: ServiceProcess, token) -> Iterator[Callable[..., httpx.Client]]:
    clients: list[httpx.Client] = []

    def make(realm: str, username: str, **overrides) -> httpx.Client:
        headers = {"Authorization": f"Bearer {token(realm, username, **overrides)}"}
        client = httpx.Client(base_url=routing.url, timeout=30, headers=headers)
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.close()


def _after(calendar: WorkingCalendar, day: dt.date) -> dt.date:
    """The first national working day after ``day``."""
    return calendar.next_working_day(day + dt.timedelta(days=1))


async def _decided_town_case(as_office, review_nats: NatsServer, username: str) -> dict:
    """A town cadre's case decided today, which owes a copy within three working days."""
    event = routed_event(
        TOWN_PERSON,
        start_approved_by=[],
        joint_review_required=False,
        decided_by=["district_town_commission"],
    )
    await publish(review_nats.url, event)
    town = as_office("district_town_commission", ["decision:make"], username=username)
    case = case_of(town, event.matter_id)
    path = f"/v1/cases/{case['id']}"
    assert town.post(f"/v1/investigations/{case['investigation']['id']}/findings", json={"findings": "查明"}).is_success
    lighter = recommendation(severity="lighter", proposed_measures=["criticism_education"])
    assert town.post(f"{path}/recommendations", json=lighter).is_success
    today = tenant_today().isoformat()
    assert town.post(f"{path}/hearings", json={"target_index": 0, "held_on": today, "arguments": []}).is_success
    body = {
        "decided_on": today,
        "announced_on": today,
        "facts_clear": True,
        "measures": [{"target_index": 0, "measures": ["criticism_education"]}],
    }
    decided = town.post(f"{path}/decision", json=body)
    assert decided.status_code == 201, decided.text
    return decided.json()


def _copy_task(client: httpx.Client, case: dict) -> dict:
    tasks = client.get("/v1/tasks", params={"state": "open"}).json()
    return next(t for t in tasks if t["case_id"] == case["id"] and t["kind"] == "decision_copy")


async def _copy_of_review(database: str, query: str) -> list:
    """``query`` on review's tables, in the tenant's scope (local days are under row-level security)."""
    engine = create_engine(database, schema="review")
    try:
        with tenant_scope(TENANT):
            async with engine.connect() as conn:
                return list((await conn.execute(text(query))).all())
    finally:
        await engine.dispose()


async def test_national_years_and_local_days_loaded_through_routing_move_reviews_due_dates(
    routing_client, as_office, review_nats: NatsServer, review_database: str
) -> None:
    today = tenant_today()
    library = WorkingCalendar()
    bundled_due = COPY_DUE.compute(today, library)

    # A platform operator loads this year again with one more national holiday: the next working day.
    national_holiday = _after(library, today)
    base = YearDefinition.from_library(today.year)
    replaced = YearDefinition(
        year=today.year,
        holidays=(*base.holidays, {"date": national_holiday, "name": "临时假日"}),
        makeup_working_days=base.makeup_working_days,
        source="国务院办公厅通知（测试）",
        replaces_library=True,
    )
    operator = routing_client("wenze-platform", "platform-ops")
    loaded = operator.put(f"/v1/calendar/years/{today.year}", json=replaced.model_dump(mode="json"))
    assert loaded.status_code in (200, 201), loaded.text
    national = WorkingCalendar([replaced])
    national_due = COPY_DUE.compute(today, national)
    assert national_due > bundled_due

    # And a year the bundled calendar lacks.
    assert operator.put("/v1/calendar/years/2027", json=YEAR_2027).status_code == 201
    stored = await wait_for_rows(review_database, "SELECT year FROM routing_calendar_years ORDER BY year", 2)
    assert [row.year for row in stored] == [today.year, 2027]

    town = as_office("district_town_commission", ["decision:make"], username="calendar-town")
    first = await _decided_town_case(as_office, review_nats, "calendar-town")
    assert first["requirements"]["copy_due"] == national_due.isoformat()
    assert _copy_task(town, first)["due"] == national_due.isoformat()

    # Kunshan's administrator declares a local day off, the working day after the national holiday.
    local_holiday = _after(national, national_holiday)
    days = LocalDays(year=today.year, days_off=({"date": local_holiday, "name": "昆山地方假日"},))
    admin = routing_client("wenze-kunshan", "ks-intake", roles=["calendar:admin"])
    declared = admin.put(f"/v1/calendar/local-days/{today.year}", json=days.model_dump(mode="json"))
    assert declared.status_code in (200, 201), declared.text
    await wait_for_rows(review_database, "SELECT year FROM routing_local_days WHERE tenant = 'kunshan'", 1)
    local_due = COPY_DUE.compute(today, national.with_local_days([days]))
    assert local_due > national_due

    second = await _decided_town_case(as_office, review_nats, "calendar-town")
    assert second["requirements"]["copy_due"] == local_due.isoformat()
    assert _copy_task(town, second)["due"] == local_due.isoformat()
    # The copy already owed keeps the day it was given when its decision was made.
    assert _copy_task(town, first)["due"] == national_due.isoformat()


async def wait_for_rows(database: str, query: str, count: int, timeout: float = 60.0) -> list:
    """The rows of ``query`` once there are ``count``: the worker applies events asynchronously."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        rows = await _copy_of_review(database, query)
        if len(rows) >= count:
            return rows
        await asyncio.sleep(0.3)
    raise AssertionError(f"review's copy of the calendar did not reach {count} rows: {query}")
