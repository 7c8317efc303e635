"""The worker's side of import jobs: claim each queued job and run it in a process of its own.

A job's file is parsed in :mod:`.job_process`, never in the worker or the API: a file that
exhausts that process's memory or processor time fails its own job, and the worker, whose
outbox relay shares its event loop, carries on. Job processes are forked from a server
process that has loaded the service once (:mod:`.job_preload`), so a claimed job starts at
once (ADR 0010).
"""

from __future__ import annotations

import asyncio
import multiprocessing
import multiprocessing.forkserver
import signal
from contextlib import suppress

import structlog

from wenze_intake.config import IntakeSettings
from wenze_intake.imports.job_process import run_job
from wenze_intake.imports.repository import STALE_AFTER
from wenze_intake.imports.service import ImportService

log = structlog.get_logger(__name__)

HEARTBEAT_SECONDS = STALE_AFTER.total_seconds() / 6
# Seconds before the next claim when a job's process could not be started.
_RESTART_DELAY = 2.0
_FORKSERVER = multiprocessing.get_context("forkserver")


class ImportJobRunner:
    def __init__(self, imports: ImportService, settings: IntakeSettings):
        self.imports = imports
        self.settings = settings

    async def run(self, stop: asyncio.Event) -> None:
        _FORKSERVER.set_forkserver_preload(["wenze_intake.imports.job_preload"])
        # Loading the service takes seconds; the relay on this loop must not wait for it.
        await asyncio.to_thread(_wait_until_preloaded)
        log.info("import job runner started")
        try:
            discarded = await self.imports.discard_finished_files()
        except Exception:
            log.exception("deleting finished import jobs' files failed")
        else:
            if discarded:
                log.info("finished import jobs' files deleted", files=discarded)
        while not stop.is_set():
            try:
                job_id = await self.imports.claim_next()
            except Exception:
                log.exception("claiming an import job failed")
                job_id = None
            if job_id is None:
                await _sleep(stop, self.settings.import_poll_seconds)
                continue
            if not await self._run(job_id):
                await _sleep(stop, _RESTART_DELAY)

    async def _run(self, job_id: str) -> bool:
        """Run one claimed job in its process; ``False`` if the process could not be started."""
        worker_alive, keep_open = _FORKSERVER.Pipe(duplex=False)
        process = _FORKSERVER.Process(target=run_job, args=(job_id, worker_alive), name=f"import-{job_id}")
        try:
            await asyncio.to_thread(process.start)
        except Exception:
            log.exception("an import job's process did not start", job_id=job_id)
            keep_open.close()
            await self.imports.requeue(job_id)
            return False
        finally:
            worker_alive.close()  # the job's process has its own copy
        loop = asyncio.get_running_loop()
        exited: asyncio.Future[None] = loop.create_future()

        def mark_exited() -> None:
            if not exited.done():
                exited.set_result(None)

        loop.add_reader(process.sentinel, mark_exited)
        try:
            while not (await asyncio.wait({exited}, timeout=HEARTBEAT_SECONDS))[0]:
                try:
                    await self.imports.heartbeat(job_id)
                except Exception:
                    log.exception("import job heartbeat failed", job_id=job_id)
        except asyncio.CancelledError:
            # The worker is stopping: the job goes back to the queue and resumes from its last
            # committed batch.
            process.kill()
            await asyncio.to_thread(process.join)
            with suppress(Exception):
                await self.imports.requeue(job_id)
            raise
        finally:
            loop.remove_reader(process.sentinel)
            keep_open.close()
        process.join()
        returncode = process.exitcode
        process.close()
        if returncode != 0:
            log.warning("import job's process ended abnormally", job_id=job_id, returncode=returncode)
            await self.imports.fail(job_id, self._failure(returncode))
        return True

    def _failure(self, returncode: int | None) -> str:
        if returncode == -signal.SIGXCPU:
            return (
                f"reading and registering the file took more processor time than an import may use "
                f"({self.settings.import_cpu_seconds:,} s); the rows counted as processed are kept, "
                "split the rest into smaller files"
            )
        return (
            "the import's process stopped unexpectedly (the file may need more memory than the "
            f"{self.settings.import_memory_bytes // 2**20:,} MiB an import may use); "
            "the rows counted as processed are kept"
        )


def _wait_until_preloaded() -> None:
    """Start the server process that jobs are forked from and wait until it has loaded the
    service and the rule packs: it forks nothing before, so a process that does nothing returns
    only then. Without this the first job queued after a start waited out that loading."""
    multiprocessing.forkserver.ensure_running()
    ready = _FORKSERVER.Process(target=_nothing, name="import-preload-check")
    ready.start()
    ready.join()


def _nothing() -> None:
    pass


async def _sleep(stop: asyncio.Event, seconds: float) -> None:
    with suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), timeout=seconds)
