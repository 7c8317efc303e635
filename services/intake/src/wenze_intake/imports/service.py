"""Bulk import as a job: upload, then rows are registered in batches with progress.

The API process only stores the upload and queues the job. The worker claims it
(:mod:`wenze_intake.imports.runner`) and runs it in a process of its own
(:mod:`wenze_intake.imports.job_process`), which calls :meth:`ImportService.process`.
Each batch is one transaction holding its matters, their outbox events, the row errors and
the job's progress counters. A runner killed mid-job leaves the job at the last committed
batch; the next runner resumes from there, so no row is registered twice or lost.

A job's file is deleted as soon as the job has completed or failed: it holds the rows as
uploaded, resident identity numbers included, which intake otherwise keeps only as persons'
references (ADR 0044). Everything a finished job answers (its counts, its refused rows, the
replay of its upload's ``Idempotency-Key``) is read from the database, never from the file.
"""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from itertools import islice
from pathlib import Path
from typing import Any

import structlog
from pydantic import ValidationError

from wenze.auth.access import StepNotYours, read_scope
from wenze.auth.capabilities import MATTER_ACCEPT
from wenze.auth.principal import Principal
from wenze.db.audit import AuditRecord
from wenze.db.base import utcnow
from wenze.db.idempotency import plain_digest, run_once
from wenze.db.states import TransitionRefused
from wenze.db.tenancy import tenant_scope
from wenze.http.idempotency import IdentifyUpload
from wenze.ids import new_id
from wenze.problems import PayloadTooLarge, invalid
from wenze.rules import get_pack
from wenze_intake.audit import Caller, by_system
from wenze_intake.errors import (
    ImportBeyondLimits,
    ImportFileNotReadable,
    ImportJobNotFound,
    ImportNotCompleted,
    UnsupportedImportFormat,
)
from wenze_intake.imports.models import ImportJob, ImportJobState
from wenze_intake.imports.parsers import (
    EXTENSIONS,
    HEADINGS_VOCABULARY,
    Headings,
    ImportFileTooLarge,
    ImportFileUnreadable,
    ImportLimits,
    RowUnreadable,
    check_xlsx_archive,
    count_rows,
    iter_rows,
    sniff_format,
)
from wenze_intake.imports.schemas import (
    ImportAcceptanceCreate,
    ImportAcceptanceRead,
    ImportJobRead,
    ImportRowErrorPage,
    ImportRowErrorRead,
)
from wenze_intake.matters.batches import StagedMatter
from wenze_intake.matters.chunk_acceptance import ChunkAcceptance
from wenze_intake.matters.models import MatterState
from wenze_intake.matters.repository import step_allowed
from wenze_intake.matters.schemas import MatterCreate
from wenze_intake.matters.service import CheckedBatch, MatterService, named_if_readable
from wenze_intake.repositories import IntakeUnitOfWork, IntakeUnitOfWorkFactory

log = structlog.get_logger(__name__)

# Matters accepted per transaction when a whole import is accepted: bounded so that a city's
# screening is not one transaction holding hundreds of thousands of row locks and events.
ACCEPT_CHUNK = 2_000

# The system job, as named where it reaches every tenant's import jobs.
RUNNER = "import job runner"

# A job in these states reads its file no more.
FINISHED = frozenset({ImportJobState.COMPLETED, ImportJobState.FAILED})

INTERNAL_FAILURE = (
    "the import stopped on an internal error; the rows counted as processed are kept, "
    "and the error was logged for the operators"
)


