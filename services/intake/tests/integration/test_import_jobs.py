"""Import jobs change state only through their state machine: of runners racing for one job,
on either database intake runs on (SQLite, where ``FOR UPDATE`` locks nothing, and
PostgreSQL), exactly one claims it. ``POST /v1/matter-imports`` honours ``Idempotency-Key``."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from wenze.db import UnitOfWorkFactory, create_engine
from wenze.db.base import utcnow
from wenze.db.migrations import upgrade
from wenze_intake.app import MIGRATIONS, IntakeServices
from wenze_intake.config import IntakeSettings
from wenze_intake.imports.models import ImportJob, ImportJobState
from wenze_intake.imports.repository import STALE_AFTER, ImportRepository
from wenze_intake.imports.service import ImportService
from wenze_intake.repositories import IntakeUnitOfWorkFactory, make_repositories

pytestmark = pytest.mark.integration

RUNNERS = 4


@pytest.fixture(params=["sqlite", "postgresql"])
async def units_of_work(
    request: pytest.FixtureRequest, tmp_path: Path, database_url: str
) -> AsyncIterator[IntakeUnitOfWorkFactory]:
    if request.param == "sqlite":
        url, schema = f"sqlite:///{tmp_path / 'intake.db'}", "intake"
    else:
        # A schema of its own: the session's intake worker claims jobs in schema "intake".
        url, schema = database_url, f"intake_{uuid.uuid4().hex[:8]}"
    await upgrade(MIGRATIONS, url, schema)
    engine = create_engine(url, schema=schema)
    yield UnitOfWorkFactory(engine, make_repositories)
    await engine.dispose()


@pytest.fixture
def claims_meet_before_writing(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every runner has read the job as claimable before any of them writes: the race at its worst."""
    everyone_has_read = asyncio.Barrier(RUNNERS)
    claim = ImportRepository.claim

    async def after_everyone_has_read(self: ImportRepository, job: ImportJob) -> None:
        await everyone_has_read.wait()
        await claim(self, job)

    monkeypatch.setattr(ImportRepository, "claim", after_everyone_has_read)


def import_service(units_of_work: IntakeUnitOfWorkFactory, data_dir: Path) -> ImportService:
    """The import service as a worker builds it."""
    return IntakeServices.build(IntakeSettings(data_dir=data_dir), units_of_work).imports


async def add_job(
    units_of_work: IntakeUnitOfWorkFactory, state: ImportJobState, heartbeat_at: dt.datetime | None
) -> str:
    job_id = str(uuid.uuid4())
    async with units_of_work() as uow:
        uow.repos.imports.add(
            ImportJob(
                id=job_id,
                tenant="kunshan",
                state=state,
                format="jsonl",
                file_path="unused.jsonl",
                file_bytes=0,
                created_by="ks-intake",
                heartbeat_at=heartbeat_at,
            )
        )
        await uow.commit()
    return job_id


@pytest.mark.usefixtures("claims_meet_before_writing")
@pytest.mark.parametrize("waiting", ["queued", "left by a runner that died"])
async def test_of_runners_racing_for_one_job_exactly_one_claims_it(
    units_of_work: IntakeUnitOfWorkFactory, tmp_path: Path, waiting: str
) -> None:
    if waiting == "queued":
        job_id = await add_job(units_of_work, ImportJobState.QUEUED, None)
    else:
        job_id = await add_job(units_of_work, ImportJobState.RUNNING, utcnow() - 2 * STALE_AFTER)
    runners = [import_service(units_of_work, tmp_path) for _ in range(RUNNERS)]

    claimed = await asyncio.gather(*(runner.claim_next() for runner in runners))

    assert (claimed.count(job_id), claimed.count(None)) == (1, RUNNERS - 1), claimed
    async with units_of_work() as uow:
        job = await uow.repos.imports.find(job_id)
        assert job is not None and job.state == ImportJobState.RUNNING
        assert job.heartbeat_at is not None and job.heartbeat_at > utcnow() - STALE_AFTER


async def test_a_job_finished_meanwhile_keeps_its_outcome(
    units_of_work: IntakeUnitOfWorkFactory, tmp_path: Path
) -> None:
    """A runner stopping (requeue) or failing a job another runner has since completed changes nothing."""
    job_id = await add_job(units_of_work, ImportJobState.COMPLETED, utcnow())
    imports = import_service(units_of_work, tmp_path)

    await imports.requeue(job_id)
    await imports.fail(job_id, "the import's process stopped unexpectedly")

    async with units_of_work() as uow:
        job = await uow.repos.imports.find(job_id)
        assert job is not None and (job.state, job.failure) == (ImportJobState.COMPLETED, None)


def jsonl(rows: list[dict]) -> bytes:
    return "\n".join(json.dumps(r, ensure_ascii=False) for r in rows).encode()


def test_a_repeated_upload_with_its_idempotency_key_answers_the_first_job(
    ks_intake: httpx.Client, make_matter, wait_done
) -> None:
    marker = uuid.uuid4().hex[:8]
    content = jsonl([make_matter(summary=f"重放{marker}-{i}") for i in range(3)])
    headers = {"Content-Type": "application/x-ndjson", "Idempotency-Key": f"import-{marker}"}

    first = ks_intake.post("/v1/matter-imports", content=content, headers=headers)
    again = ks_intake.post("/v1/matter-imports", content=content, headers=headers)

    assert first.status_code == again.status_code == 202, again.text
    assert "Idempotency-Replayed" not in first.headers
    assert again.headers["Idempotency-Replayed"] == "true"
    assert again.json() == first.json()
    assert again.headers["Location"] == f"/v1/matter-imports/{first.json()['id']}"
    job = wait_done(ks_intake, first.json()["id"])
    assert (job["state"], job["registered"]) == ("completed", 3), job


def test_an_idempotency_key_reused_for_another_upload_is_refused(ks_intake: httpx.Client, make_matter) -> None:
    key = {"Idempotency-Key": f"import-{uuid.uuid4().hex}"}
    content = jsonl([make_matter()])
    first = ks_intake.post(
        "/v1/matter-imports", content=content, headers={**key, "Content-Type": "application/x-ndjson"}
    )
    assert first.status_code == 202, first.text

    for other in (
        {"content": jsonl([make_matter()]), "headers": {**key, "Content-Type": "application/x-ndjson"}},
        # The same bytes read as another format are another request.
        {"content": content, "headers": {**key, "Content-Type": "text/csv"}},
    ):
        reused = ks_intake.post("/v1/matter-imports", **other)
        assert reused.status_code == 409, reused.text
        problem = reused.json()
        assert problem["type"].endswith("/idempotency-key-reused")
        assert problem["errors"] == [
            {"field": "header.Idempotency-Key", "reason": "already used for a different request"}
        ]
