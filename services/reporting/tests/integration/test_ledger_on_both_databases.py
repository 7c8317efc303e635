"""The ledger on both databases the platform uses, a SQLite file (the embedded default) and
PostgreSQL: events applied one at a time in the order they happened, and the same events in
the worker's shuffled batches of 500 (several events of one matter meeting in one batch before
the stored row), leave the same rows behind: intake's, routing's and review's events reach
reporting on separate consumers, in no fixed order between them."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import AsyncIterator, Sequence
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from wenze.db import UnitOfWorkFactory, create_engine
from wenze.db.migrations import upgrade
from wenze.db.tenancy import tenant_scope
from wenze.events import ConsultationRequested, Event, MatterRouted, TargetsIdentified
from wenze.events.intake import TargetSnapshot
from wenze_reporting.app import MIGRATIONS
from wenze_reporting.ledger.consumers import consumer_name
from wenze_reporting.ledger.models import ReportMatter, ReportSlip
from wenze_reporting.progress.models import MatterHolder, MatterProgress
from wenze_reporting.repositories import make_repositories
from wenze_reporting.services import Services, build_services

from .conftest import apply_all
from .dataset import generate

pytestmark = pytest.mark.integration

MATTERS = 120


def with_consultations_and_identified_targets(events: Sequence[Event]) -> list[Event]:
    """``events`` and, for some routed matters, a consultation requested before the routing,
    a second slip after it, and targets identified by one investigation or two (a person the
    matter did not name, and a target it named already)."""
    more: list[Event] = []
    routed = [e for e in events if isinstance(e, MatterRouted)]
    for index, event in enumerate(routed):
        common: dict[str, Any] = {"tenant": event.tenant, "matter_id": event.matter_id, "slip_id": event.slip_id}
        if index % 3 == 0:
            more.append(
                ConsultationRequested(
                    **common,
                    occurred_at=event.occurred_at - dt.timedelta(hours=2),
                    slip_number=event.slip_number,
                    matter_number=event.matter_number,
                    summary=event.summary,
                    relevant_date=event.relevant_date,
                    targets=event.targets,
                    lead=event.handler,
                    participants=event.cc,
                    proposed_handler=event.handler,
                    handler_candidates=[h for h in [event.handler] if h],
                    approved_by=[],
                    escalation=[],
                    facts={},
                    outcome={},
                    citations=event.citations,
                )
            )
        if index % 5 == 0:
            more.append(
                event.model_copy(
                    update={
                        "event_id": uuid.uuid4(),
                        "slip_id": uuid.uuid4(),
                        "slip_number": f"{event.slip_number}-2",
                        "occurred_at": event.occurred_at + dt.timedelta(days=1),
                    }
                )
            )
        for investigation in range(2 if index % 8 == 0 else 1 if index % 4 == 0 else 0):
            found = TargetSnapshot(kind="person", name=f"查明对象{index}-{investigation}", unit="某镇")
            more.append(
                TargetsIdentified(
                    **common,
                    occurred_at=event.occurred_at + dt.timedelta(days=3 + investigation),
                    investigation_id=uuid.uuid4(),
                    targets=[found, *event.targets[:1]],
                )
            )
    return [*events, *more]


@pytest.fixture(params=["sqlite", "postgresql"])
async def two_ledgers(
    request: pytest.FixtureRequest, tmp_path: Path, database_url: str
) -> AsyncIterator[tuple[Services, Services]]:
    made = []
    for name in ("one_at_a_time", "batched"):
        if request.param == "sqlite":
            url, schema = f"sqlite:///{tmp_path / f'{name}.db'}", "reporting"
        else:
            url, schema = database_url, f"reporting_{uuid.uuid4().hex[:8]}"
        await upgrade(MIGRATIONS, url, schema)
        made.append(create_engine(url, schema=schema))
    yield (
        build_services(UnitOfWorkFactory(made[0], make_repositories)),
        build_services(UnitOfWorkFactory(made[1], make_repositories)),
    )
    for engine in made:
        await engine.dispose()


async def stored(services: Services) -> dict[str, list[dict[str, Any]]]:
    """Every row of the tables the hot events write, in a fixed order."""
    found = {}
    async with services.ledger.uow.system("ledger comparison") as uow:
        for model in (ReportMatter, ReportSlip, MatterProgress, MatterHolder):
            table: Any = model.__table__
            rows = (await uow.session.execute(select(table).order_by(*table.primary_key.columns))).all()
            found[table.name] = [dict(row._mapping) for row in rows]
    return found


async def test_events_one_at_a_time_and_in_shuffled_batches_leave_the_same_rows(
    two_ledgers: tuple[Services, Services],
) -> None:
    one_at_a_time, batched = two_ledgers
    events = with_consultations_and_identified_targets(generate(MATTERS, seed=21)[0])
    for event in sorted(events, key=lambda e: e.occurred_at):
        with tenant_scope(event.tenant):
            assert await one_at_a_time.ledger.apply(consumer_name(type(event)), [event]) == 1
    assert await apply_all(batched, events, seed=4) == len(events)

    expected, found = await stored(one_at_a_time), await stored(batched)
    assert len(expected["report_matters"]) == MATTERS
    assert found == expected
    matters = found["report_matters"]
    identified = [m for m in matters if m["identified_targets"]]
    assert any(len(m["identified_targets"]) >= 3 for m in identified), "two investigations' targets were kept"
    assert all(m["targets"] for m in identified), "beside the targets intake named"
    assert any(m["consultation_requested_on"] is not None for m in matters)
    assert any(m["routed_on"] is not None and m["decided_on"] is not None for m in matters)
    assert len(found["report_slips"]) > len([m for m in matters if m["routed_on"] is not None])
