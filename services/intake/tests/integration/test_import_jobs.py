"""Import jobs change state only through their state machine: of runners racing for one job,
on either database intake runs on (SQLite, where ``FOR UPDATE`` locks nothing, and
PostgreSQL), exactly one claims it. ``POST /v1/matter-imports`` honours ``Idempotency-Key``.
A job run on either database reads the files people make (GBK, headings in Chinese) and
reports its rows exactly."""

from __future__ import annotations

import asyncio
import csv
import datetime as dt
import io
import json
import uuid
from collections.abc import AsyncIterator, Sequence
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from wenze.auth.capabilities import MATTER_ACCEPT, MATTER_READ
from wenze.auth.principal import Principal
from wenze.db import UnitOfWorkFactory, create_engine
from wenze.db.base import utcnow
from wenze.db.migrations import upgrade
from wenze.db.outbox import OUTBOX
from wenze.events import MatterAccepted, subject_for
from wenze.rules import get_pack
from wenze_intake.app import MIGRATIONS, IntakeServices
from wenze_intake.audit import Caller
from wenze_intake.config import IntakeSettings
from wenze_intake.imports import service as import_jobs
from wenze_intake.imports.models import ImportJob, ImportJobState
from wenze_intake.imports.repository import STALE_AFTER, ImportRepository
from wenze_intake.imports.schemas import ImportAcceptanceCreate, ImportJobRead
from wenze_intake.imports.service import ImportService
from wenze_intake.matters.events import accepted_event
from wenze_intake.matters.models import Matter, TimelineEntry
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
            {"field": "header.Idempotency-Key", "reason": "already used for a different request", "code": "key_reused"}
        ]


def gbk_csv(rows: list[list[str]]) -> bytes:
    """A CSV as Excel saves one on a Chinese Windows: GBK, CRLF, headings in the pack's words."""
    buffer = io.StringIO()
    csv.writer(buffer).writerows(rows)
    return buffer.getvalue().encode("gbk")


async def queue_file(units_of_work: IntakeUnitOfWorkFactory, path: Path, fmt: str) -> str:
    job_id = str(uuid.uuid4())
    async with units_of_work() as uow:
        uow.repos.imports.add(
            ImportJob(
                id=job_id,
                tenant="kunshan",
                state=ImportJobState.QUEUED,
                format=fmt,
                filename=path.name,
                file_path=str(path),
                file_bytes=path.stat().st_size,
                created_by="ks-intake",
                created_by_office="case_management_office",
                processed_rows=0,
                registered=0,
                refused=0,
            )
        )
        await uow.commit()
    return job_id


async def run_job(
    units_of_work: IntakeUnitOfWorkFactory, data_dir: Path, job_id: str, batch_size: int
) -> ImportJobRead:
    settings = IntakeSettings(data_dir=data_dir, import_batch_size=batch_size)
    imports = IntakeServices.build(settings, units_of_work).imports
    assert await imports.claim_next() == job_id
    await imports.process(job_id)
    async with units_of_work.system("test") as uow:
        return ImportJobRead.model_validate(await uow.repos.imports.find(job_id))


