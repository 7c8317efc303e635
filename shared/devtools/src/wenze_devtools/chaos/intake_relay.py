"""``make chaos``, intake's relay: bulk-submit matters while the outbox relay is killed with ``kill -9``.

Intake's API runs with its own relay switched off, so the worker process is the only path
from the outbox to NATS. Import jobs are submitted over the whole kill schedule, and the
worker is killed at random moments (often mid-batch: published to JetStream but not yet
marked in PostgreSQL) and restarted after a short random pause. At the end the outbox must
drain to zero and every stored matter must have exactly one ``matter.received`` event on the
stream: none lost, none twice.
"""

from __future__ import annotations

import asyncio
import math
import random
import shutil
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import asyncpg
import httpx

from wenze.db.tenancy import system_server_settings
from wenze_devtools.bench.support import Stack, intake_stack, matter_rows, submit_import, wait_import, write_report
from wenze_devtools.chaos.common import (
    Check,
    console,
    log_size,
    print_checks,
    progress_bars,
    read_stream,
    relay_started,
    wait_logged,
)

STREAM = "INTAKE"
RECEIVED_SUBJECT = "intake.*.matter.received.v1"
# Bounds on every wait, so a broken build ends the run instead of hanging it.
IMPORT_TIMEOUT_S = 900.0
DRAIN_TIMEOUT_S = 300.0
# How long a restarted worker may take to start a queued job before the kill comes anyway.
JOB_START_S = 15.0


@dataclass
class Kill:
    number: int
    alive_s: float
    after_relay_start_s: float
    backlog_at_kill: int
    published_while_alive: int
    pause_s: float


async def _scalar(pg: asyncpg.Pool, sql: str) -> int:
    return int(await pg.fetchval(sql) or 0)


async def _backlog(pg: asyncpg.Pool) -> int:
    return await _scalar(pg, "SELECT count(*) FROM intake.outbox WHERE published_at IS NULL")


def _job_running(entries: list[dict[str, Any]]) -> bool:
    return any(e.get("event") == "import job running" for e in entries)


async def _published(pg: asyncpg.Pool) -> int:
    return await _scalar(pg, "SELECT count(*) FROM intake.outbox WHERE published_at IS NOT NULL")


async def _stored(pg: asyncpg.Pool) -> int:
    return await _scalar(pg, "SELECT count(*) FROM intake.matters")


def _job_rows(matters: int, kills: int) -> int:
    # One import job per kill cycle keeps new outbox rows arriving throughout the schedule,
    # so most kills find a backlog for the relay to be busy with.
    return max(1, math.ceil(matters / max(1, kills)))


async def _run(stack: Stack, *, matters: int, kills: int, seed: int) -> dict[str, Any]:
    rng = random.Random(seed)
    rows = matter_rows(matters, seed=seed, marker=f"chaos{seed}")
    job_rows = _job_rows(matters, kills)
    chunks = [rows[i : i + job_rows] for i in range(0, len(rows), job_rows)]
    # The monitor, the killer and the end checks query side by side: one connection each.
    pg = await asyncpg.create_pool(stack.dsn, min_size=1, max_size=3, server_settings=system_server_settings("chaos"))
    client = httpx.AsyncClient(
        base_url=stack.api.url, timeout=120, headers={"Authorization": f"Bearer {stack.token()}"}
    )
    worker = stack.worker()
    log_offset = log_size(worker)
    worker.start(wait=False)
    kill_log: list[Kill] = []
    job_ids: list[str] = []
    started = time.monotonic()

    async def submitter() -> None:
        for k, chunk in enumerate(chunks):
            # Spread the jobs over the kill schedule, so that every kill meets fresh traffic.
            while len(kill_log) < k * kills / len(chunks):
                await asyncio.sleep(0.05)
            job_ids.append(await submit_import(client, chunk, f"chaos-{k}.jsonl"))

    async def killer() -> None:
        nonlocal log_offset
        for number in range(1, kills + 1):
            published_before = await _published(pg)
            spawned = time.monotonic()
            # Start-up (imports, migrations check, NATS connect) takes seconds on a busy machine;
            # a kill then never meets the relay, so the random moment counts from its start.
            await wait_logged(worker, log_offset, relay_started, "its outbox relay start")
            # The worker also runs the import jobs, in processes forked from a server that
            # loads the service first (ADR 0010): counted from the relay's start alone, the
            # kills came before any job had written a row, and met an idle relay. So the moment
            # counts from a job running in this incarnation, when there is one to run.
            # A job of 1,000 rows is written and relayed within about a second, so the moment
            # falls early in it.
            try:
                await wait_logged(worker, log_offset, _job_running, "an import job running", timeout=JOB_START_S)
                after_start = rng.uniform(0.0, 0.6)
            except TimeoutError:
                after_start = rng.uniform(0.0, 1.5)
            await asyncio.sleep(after_start)
            alive = time.monotonic() - spawned
            backlog = await _backlog(pg)
            worker.kill()
            pause = rng.uniform(0.1, 1.5)
            kill_log.append(
                Kill(
                    number,
                    round(alive, 2),
                    round(after_start, 2),
                    backlog,
                    await _published(pg) - published_before,
                    round(pause, 2),
                )
            )
            await asyncio.sleep(pause)
            log_offset = log_size(worker)
            worker.start(wait=False)

    with progress_bars() as progress:
        t_kills = progress.add_task("kill -9 of the worker", total=kills)
        t_stored = progress.add_task("matters stored", total=matters)
        t_published = progress.add_task("events published", total=matters)

        async def monitor(stop: asyncio.Event) -> None:
            while not stop.is_set():
                progress.update(t_kills, completed=len(kill_log))
                progress.update(t_stored, completed=await _stored(pg))
                progress.update(t_published, completed=await _published(pg))
                try:
                    await asyncio.wait_for(stop.wait(), timeout=0.5)
                except TimeoutError:
                    pass

        stop_monitor = asyncio.Event()
        watching = asyncio.create_task(monitor(stop_monitor))
        try:
            await asyncio.gather(submitter(), killer())
            jobs = [await wait_import(client, job_id, timeout=IMPORT_TIMEOUT_S) for job_id in job_ids]
            drain_deadline = time.monotonic() + DRAIN_TIMEOUT_S
            while (backlog := await _backlog(pg)) > 0 and time.monotonic() < drain_deadline:
                await asyncio.sleep(0.25)
        except BaseException:
            worker.kill()
            raise
        finally:
            stop_monitor.set()
            await watching
        progress.update(t_kills, completed=len(kill_log))
        progress.update(t_stored, completed=await _stored(pg))
        progress.update(t_published, completed=await _published(pg))

    elapsed = time.monotonic() - started
    worker.stop()
    stored_ids = {str(r["id"]) for r in await pg.fetch("SELECT id FROM intake.matters")}
    outbox_rows = await _scalar(pg, "SELECT count(*) FROM intake.outbox")
    await pg.close()
    await client.aclose()

    stream = await read_stream(stack.nats.url, STREAM, RECEIVED_SUBJECT, lambda _subject, event: event["matter_id"])
    matter_ids = set(stream.kept)
    lost = len(stored_ids - matter_ids)
    unknown = len(matter_ids - stored_ids)
    return {
        "requested_matters": matters,
        "import_jobs": len(jobs),
        "jobs_completed": sum(1 for j in jobs if j["state"] == "completed"),
        "rows_registered": sum(j["registered"] for j in jobs),
        "rows_refused": sum(j["refused"] for j in jobs),
        "kills": len(kill_log),
        "kills_with_backlog": sum(1 for k in kill_log if k.backlog_at_kill > 0),
        "kills_while_publishing": sum(1 for k in kill_log if k.published_while_alive > 0 and k.backlog_at_kill > 0),
        "matters_stored": len(stored_ids),
        "outbox_rows": outbox_rows,
        "outbox_backlog": backlog,
        "stream_messages": stream.stream_messages,
        "received_events_read": stream.read,
        "events_on_stream": len(matter_ids),
        "lost": lost,
        "duplicates": stream.events_twice,
        "events_without_matter": unknown,
        "nats_msg_id_mismatches": stream.msg_id_mismatches,
        "seconds": round(elapsed, 1),
        "kill_log": [asdict(k) for k in kill_log],
    }


