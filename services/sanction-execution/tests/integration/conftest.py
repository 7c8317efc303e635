"""Sanction-execution on a database and a NATS server of its own (on the session's, its
worker would share the decision consumer with the end-to-end stack's and take its events).

The API runs as a process over real HTTP with the test issuer's tokens; the decisions are fed
in-process through the same service method the worker's consumer calls, and the deadline
scheduler is driven with a chosen date, so that the tests read the official calendar of 2026
whatever day they run.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import AsyncIterator, Callable, Iterator

import httpx
import pytest
from typer.testing import CliRunner

from wenze.db import UnitOfWorkFactory, create_engine
from wenze.db.tenancy import tenant_scope
from wenze.events import DecidedMeasure, DecisionMade, TargetSnapshot
from wenze_devtools.testing.infra import NatsServer, ServiceProcess, fresh_database, start_nats
from wenze_sanction_execution.__main__ import cli
from wenze_sanction_execution.executions.scheduler import DeadlineScheduler
from wenze_sanction_execution.executions.service import ExecutionService
from wenze_sanction_execution.repositories import SanctionExecutionRepositories, make_repositories

SCHEMA = "sanction_execution"


@pytest.fixture(scope="package")
def execution_nats(tmp_path_factory: pytest.TempPathFactory) -> Iterator[NatsServer]:
    server = start_nats(tmp_path_factory.mktemp("execution-nats"))
    yield server
    server.stop()


@pytest.fixture(scope="package")
def execution_database() -> Iterator[str]:
    with fresh_database() as url:
        migrated = CliRunner().invoke(cli, ["migrate"], env={"WENZE_SANCTION_EXECUTION_DATABASE_URL": url})
        assert migrated.exit_code == 0, migrated.output
        yield url


@pytest.fixture(scope="package")
def execution_api(service_factory, execution_database: str, execution_nats: NatsServer) -> Iterator[ServiceProcess]:
    api = service_factory("sanction-execution", database=execution_database, nats_url=execution_nats.url)
    yield api
    api.stop()


@pytest.fixture(scope="package")
async def units(execution_database: str) -> AsyncIterator[UnitOfWorkFactory[SanctionExecutionRepositories]]:
    engine = create_engine(execution_database, schema=SCHEMA)
    yield UnitOfWorkFactory(engine, make_repositories)
    await engine.dispose()


@pytest.fixture(scope="package")
def executions(units) -> ExecutionService:
    return ExecutionService(units, default_lead_days=3)


@pytest.fixture(scope="package")
def client_for(token) -> Iterator[Callable[..., httpx.Client]]:
    clients: list[httpx.Client] = []

    def make(api: ServiceProcess, realm: str, username: str) -> httpx.Client:
        client = httpx.Client(
            base_url=api.url, timeout=30, headers={"Authorization": f"Bearer {token(realm, username)}"}
        )
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.close()


def decision(
    tenant: str,
    *,
    decided_on: dt.date,
    decided_by: str,
    target: dict,
    measures: list[str],
    announced_on: dt.date | None = None,
) -> DecisionMade:
    serial = uuid.uuid4().hex[:6]
    return DecisionMade(
        tenant=tenant,
        matter_id=uuid.uuid4(),
        decision_id=uuid.uuid4(),
        number=f"DEC-{serial}",
        matter_number=f"M-{serial}",
        decided_by=decided_by,
        decided_on=decided_on,
        announced_on=announced_on,
        simplified_procedure=False,
        measures=[DecidedMeasure(target=TargetSnapshot(**target), measures=measures)],
        citations=[],
    )


async def deliver(executions: ExecutionService, event: DecisionMade) -> None:
    """As the worker's consumer does: in the event's tenant scope."""
    with tenant_scope(event.tenant):
        await executions.decision_made(event)


async def fire_on(executions: ExecutionService, today: dt.date) -> dict[str, tuple[int, int]]:
    return await DeadlineScheduler(executions, interval=1, batch=50, today=lambda _tenant: today).run_once()