async def test_a_gbk_file_with_chinese_headings_imports_with_exact_rows_and_a_known_total(
    units_of_work: IntakeUnitOfWorkFactory, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Headings from the pack's labels, dates as 2026/11/2 and 2026年11月3日; a row repeating a
    row of its own batch and one repeating a row of an earlier batch are each refused under
    their own row number, naming the matter of the row they repeat; the job knows its total
    before the first batch is written."""
    labels = get_pack("kunshan").vocabulary["matter_fields"]
    columns = ["source", "source_reference", "summary", "facts", "relevant_date"]
    columns += ["target_kind", "target_name", "target_cadre_level", "target_sector"]
    marker = uuid.uuid4().hex[:8]
    rows = [
        [
            *("city_government", f"昆编{marker}-{n}", f"编码{marker}-{n}", "事实"),
            "2026/11/2" if n % 2 else "2026年11月3日",
            *("person", f"王{n}", "not_city_managed", "district_town"),
        ]
        for n in range(1, 26)
    ]
    rows[0][0] = "nowhere"  # row 1: refused, so the rows after it are not where their index says
    rows[13][1] = rows[11][1]  # row 14 repeats row 12, in the same batch (rows 11-20)
    rows[22][1] = rows[4][1]  # row 23 repeats row 5, registered by the first batch
    path = tmp_path / "线索.csv"
    path.write_bytes(gbk_csv([[labels[c] for c in columns], *rows]))
    job_id = await queue_file(units_of_work, path, "csv")

    totals_at_writes: list[int | None] = []
    write = ImportService._write

    async def noting_the_total(self: ImportService, written_job: str, checked) -> None:
        async with units_of_work() as uow:  # in the job's tenant scope
            job = await uow.repos.imports.find(written_job)
            assert job is not None
            totals_at_writes.append(job.total_rows)
        await write(self, written_job, checked)

    monkeypatch.setattr(ImportService, "_write", noting_the_total)
    job = await run_job(units_of_work, tmp_path, job_id, batch_size=10)

    assert (job.state, job.failure) == (ImportJobState.COMPLETED, None)
    assert totals_at_writes == [25, 25, 25]
    assert (job.total_rows, job.processed_rows, job.registered, job.refused) == (25, 25, 22, 3)
    async with units_of_work.system("test") as uow:
        errors = {e.row: e.errors for e in await uow.repos.imports.row_errors(job_id, 0, 100)}
        matters = await uow.session.execute(
            select(Matter.id, Matter.summary, Matter.relevant_date).where(Matter.import_job_id == job_id)
        )
        by_row = {int(summary.rsplit("-", 1)[1]): (id_, relevant) for id_, summary, relevant in matters}
    assert sorted(errors) == [1, 14, 23]
    assert errors[1][0]["field"] == "source"
    assert errors[14] == [
        {
            "field": "source_reference",
            "reason": "repeats row 12 of this file",
            "code": "repeats_earlier_row",
            "existing_matter_id": by_row[12][0],
        }
    ]
    assert errors[23][0]["field"] == "source_reference" and errors[23][0]["existing_matter_id"] == by_row[5][0]
    assert by_row[3][1] == dt.date(2026, 11, 2) and by_row[4][1] == dt.date(2026, 11, 3)
    assert not path.exists(), "a completed job's file is deleted"


async def test_a_header_with_an_unknown_column_fails_the_job_once_naming_the_headings(
    units_of_work: IntakeUnitOfWorkFactory, tmp_path: Path
) -> None:
    labels = get_pack("kunshan").vocabulary["matter_fields"]
    header = [labels["source"], labels["summary"], labels["facts"], "承办人"]
    path = tmp_path / "unknown.csv"
    path.write_bytes(gbk_csv([header, *(["city_government", "摘要", "事实", "张三"] for _ in range(40))]))
    job_id = await queue_file(units_of_work, path, "csv")

    job = await run_job(units_of_work, tmp_path, job_id, batch_size=10)

    assert job.state == ImportJobState.FAILED and job.failure is not None
    assert job.failure.startswith("the header row has columns this import does not know: 承办人;")
    assert f"source ({labels['source']})" in job.failure and f"target_name ({labels['target_name']})" in job.failure
    assert (job.processed_rows, job.registered, job.refused) == (0, 0, 0)
    async with units_of_work.system("test") as uow:
        assert await uow.repos.imports.row_errors(job_id, 0, 100) == []
    assert not path.exists(), "a failed job's file is deleted"


async def test_a_job_stopped_midway_keeps_its_file_until_the_next_runner_completes_it(
    units_of_work: IntakeUnitOfWorkFactory, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A runner stopped after the first batch hands the job back with its file; the next one
    reads the rest of it, and only then is the file deleted."""
    marker = uuid.uuid4().hex[:8]
    columns = ["source", "source_reference", "summary", "facts", "relevant_date"]
    columns += ["target_kind", "target_name", "target_cadre_level", "target_sector"]
    rows = [
        [
            *("city_government", f"续{marker}-{n}", f"续跑{marker}-{n}", "事实", "2026-11-02"),
            *("person", f"王{n}", "not_city_managed", "district_town"),
        ]
        for n in range(1, 31)
    ]
    path = tmp_path / "resume.csv"
    path.write_bytes(gbk_csv([columns, *rows]))
    job_id = await queue_file(units_of_work, path, "csv")

    class Stopped(BaseException):
        """The job's process ending mid-job, as a worker's SIGTERM or kill ends it."""

    write = ImportService._write
    writes = 0

    async def stopping_after_the_first_batch(self: ImportService, written_job: str, checked) -> None:
        nonlocal writes
        if writes == 1:
            raise Stopped
        writes += 1
        await write(self, written_job, checked)

    monkeypatch.setattr(ImportService, "_write", stopping_after_the_first_batch)
    settings = IntakeSettings(data_dir=tmp_path, import_batch_size=10)
    stopped = IntakeServices.build(settings, units_of_work).imports
    assert await stopped.claim_next() == job_id
    with pytest.raises(Stopped):
        await stopped.process(job_id)
    await stopped.requeue(job_id)
    async with units_of_work.system("test") as uow:
        job = await uow.repos.imports.find(job_id)
        assert job is not None and (job.state, job.processed_rows) == (ImportJobState.QUEUED, 10)
    assert path.exists(), "a job that has not ended keeps its file"

    monkeypatch.setattr(ImportService, "_write", write)
    resumed = await run_job(units_of_work, tmp_path, job_id, batch_size=10)

    assert (resumed.state, resumed.processed_rows, resumed.registered, resumed.refused) == (
        ImportJobState.COMPLETED,
        30,
        30,
        0,
    )
    assert not path.exists()


async def test_a_worker_starting_deletes_only_the_files_of_finished_jobs(
    units_of_work: IntakeUnitOfWorkFactory, tmp_path: Path
) -> None:
    """Files a runner stopped before deleting (its job completed or failed) go; the file of a
    queued or running job, and an upload not yet recorded as a job, stay."""
    imports = import_service(units_of_work, tmp_path)
    files: dict[str, Path] = {}
    for state in ImportJobState:
        job_id = await add_job(units_of_work, state, utcnow())
        files[state] = imports.upload_dir / f"{job_id}.csv"
    files["uploading"] = imports.upload_dir / f"{uuid.uuid4()}.xlsx"
    for path in files.values():
        path.write_bytes(b"source\n")

    assert await imports.discard_finished_files() == 2

    assert {name for name, path in files.items() if path.exists()} == {"queued", "running", "uploading"}


async def test_a_whole_import_accepted_announces_each_matter_as_its_single_acceptance_would(
    units_of_work: IntakeUnitOfWorkFactory, tmp_path: Path
) -> None:
    """A chunk's acceptance is one statement on PostgreSQL, PostgreSQL building each event from
    the stored rows, and the portable path on SQLite: on both, every matter's ``matter.accepted``
    event is the one ``accepted_event`` builds from the stored matter, its outbox row carries the
    event's id, and the matter and its timeline record the same decision."""
    marker = uuid.uuid4().hex[:8]
    person = {"kind": "person", "name": "张明", "post": "副局长", "unit": "市住房和城乡建设局"}
    person |= {"cadre_level": "city_managed", "sector": "city_department", "party_member": True}
    rows = [
        {"targets": [{**person, "identity_number": "11010519491231002X"}], "proposed_form": "form_2"},
        {"targets": [{"kind": "organisation", "name": "某镇党委", "org_level": "township_section"}]},
        {"targets": [{"kind": "unknown", "unit": "陆家镇", "sector": "district_town"}], "key_supervised": True},
        {
            "targets": [
                {**person, "proposed_form": "form_3"},
                {**person, "name": "李华", "cadre_level": "not_city_managed", "party_member": False},
            ],
            "proposed_form": "form_1",
        },
    ]
    job = await _imported(units_of_work, tmp_path, [_clue(marker, n, row) for n, row in enumerate(rows * 3)])
    study_date = get_pack("kunshan").today()
    acceptance = ImportAcceptanceCreate(participants=["周敏", "陈立"], study_date=study_date)

    answer = await import_service(units_of_work, tmp_path).accept_matters(Caller(_accepting()), job.id, acceptance)

    assert (answer.accepted, answer.awaiting) == (job.registered, 0)
    async with units_of_work.system("test") as uow:
        matters = (
            await uow.session.scalars(
                select(Matter).where(Matter.import_job_id == job.id).options(selectinload(Matter.targets))
            )
        ).all()
        announced = select(OUTBOX.c.id, OUTBOX.c.payload).where(OUTBOX.c.subject == ACCEPTED)
        outbox = (await uow.session.execute(announced)).all()
        timeline = (
            await uow.session.execute(
                select(TimelineEntry.matter_id, TimelineEntry.at, TimelineEntry.detail).where(
                    TimelineEntry.action == "acceptance_decided"
                )
            )
        ).all()
        events = {str(event.matter_id): (row_id, event) for row_id, event in _accepted(outbox)}
        decided = {matter_id: (at, detail) for matter_id, at, detail in timeline}
        assert len(events) == len(outbox) == len(matters) == job.registered
        assert any(t.person_ref for m in matters for t in m.targets), "the identity number gave a person reference"
        for matter in matters:
            row_id, event = events[matter.id]
            assert row_id == str(event.event_id)
            expected = accepted_event(matter, event.occurred_at, study_date, ["周敏", "陈立"], "ks-intake")
            assert event.model_dump(exclude={"event_id"}) == expected.model_dump(exclude={"event_id"})
            assert matter.state == "accepted"
            assert matter.acceptance is not None
            assert (matter.acceptance["decided_by"], matter.acceptance["participants"]) == (
                "ks-intake",
                ["周敏", "陈立"],
            )
            at, detail = decided[matter.id]
            assert at == event.occurred_at
            assert detail == {k: v for k, v in matter.acceptance.items() if k != "decided_by"}
            assert dt.datetime.fromisoformat(detail["decided_at"]) == event.occurred_at


async def test_two_acceptances_of_one_import_at_once_accept_each_matter_once(
    units_of_work: IntakeUnitOfWorkFactory, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two requests accepting the same import at the same moment walk the same chunks: each
    matter is accepted, announced and put on its timeline once, and the answers add up."""
    marker = uuid.uuid4().hex[:8]
    job = await _imported(units_of_work, tmp_path, [_clue(marker, n, {}) for n in range(30)])
    monkeypatch.setattr(import_jobs, "ACCEPT_CHUNK", 7)  # several chunks each, so that the walks overlap
    acceptance = ImportAcceptanceCreate(participants=["周敏"], study_date=get_pack("kunshan").today())

    services = [import_service(units_of_work, tmp_path) for _ in range(2)]

    answers = await asyncio.gather(*(s.accept_matters(Caller(_accepting()), job.id, acceptance) for s in services))

    assert sum(a.accepted for a in answers) == job.registered == 30
    async with units_of_work.system("test") as uow:
        announced = select(OUTBOX.c.payload).where(OUTBOX.c.subject == ACCEPTED)
        events = [MatterAccepted.model_validate_json(p).matter_id for p in (await uow.session.scalars(announced)).all()]
        decided = select(TimelineEntry.matter_id).where(TimelineEntry.action == "acceptance_decided")
        entries = list((await uow.session.scalars(decided)).all())
        states = {m.state for m in (await uow.session.scalars(select(Matter).where(Matter.import_job_id == job.id)))}
    assert len(events) == len(set(events)) == len(entries) == len(set(entries)) == 30
    assert states == {"accepted"}


def _clue(marker: str, n: int, extra: dict) -> dict:
    return {
        "source": "city_government",
        "source_reference": f"昆验{marker}-{n}",
        "summary": f"整批受理{marker}-{n}",
        "facts": "2026年3月，某项目因审批拖延停滞两个月，造成不良影响。",
        "relevant_date": "2026-03-02",
        "targets": [{"kind": "unknown", "unit": "陆家镇", "sector": "district_town"}],
        **extra,
    }


async def _imported(units_of_work: IntakeUnitOfWorkFactory, tmp_path: Path, rows: list[dict]) -> ImportJobRead:
    path = tmp_path / f"{uuid.uuid4().hex}.jsonl"
    path.write_bytes(jsonl(rows))
    job = await run_job(units_of_work, tmp_path, await queue_file(units_of_work, path, "jsonl"), batch_size=5)
    assert (job.state, job.registered) == (ImportJobState.COMPLETED, len(rows)), job.failure
    return job


def _accepting() -> Principal:
    """An office that may accept every matter of Kunshan's: authority over every level."""
    vocabulary = get_pack("kunshan").vocabulary
    return Principal(
        tenant="kunshan",
        subject="s",
        username="ks-intake",
        roles=frozenset({MATTER_READ, MATTER_ACCEPT}),
        office="case_management_office",
        cadre_authority=frozenset([*vocabulary["cadre_levels"], *vocabulary["organisation_levels"]]),
    )


ACCEPTED = subject_for(MatterAccepted, "kunshan")


def _accepted(outbox: Sequence[Any]) -> list[tuple[str, MatterAccepted]]:
    return [(row_id, MatterAccepted.model_validate_json(payload)) for row_id, payload in outbox]