def _verdict(result: dict[str, Any]) -> list[str]:
    problems = []
    if result["lost"]:
        problems.append(f"{result['lost']} stored matters have no event on the stream")
    if result["duplicates"]:
        problems.append(f"{result['duplicates']} events are on the stream more than once")
    if result["matters_stored"] != result["requested_matters"]:
        problems.append(f"{result['matters_stored']} matters stored, {result['requested_matters']} submitted")
    if result["outbox_backlog"]:
        problems.append(f"the outbox still holds {result['outbox_backlog']} unpublished rows")
    if result["events_without_matter"] or result["nats_msg_id_mismatches"]:
        problems.append("events on the stream that do not match the outbox")
    return problems


def _checks(result: dict[str, Any]) -> list[Check]:
    n = result["requested_matters"]
    return [
        Check("matters submitted (import jobs)", f"{n:,} ({result['import_jobs']} jobs)"),
        Check("worker kill -9 / restarts", result["kills"]),
        Check("  kills with an outbox backlog", result["kills_with_backlog"]),
        Check("  kills during active publishing", result["kills_while_publishing"]),
        Check("matters stored", result["matters_stored"], f"{n:,}", result["matters_stored"] == n),
        Check("outbox backlog at the end", result["outbox_backlog"], "0", result["outbox_backlog"] == 0),
        Check("messages on stream INTAKE", result["stream_messages"]),
        Check(
            "events on the stream (distinct matters)",
            result["events_on_stream"],
            f"{n:,}",
            result["events_on_stream"] == result["matters_stored"],
        ),
        Check("lost", result["lost"], "0", result["lost"] == 0),
        Check("duplicates", result["duplicates"], "0", result["duplicates"] == 0),
        Check("run time (s)", result["seconds"]),
    ]


def run_scenario(*, matters: int, kills: int, seed: int) -> bool:
    """Bulk-submit matters while killing intake's outbox relay; check nothing is lost or doubled."""
    run_dir = Path("var/chaos") / time.strftime("%Y%m%d-%H%M%S")
    console.print(
        f"[bold]make chaos, intake's relay[/]: {matters:,} matters in "
        f"{math.ceil(matters / _job_rows(matters, kills))} import jobs, "
        f"{kills} × kill -9 of the intake worker, seed {seed}"
    )
    with intake_stack(run_dir, relay_in_api="false") as stack:
        result = asyncio.run(_run(stack, matters=matters, kills=kills, seed=seed))
    problems = _verdict(result)
    result.update(seed=seed, passed=not problems, problems=problems)
    report_path = write_report("chaos", result)
    print_checks(
        "make chaos: outbox relay under kill -9",
        _checks(result),
        problems,
        "no matter lost, no event published twice",
        report_path,
    )
    if problems:
        console.print(f"logs kept in {run_dir}")
    else:
        shutil.rmtree(run_dir, ignore_errors=True)
    return not problems
