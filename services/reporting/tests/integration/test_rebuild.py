"""A rebuild from the streams: the read model emptied and every service's events replayed from
NATS JetStream end with the very figures the consumers reached, and keep the case library's
marks; the worker, started again, finds every event already applied."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator, Iterator

import pytest

from wenze.db import UnitOfWorkFactory, create_engine
from wenze.db.migrations import upgrade
from wenze.db.tenancy import tenant_scope
from wenze.events import DecisionMade, Event, MatterRouted, NoticeSent, StepRecorded
from wenze.messaging.nats import connect_nats
from wenze.messaging.streams import ensure_stream, stream_for
from wenze.runtime import Runtime
from wenze_devtools.testing.infra import NatsServer, fresh_database, start_nats
from wenze_reporting.app import MIGRATIONS
from wenze_reporting.config import ReportingSettings
from wenze_reporting.ledger.rebuild import rebuild
from wenze_reporting.repositories import ReportingRepositories, make_repositories
from wenze_reporting.services import Services, build_services

from .conftest import apply_all, overseer
from .dataset import TENANTS, generate

pytestmark = pytest.mark.integration

MATTERS = 2_000


@pytest.fixture(scope="module")
def private_nats(tmp_path_factory: pytest.TempPathFactory) -> Iterator[NatsServer]:
    # Its own server: the session's streams hold other tests' events, which a replay would count.
    server = start_nats(tmp_path_factory.mktemp("reporting-nats"))
    yield server
    server.stop()


@pytest.fixture(scope="module")
def private_database() -> Iterator[str]:
    with fresh_database() as url:
        yield url


@pytest.fixture(scope="module")
async def settings(private_database: str, private_nats: NatsServer, tmp_path_factory: pytest.TempPathFactory):
    settings = ReportingSettings(
        database_url=private_database, nats_url=private_nats.url, data_dir=tmp_path_factory.mktemp("reporting-data")
    )
    await upgrade(MIGRATIONS, private_database, settings.db_schema)
    return settings


@pytest.fixture(scope="module")
async def local_services(settings: ReportingSettings) -> AsyncIterator[Services]:
    engine = create_engine(settings.database_url, schema=settings.db_schema)
    yield build_services(UnitOfWorkFactory(engine, make_repositories))
    await engine.dispose()


async def publish(nats_url: str, events: list[Event]) -> None:
    """The events on their producers' streams, as each service's outbox relay publishes them."""
    client = await connect_nats(nats_url, name="reporting-test-producers")
    js = client.jetstream()
    for service in ("intake", "routing", "review", "sanction-execution", "notification"):
        await ensure_stream(js, stream_for(service))
    pending = []
    for event in events:
        headers = {"Nats-Msg-Id": str(event.event_id)}
        pending.append(await js.publish_async(event.subject, event.model_dump_json().encode(), headers=headers))
        if len(pending) >= 1000:
            for future in pending:
                await future
            pending.clear()
    for future in pending:
        await future
    await client.close()


async def every_report(services: Services) -> list[str]:
    """Every report of the data set's year, as JSON text."""
    texts = []
    for tenant in TENANTS:
        with tenant_scope(tenant):
            texts += await _reports_of(services, tenant)
    return texts


async def _reports_of(services: Services, tenant: str) -> list[str]:
    texts = []
    reader = overseer(tenant)
    for year, month in [(2025, m) for m in range(7, 13)] + [(2026, m) for m in range(1, 7)]:
        texts.append((await services.reports.month_end(reader, year, month)).model_dump_json())
        texts.append((await services.reports.monthly(reader, year, month)).model_dump_json())
    texts.append((await services.reports.half_year(reader, 2026, 1)).model_dump_json())
    texts.append(
        (await services.reports.statistics(reader, dt.date(2025, 7, 1), dt.date(2026, 6, 30))).model_dump_json()
    )
    texts.append((await services.library.cases(reader, 2026, 3)).model_dump_json())
    # Every matter's progress, and the whole timeline of the first page's.
    offset = 0
    while True:
        page = await services.progress.matters(reader, office=None, stage=None, limit=200, offset=offset)
        texts.append(page.model_dump_json())
        if offset == 0:
            for matter in page.matters[:50]:
                texts.append((await services.progress.matter(reader, matter.matter_id)).model_dump_json())
        offset += 200
        if offset >= page.total:
            return texts


def with_review_steps_and_notices(events: list[Event]) -> list[Event]:
    """The data set with a step of review after each routing and a notice after each decision,
    so the replay covers every contract the timeline reads."""
    more: list[Event] = []
    for event in events:
        common = {"tenant": event.tenant, "matter_id": event.matter_id}
        if isinstance(event, MatterRouted) and event.handler:
            more.append(
                StepRecorded(
                    **common,
                    occurred_at=event.occurred_at + dt.timedelta(hours=2),
                    kind="case",
                    case_id=event.slip_id,
                    subject_id=event.slip_id,
                    action="case_opened",
                    office=event.handler,
                    case_state="investigating",
                    citations=event.citations,
                )
            )
        if isinstance(event, DecisionMade):
            more.append(
                NoticeSent(
                    **common,
                    occurred_at=event.occurred_at + dt.timedelta(hours=1),
                    notice_id=event.decision_id,
                    delivery_id=event.decision_id,
                    notice="result_feedback",
                    recipient=event.decided_by,
                    channel="email",
                    attempts=1,
                )
            )
    return events + more


async def test_a_rebuild_from_the_streams_gives_identical_figures(
    settings: ReportingSettings, local_services: Services, private_nats: NatsServer
) -> None:
    events = with_review_steps_and_notices(generate(MATTERS, seed=5)[0])
    assert await apply_all(local_services, events) == len(events)
    decision = next(
        e for e in events if isinstance(e, DecisionMade) and e.decided_on.month == 3 and e.decided_on.year == 2026
    )
    with tenant_scope(decision.tenant):
        await local_services.library.mark_typical(overseer(decision.tenant), str(decision.decision_id), "典型")
    before = await every_report(local_services)
    assert any('"received":0' not in text for text in before)
    assert any('"stage":"investigating"' in text for text in before)

    await publish(private_nats.url, events)
    runtime: Runtime[ReportingRepositories] = await Runtime.start(
        settings, make_repositories=make_repositories, migrations_dir=None
    )
    try:
        result = await rebuild(runtime)
    finally:
        await runtime.close()

    assert result.removed["report_matters"] == MATTERS
    assert result.removed["inbox"] == len(events)
    assert sum(result.applied.values()) == len(events)
    assert result.refused == 0
    after = await every_report(local_services)
    assert after == before
    # The typical mark is the library's own state, not a projection: it outlived the rebuild.
    with tenant_scope(decision.tenant):
        library = await local_services.library.cases(overseer(decision.tenant), 2026, 3, typical_only=True)
    assert [c.decision_id for c in library.cases] == [str(decision.decision_id)]
    # The worker's consumers, under the same inbox names, find nothing left to apply.
    assert await apply_all(local_services, events) == 0


async def test_a_redelivered_batch_changes_nothing(local_services: Services) -> None:
    events = with_review_steps_and_notices(generate(40, seed=9)[0])
    assert await apply_all(local_services, events) == len(events)
    before = await every_report(local_services)
    assert await apply_all(local_services, events, seed=11) == 0
    assert await every_report(local_services) == before
