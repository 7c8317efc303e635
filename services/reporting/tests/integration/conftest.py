"""The reporting services in-process on a schema of their own in the session's PostgreSQL
database, and the events of a generated data set applied to it as the worker applies them."""

from __future__ import annotations

import random
import uuid
from collections import defaultdict
from collections.abc import AsyncIterator, Sequence

import pytest

from wenze.auth.capabilities import CASE_LIBRARY_CURATE, MATTER_OVERSEE, MATTER_READ, REPORT_READ
from wenze.auth.principal import Principal
from wenze.db import UnitOfWorkFactory, create_engine
from wenze.db.migrations import upgrade
from wenze.db.tenancy import tenant_scope
from wenze.events import Event
from wenze.messaging.consumer import BULK_BATCH as BATCH
from wenze.rules import get_pack
from wenze_reporting.app import MIGRATIONS
from wenze_reporting.ledger.consumers import consumer_name
from wenze_reporting.repositories import make_repositories
from wenze_reporting.services import Services, build_services


def overseer(tenant: str, *, office: str | None = None, roles: Sequence[str] = ()) -> Principal:
    """An office overseeing every matter of ``tenant``, with authority over every level its pack knows."""
    pack = get_pack(tenant)
    levels = frozenset(pack.vocabulary.get("cadre_levels", {})) | frozenset(
        pack.vocabulary.get("organisation_levels", {})
    )
    return Principal(
        tenant=tenant,
        subject=f"{tenant}-reporter",
        username=f"{tenant}-reporter",
        roles=frozenset({MATTER_READ, MATTER_OVERSEE, REPORT_READ, CASE_LIBRARY_CURATE, *roles}),
        office=office or sorted(pack.vocabulary["offices"])[0],
        cadre_authority=levels,
    )


async def apply_all(services: Services, events: Sequence[Event], *, seed: int = 3) -> int:
    """Apply ``events`` as the worker's consumers would: one consumer per contract, batches of
    one tenant's events, and the consumers taking turns in no fixed order."""
    queues: dict[tuple[str, str], list[Event]] = defaultdict(list)
    for event in events:
        queues[consumer_name(type(event)), event.tenant].append(event)
    batches = [
        (consumer, tenant, queue[i : i + BATCH])
        for (consumer, tenant), queue in queues.items()
        for i in range(0, len(queue), BATCH)
    ]
    random.Random(seed).shuffle(batches)
    applied = 0
    for consumer, tenant, batch in batches:
        with tenant_scope(tenant):
            applied += await services.ledger.apply(consumer, batch)
    return applied


@pytest.fixture(scope="module")
async def reporting_schema(database_url: str) -> AsyncIterator[tuple[str, str]]:
    schema = f"reporting_{uuid.uuid4().hex[:8]}"
    await upgrade(MIGRATIONS, database_url, schema)
    yield database_url, schema


@pytest.fixture(scope="module")
async def services(reporting_schema: tuple[str, str]) -> AsyncIterator[Services]:
    url, schema = reporting_schema
    engine = create_engine(url, schema=schema)
    yield build_services(UnitOfWorkFactory(engine, make_repositories))
    await engine.dispose()