class ImportService:
    def __init__(
        self,
        uow: IntakeUnitOfWorkFactory,
        matters: MatterService,
        upload_dir: Path,
        *,
        max_upload_bytes: int,
        limits: ImportLimits,
        batch_size: int = 500,
    ):
        self.uow = uow
        self.matters = matters
        self.upload_dir = upload_dir
        self.upload_dir.mkdir(parents=True, exist_ok=True)
        self.max_upload_bytes = max_upload_bytes
        self.limits = limits
        self.batch_size = batch_size

    async def create(
        self,
        caller: Caller,
        chunks: AsyncIterator[bytes],
        content_type: str | None,
        filename: str | None,
        identify: IdentifyUpload | None = None,
    ) -> ImportJobRead:
        """Store the upload and queue its job; with ``identify`` (an ``Idempotency-Key``), a
        repeat of the same upload answers the job of the first and stores nothing."""
        principal = caller.principal
        fmt = sniff_format(content_type, filename)
        if fmt is None:
            raise UnsupportedImportFormat(
                f"Content-Type {content_type!r} is not an import format; use application/x-ndjson, "
                "text/csv or application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                extra={
                    "errors": [
                        {
                            "field": "header.Content-Type",
                            "reason": "not an import format",
                            "code": "not_an_import_format",
                        }
                    ]
                },
            )
        job_id = new_id()
        path = self.upload_dir / f"{job_id}{EXTENSIONS[fmt]}"
        size = lines = 0
        content = hashlib.sha256()
        # Text formats: one line per row at least, counted as the bytes go by (memchr speed),
        # so a file beyond the row limit is refused now rather than after a partial import.
        most_lines = self.limits.max_rows + 1 if fmt != "xlsx" else None
        try:
            with path.open("wb") as handle:
                async for chunk in chunks:
                    size += len(chunk)
                    if size > self.max_upload_bytes:
                        raise PayloadTooLarge(f"import files are limited to {self.max_upload_bytes} bytes")
                    if most_lines is not None:
                        lines += chunk.count(b"\n")
                        if lines > most_lines:
                            raise ImportBeyondLimits(
                                f"the file has more than {self.limits.max_rows:,} rows, the most one import reads; "
                                "split it into several files",
                                extra={
                                    "errors": [{"field": "body", "reason": "too many rows", "code": "too_many_rows"}]
                                },
                            )
                    content.update(chunk)
                    handle.write(chunk)
            if fmt == "xlsx":
                await asyncio.to_thread(self._check_workbook, path)

            async def queue(uow: IntakeUnitOfWork) -> dict[str, Any]:
                job = ImportJob(
                    id=job_id,
                    tenant=principal.tenant,
                    state=ImportJobState.QUEUED,
                    format=fmt,
                    filename=filename,
                    file_path=str(path),
                    file_bytes=size,
                    created_by=principal.username,
                    created_by_office=principal.office,
                    processed_rows=0,
                    registered=0,
                    refused=0,
                    created_at=utcnow(),
                )
                uow.repos.imports.add(job)
                read = ImportJobRead.model_validate(job).model_dump(mode="json")
                await uow.repos.audit.append(
                    principal.tenant,
                    [caller.did("import_job.create", "import_job", job_id, format=fmt, file_bytes=size)],
                )
                return read

            # The format and name decide how the bytes are read, so they belong to the request too.
            # Unkeyed, as before: ``identify`` keys the fingerprint made of it (and of who sent it).
            request = identify(plain_digest(fmt, filename or "", content.hexdigest())) if identify else None
            read = ImportJobRead.model_validate(await run_once(self.uow, request, queue, status_code=202))
        except BaseException:
            path.unlink(missing_ok=True)
            raise
        if read.id != job_id:
            path.unlink()  # a repeat: the first request's job reads its own copy
        return read

    def _check_workbook(self, path: Path) -> None:
        """What can be known of a workbook from its ZIP directory alone, refused at upload."""
        try:
            check_xlsx_archive(path, self.limits)
        except ImportFileTooLarge as exc:
            raise ImportBeyondLimits(
                exc.reason,
                extra={
                    "errors": [{"field": "body", "reason": "beyond the import limits", "code": "beyond_import_limits"}]
                },
            ) from None
        except ImportFileUnreadable as exc:
            raise ImportFileNotReadable(
                exc.reason,
                extra={
                    "errors": [{"field": "body", "reason": "not a readable XLSX workbook", "code": "unreadable_xlsx"}]
                },
            ) from None

    async def _own_job(self, uow: IntakeUnitOfWork, principal: Principal, job_id: str) -> ImportJob:
        """The job if it belongs to the caller: an integrator's to its service account, any
        other to the office its starter acted for. Anyone else's is not found."""
        job = await uow.repos.imports.get(principal.tenant, job_id)
        if job is None or not _belongs_to(job, principal):
            raise ImportJobNotFound(f"no import job {job_id} of yours")
        return job

    async def get(self, principal: Principal, job_id: str) -> ImportJobRead:
        async with self.uow() as uow:
            return ImportJobRead.model_validate(await self._own_job(uow, principal, job_id))

    async def row_errors(self, principal: Principal, job_id: str, after: int, limit: int) -> ImportRowErrorPage:
        async with self.uow() as uow:
            job = await self._own_job(uow, principal, job_id)
            rows = await uow.repos.imports.row_errors(job.id, after, limit + 1)
            page = rows[:limit]
            # A row refused as a repeat names the registered matter, which follows the matter
            # rules: its id is shown only to a caller who may read that matter.
            named = {
                e["existing_matter_id"]
                for r in page
                for e in r.errors
                if isinstance(e, dict) and isinstance(e.get("existing_matter_id"), str)
            }
            readable = await uow.repos.matters.visible_ids(principal.tenant, read_scope(principal), named)
            return ImportRowErrorPage(
                items=[
                    ImportRowErrorRead(row=r.row, errors=[named_if_readable(e, readable) for e in r.errors])
                    for r in page
                ],
                next_after=page[-1].row if len(rows) > limit else None,
            )

    # -- acceptance of a whole import ---------------------------------------------------

    async def accept_matters(self, caller: Caller, job_id: str, data: ImportAcceptanceCreate) -> ImportAcceptanceRead:
        """Accept (受理) every matter of a completed import that awaits acceptance and that the
        caller's office may accept, as one collective study decided: the checks of a single
        acceptance (``MatterService.decide_acceptance``) applied in SQL, and the matters moved
        in chunks of ``ACCEPT_CHUNK``, each one conditional update through the matters' state
        machine with their timeline entries, ``matter.accepted`` events and one audit entry
        naming them, committed together. A repeat accepts what is still left, nothing twice."""
        principal = caller.principal
        tenant = principal.tenant
        if principal.office is None or MATTER_ACCEPT not in principal.roles:
            raise StepNotYours(
                f"acceptance of import {job_id}",
                [principal.office] if principal.office else [],
                MATTER_ACCEPT,
                principal.office,
            )
        if data.study_date > get_pack(tenant).today():
            raise invalid(
                "body.study_date", "the collective study cannot be in the future", code="study_date_in_future"
            )
        scope = read_scope(principal)
        async with self.uow() as uow:
            job = await uow.repos.imports.get(tenant, job_id)
            # The accepting office reaches an import through its matters: one it neither
            # started nor may read a matter of is not found.
            if job is None or (
                not _belongs_to(job, principal) and not await uow.repos.matters.count_in_import(tenant, job_id, scope)
            ):
                raise ImportJobNotFound(f"no import job {job_id} of yours")
            if job.state != ImportJobState.COMPLETED:
                raise ImportNotCompleted(
                    f"import {job_id} is {job.state}; its matters can be accepted together once it has completed",
                    extra={
                        "errors": [
                            {"field": "job_id", "reason": f"the import is {job.state}", "code": "import_not_completed"}
                        ]
                    },
                )
        allowed = step_allowed(principal.cadre_authority, principal.linked_units)
        accepted = 0
        after: tuple[int, int] | None = None
        while True:
            async with self.uow() as uow:
                chunk = await uow.repos.matters.in_import(tenant, job_id, scope, allowed, ACCEPT_CHUNK, after)
                if not chunk:
                    break
                ids = [matter_id for matter_id, _, _ in chunk]
                after = chunk[-1][1:]
                acceptance = ChunkAcceptance(
                    tenant=tenant,
                    at=utcnow(),
                    study_date=data.study_date,
                    participants=data.participants,
                    accepted_by=principal.username,
                )
                matters = await uow.repos.matters.accept_chunk(ids, acceptance)
                if matters:
                    await uow.repos.audit.append(
                        tenant,
                        [
                            caller.did(
                                "import_job.accept",
                                "import_job",
                                job_id,
                                matters=[{"id": matter_id, "number": number} for matter_id, number in matters],
                            )
                        ],
                    )
                await uow.commit()
                accepted += len(matters)
        async with self.uow() as uow:
            awaiting = await uow.repos.matters.count_in_import(tenant, job_id, scope, MatterState.RECEIVED)
        log.info("import accepted", job_id=job_id, accepted=accepted, awaiting=awaiting)
        return ImportAcceptanceRead(job_id=job_id, accepted=accepted, awaiting=awaiting)

    # -- the runner --------------------------------------------------------------------
    # The worker claims jobs, keeps their heartbeat and records how a job's process ended;
    # the job's process calls ``process``.

    async def claim_next(self) -> str | None:
        """Take a queued job, or a running one whose runner died; ``None`` if there is none.

        Of runners that find the same job, one claims it; the others look again at their next poll.
        The runner serves every tenant: it works in system scope, by job id."""
        async with self.uow.system(RUNNER) as uow:
            job = await uow.repos.imports.next_claimable()
            if job is None:
                return None
            job_id = job.id
            action = "take_over" if job.state == ImportJobState.RUNNING else "claim"
            try:
                await uow.repos.imports.claim(job)
            except TransitionRefused:
                return None
            await uow.repos.audit.append(job.tenant, [by_system(f"import_job.{action}", "import_job", job_id)])
            await uow.commit()
        return job_id

    async def heartbeat(self, job_id: str) -> None:
        async with self.uow.system(RUNNER) as uow:
            await uow.repos.imports.heartbeat(job_id)
            await uow.commit()

    async def requeue(self, job_id: str) -> None:
        """Hand a running job back to the queue; the next runner resumes at its progress."""
        await self._end_run(job_id, "requeue")

    async def fail(self, job_id: str, reason: str) -> None:
        await self._end_run(job_id, "fail", failure=reason, finished_at=utcnow())

    async def _end_run(self, job_id: str, action: str, **values: Any) -> None:
        async with self.uow.system(RUNNER) as uow:
            job = await uow.repos.imports.find(job_id)
            if job is None:
                return
            try:
                await uow.repos.imports.move(job, action, **values)
            except TransitionRefused:
                # The job completed or failed meanwhile: that outcome stands. Its file is
                # deleted here too, in case whoever ended it stopped before deleting it.
                if job.state in FINISHED:
                    _discard_file(job_id, job.file_path)
                return
            detail = {"failure": values["failure"]} if "failure" in values else {}
            record = by_system(f"import_job.{action}", "import_job", job_id, **detail)
            await uow.repos.audit.append(job.tenant, [record])
            await uow.commit()
            ended, file_path = job.state in FINISHED, job.file_path
        # A requeued job keeps its file: the next runner resumes reading it.
        if ended:
            _discard_file(job_id, file_path)

    async def discard_finished_files(self) -> int:
        """Delete the files of finished jobs still in the upload directory: left by a runner
        stopped between recording a job's end and deleting its file. A file whose job is
        queued, running or not yet recorded (an upload under way) is kept."""
        named = {path.stem: path for path in self.upload_dir.iterdir() if path.is_file()}
        if not named:
            return 0
        async with self.uow.system(RUNNER) as uow:
            finished = await uow.repos.imports.finished(list(named))
        for job_id in finished:
            _discard_file(job_id, str(named[job_id]))
        return len(finished)

    async def process(self, job_id: str) -> None:
        """Run a claimed job to its end: completed, or failed with a reason in the user's terms.

        ``MemoryError`` is left to the caller, which knows the limit that caused it. The job's
        rows are written in its tenant's scope, found in system scope by its id."""
        async with self.uow.system(RUNNER) as uow:
            job = await uow.repos.imports.find(job_id)
            if job is None or job.state != ImportJobState.RUNNING:
                return
            starter = _Starter(job.tenant, job.created_by, job.created_by_office)
            path, fmt, offset = Path(job.file_path), job.format, job.processed_rows
            counted = job.total_rows is not None
        log.info("import job running", job_id=job_id, resume_at=offset)
        if not counted:
            await self._count(job_id, path, fmt)
        try:
            with tenant_scope(starter.tenant):
                await self._process(job_id, starter, path, fmt, offset)
        except ImportFileUnreadable as exc:
            log.info("import job refused its file", job_id=job_id, reason=exc.reason)
            await self.fail(job_id, exc.reason)
        except MemoryError:
            raise
        except Exception:
            log.exception("import job failed", job_id=job_id)
            await self.fail(job_id, INTERNAL_FAILURE)

    async def _count(self, job_id: str, path: Path, fmt: str) -> None:
        """Record how many rows the file holds before the first batch, so that progress reads
        as rows done of rows in all. One pass that parses no row costs a small part of the
        import (CSV a few percent, XLSX more, docs/intake.md); an unreadable file leaves the
        total unknown and fails when it is read."""
        total = await asyncio.to_thread(count_rows, path, fmt, self.limits)
        if total is None:
            return
        async with self.uow.system(RUNNER) as uow:
            await uow.repos.imports.set_total(job_id, total)
            await uow.commit()

    async def _process(self, job_id: str, starter: _Starter, path: Path, fmt: str, offset: int) -> None:
        # Reading, checking and staging a batch is pure CPU and writing one is mostly waiting
        # for PostgreSQL, so the next batch is prepared while this one is written.
        ahead: asyncio.Queue[_CheckedRows | BaseException | None] = asyncio.Queue(maxsize=1)
        checker = asyncio.create_task(self._check_ahead(ahead, starter, job_id, path, fmt, offset))
        try:
            while True:
                checked = await ahead.get()
                if isinstance(checked, BaseException):
                    # The rows read before a fault are kept: their batches are committed.
                    raise checked
                if checked is None:
                    break
                await self._write(job_id, checked)
            async with self.uow() as uow:
                job = await uow.repos.imports.lock(job_id)
                await uow.repos.imports.move(job, "complete", total_rows=job.processed_rows, finished_at=utcnow())
                await uow.repos.matters.analyse_imported()
                await uow.repos.audit.append(
                    job.tenant,
                    [
                        by_system(
                            "import_job.complete",
                            "import_job",
                            job_id,
                            registered=job.registered,
                            refused=job.refused,
                        )
                    ],
                )
                await uow.commit()
                log.info("import job completed", job_id=job_id, registered=job.registered, refused=job.refused)
            _discard_file(job_id, str(path))
        finally:
            checker.cancel()
            await asyncio.gather(checker, return_exceptions=True)

    async def _write(self, job_id: str, checked: _CheckedRows) -> None:
        """One batch's transaction: its matters, events, row errors and the job's progress."""
        async with self.uow() as uow:
            result = await self.matters.write_batch(uow, checked.batch)
            errors = checked.errors + [(checked.row_numbers[r.index], r.errors) for r in result.refused]
            errors.sort()
            await uow.repos.imports.add_row_errors(job_id, errors)
            job = await uow.repos.imports.lock(job_id)
            job.processed_rows += checked.size
            job.registered += len(result.registered)
            job.refused += len(errors)
            job.heartbeat_at = utcnow()
            # Last, so the tenant's audit chain is held only for the commit (ADR 0014).
            await uow.repos.audit.append(job.tenant, _registered(job_id, checked.batch, result.registered))
            await uow.commit()

    async def _check_ahead(
        self, ahead: asyncio.Queue, starter: _Starter, job_id: str, path: Path, fmt: str, offset: int
    ) -> None:
        try:
            headings = Headings(get_pack(starter.tenant).vocabulary.get(HEADINGS_VOCABULARY))
            rows = islice(enumerate(iter_rows(path, fmt, self.limits, headings), start=1), offset, None)
            while True:
                # In a thread, so that the event loop keeps serving the batch being written
                # (its round trips) and the API's requests instead of waiting for the whole
                # batch's checks; the interpreter hands the loop its turn every few ms.
                checked = await asyncio.to_thread(self._read_and_check, rows, starter, job_id)
                if checked is None:
                    break
                await ahead.put(checked)
            await ahead.put(None)
        except Exception as exc:
            await ahead.put(exc)

    def _read_and_check(self, rows, starter: _Starter, job_id: str) -> _CheckedRows | None:
        batch = list(islice(rows, self.batch_size))
        if not batch:
            return None
        checked = self._check_rows(starter.tenant, batch)
        self.matters.stage_batch(
            checked.batch, submitted_by=starter.username, submitter_office=starter.office, import_job_id=job_id
        )
        return checked

    def _check_rows(self, tenant: str, batch: list[tuple[int, dict | RowUnreadable]]) -> _CheckedRows:
        errors: list[tuple[int, list[dict]]] = []
        items: list[MatterCreate] = []
        row_numbers: list[int] = []
        for number, raw in batch:
            if isinstance(raw, RowUnreadable):
                errors.append((number, [{"field": raw.field, "reason": raw.reason, "code": raw.code}]))
                continue
            try:
                items.append(MatterCreate.model_validate(raw))
                row_numbers.append(number)
            except ValidationError as exc:
                errors.append(
                    (
                        number,
                        [
                            # The code as request validation gives it: pydantic's error type.
                            {
                                "field": ".".join(str(p) for p in e["loc"]) or "row",
                                "reason": e["msg"],
                                "code": e["type"],
                            }
                            for e in exc.errors()
                        ],
                    )
                )
        return _CheckedRows(len(batch), errors, row_numbers, self.matters.check_batch(tenant, items, row_numbers))


