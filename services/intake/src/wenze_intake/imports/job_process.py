"""One import job in a process of its own, forked for the worker (:mod:`.runner`).

The process is forked from a server process that has already loaded the service's modules
and rule packs (:mod:`.job_preload`), so a job starts in milliseconds. Before the job's file is
opened the process limits its own address space and processor time: a hostile file can
exhaust only this process, and the worker, whose outbox relay goes on publishing, records
the job as failed. If the worker goes away the process ends at once; the job then resumes
later from its last committed batch.
"""

from __future__ import annotations

import asyncio
import ctypes
import gc
import math
import os
import resource
from multiprocessing.connection import Connection

import structlog

from wenze.db import UnitOfWorkFactory, create_engine
from wenze.gc_tuning import freeze_startup_objects, tune_for_service
from wenze.logging import configure_logging
from wenze_intake.app import IntakeServices
from wenze_intake.config import IntakeSettings
from wenze_intake.repositories import make_repositories

log = structlog.get_logger(__name__)

ORPHANED_EXIT = 75
# A job's process writes one batch at a time while it checks the next (ADR 0028): one
# connection writes, one keeps the job's bookkeeping, one to spare.
_POOL_SIZE = 3
_CPU_BACKSTOP_SECONDS = 10
# glibc's mallopt parameter for the number of malloc arenas: each thread's arena reserves
# 64 MiB of address space, which would count against the job's limit without holding data.
_M_ARENA_MAX = -8


def memory_failure(settings: IntakeSettings) -> str:
    return (
        f"reading the file needed more memory than an import may use ({settings.import_memory_bytes // 2**20:,} MiB); "
        "split it into smaller files"
    )


def run_job(job_id: str, worker_alive: Connection) -> None:
    """The process's entry point; ``worker_alive`` reaches its end of file when the worker is gone."""
    _limit_arenas()
    tune_for_service()
    settings = IntakeSettings()
    configure_logging(f"{settings.service_name}-import", level=settings.log_level, json=settings.log_json)
    asyncio.run(_run(settings, job_id, worker_alive))


async def _run(settings: IntakeSettings, job_id: str, worker_alive: Connection) -> None:
    asyncio.get_running_loop().add_reader(worker_alive.fileno(), _orphaned)
    freeze_startup_objects()
    _limit_resources(settings)
    engine = create_engine(settings.database_url, schema=settings.db_schema, pool_size=_POOL_SIZE)
    try:
        services = IntakeServices.build(settings, UnitOfWorkFactory(engine, make_repositories))
        try:
            await services.imports.process(job_id)
            return
        except MemoryError:
            log.warning("import job ran out of memory", job_id=job_id)
        # Out of the handler, the traceback no longer holds the frames that hold the file's
        # data; collected, that memory is free again for recording the failure.
        gc.collect()
        await services.imports.fail(job_id, memory_failure(settings))
    finally:
        await engine.dispose()


def _orphaned() -> None:
    log.warning("the worker is gone: the import job stops and resumes later")
    os._exit(ORPHANED_EXIT)


def _limit_arenas() -> None:
    try:
        ctypes.CDLL(None).mallopt(_M_ARENA_MAX, 2)
    except (OSError, AttributeError):
        pass  # not glibc: no per-thread arenas to limit


def _limit_resources(settings: IntakeSettings) -> None:
    used = resource.getrusage(resource.RUSAGE_SELF)
    # At the soft limit the kernel sends SIGXCPU, whose default action ends the process. The
    # hard limit (SIGKILL) is only a backstop: two threads on two cores can use a second of
    # processor time in half a second, so a hard limit just above would pre-empt SIGXCPU, and
    # the worker could no longer tell why the process ended.
    cpu = math.ceil(used.ru_utime + used.ru_stime) + settings.import_cpu_seconds
    resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + _CPU_BACKSTOP_SECONDS))
    resource.setrlimit(resource.RLIMIT_AS, (settings.import_memory_bytes, settings.import_memory_bytes))