def _discard_file(job_id: str, file_path: str) -> None:
    """Delete a finished job's file, once its end is committed: deleted before, a job whose end
    failed to commit could not be resumed. A file that cannot be deleted is logged and left
    for the next worker's start (``discard_finished_files``); the job's outcome stands."""
    try:
        Path(file_path).unlink(missing_ok=True)
    except OSError:
        log.exception("an import job's file could not be deleted", job_id=job_id)


def _belongs_to(job: ImportJob, principal: Principal) -> bool:
    if job.created_by == principal.username:
        return True
    return principal.office is not None and job.created_by_office == principal.office


def _registered(job_id: str, batch: CheckedBatch, registered: list[StagedMatter]) -> list[AuditRecord]:
    """One entry per batch, naming every matter it registered, in the name of whoever started
    the import. One per matter cost a fifth of a bulk import's throughput for entries that
    said the same thing 700 times; the batch's entry names each matter by id and number."""
    assert batch.staged is not None
    if not registered:
        return []
    registration = batch.staged.registration
    return [
        AuditRecord(
            actor=registration.submitted_by,
            office=registration.submitter_office,
            action="import_job.register",
            object_kind="import_job",
            object_id=job_id,
            detail={"matters": [{"id": m.id, "number": m.row["number"]} for m in registered]},
        )
    ]


@dataclass(frozen=True)
class _Starter:
    """Who started an import: its matters are registered in their name and office."""

    tenant: str
    username: str
    office: str | None


@dataclass
class _CheckedRows:
    """One batch of file rows, read and checked, waiting to be written."""

    size: int
    errors: list[tuple[int, list[dict]]]
    row_numbers: list[int]
    batch: CheckedBatch
