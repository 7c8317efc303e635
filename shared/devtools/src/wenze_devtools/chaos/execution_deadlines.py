"""``make chaos``, sanction execution's deadlines: kill the execution worker with ``kill -9``
while its scheduler fires deadlines.

Decisions are published on the review stream, half of them placed so that their copy
deadline has passed (``deadline.missed``) and half so that it falls within the tenant's lead
time (``deadline.due``), on the real date. The execution worker consumes them, opens the
executions and fires the deadlines in small batches; it is killed at random moments after its
scheduler starts and started again after a short pause. At the end every deadline must have
fired exactly once: one outbox row and one message on the stream each, none twice.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import random
import shutil
import time
import uuid
from collections import Counter
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import asyncpg
import nats

from wenze.calendar import DeadlineSpec, load_calendar
from wenze.db.tenancy import system_server_settings
from wenze.events import DecidedMeasure, DecisionMade, TargetSnapshot
from wenze.messaging.streams import ensure_stream, stream_for
from wenze.rules import get_pack
from wenze_devtools.bench.support import Stack, platform_stack, write_report
from wenze_devtools.chaos.common import (
    Check,
    console,
    log_size,
    print_checks,
    progress_bars,
    read_stream,
    wait_logged,
)

SERVICE = "sanction-execution"
TENANT = "kunshan"
STREAM = "SANCTION_EXECUTION"
DEADLINE_SUBJECT = f"sanction-execution.{TENANT}.deadline.*.v1"
FIRE_TIMEOUT_S = 600.0
# How long a restarted worker may take to fire its first deadline before the kill comes anyway.
FIRST_FIRING_S = 30.0


@dataclass
class Kill:
    number: int
    after_first_firing_s: float
    fired_at_kill: int
    pause_s: float


def decision_days(today: dt.date) -> tuple[dt.date, dt.date]:
    """A day whose three-working-day copy deadline has passed, and one whose deadline lies
    within Kunshan's two-day lead time."""
    copy = DeadlineSpec(kind="working_days", amount=3)
    calendar = load_calendar()
    for back in range(1, 15):
        day = today - dt.timedelta(days=back)
        if today <= copy.compute(day, calendar) <= today + dt.timedelta(days=2):
            return today - dt.timedelta(days=30), day
    raise RuntimeError(f"no decision day puts a deadline within two days of {today}")


def decisions(count: int, today: dt.date) -> list[DecisionMade]:
    passed, within_lead = decision_days(today)
    return [
        DecisionMade(
            tenant=TENANT,
            matter_id=uuid.uuid4(),
            decision_id=uuid.uuid4(),
            number=f"CHAOS-{n:06d}",
            matter_number=f"CHAOS-M-{n:06d}",
            decided_by="discipline_supervision_office",
            decided_on=passed if n % 2 else within_lead,
            announced_on=None,
            simplified_procedure=False,
            measures=[
                DecidedMeasure(
                    target=TargetSnapshot(
                        kind="person", name=f"干部{n:06d}", unit="玉山镇", cadre_level="city_managed"
                    ),
                    measures=["reassignment"],
                )
            ],
            citations=[],
        )
        for n in range(count)
    ]


async def publish(url: str, events: list[DecisionMade]) -> None:
    nc = await nats.connect(url)
    try:
        js = nc.jetstream()
        await ensure_stream(js, stream_for("review"))
        for event in events:
            await js.publish(
                event.subject, event.model_dump_json().encode(), headers={"Nats-Msg-Id": str(event.event_id)}
            )
    finally:
        await nc.close()


def _scheduler_started(entries: list[dict[str, Any]]) -> bool:
    return any(e.get("event") == "deadline scheduler started" for e in entries)


async def _count(pg: asyncpg.Pool, sql: str) -> int:
    return int(await pg.fetchval(sql) or 0)


async def _fired(pg: asyncpg.Pool) -> int:
    return await _count(pg, "SELECT count(*) FROM sanction_execution.deadlines WHERE state IN ('reminded', 'missed')")


async def _run(stack: Stack, *, count: int, kills: int, seed: int) -> dict[str, Any]:
    rng = random.Random(seed)
    today = get_pack(TENANT).today()
    await publish(stack.nats.url, decisions(count, today))
    pg = await asyncpg.create_pool(stack.dsn, min_size=1, max_size=2, server_settings=system_server_settings("chaos"))
    worker = stack.worker(SERVICE)
    log_offset = log_size(worker)
    worker.start(wait=False)
    kill_log: list[Kill] = []
    started = time.monotonic()
    with progress_bars() as progress:
        t_kills = progress.add_task("kill -9 of the worker", total=kills)
        t_fired = progress.add_task("deadlines fired", total=count)
        for number in range(1, kills + 1):
            await wait_logged(worker, log_offset, _scheduler_started, "its deadline scheduler start")
            # Start-up takes seconds and the consumer starts after the scheduler: counted from
            # the scheduler's start alone, the kills met no deadline to fire. So the moment
            # counts from this incarnation's first deadline fired, when it fires one in time.
            before = await _fired(pg)
            waited = time.monotonic() + FIRST_FIRING_S
            while await _fired(pg) == before and time.monotonic() < waited:
                await asyncio.sleep(0.05)
            after = rng.uniform(0.0, 1.0)
            await asyncio.sleep(after)
            fired = await _fired(pg)
            worker.kill()
            pause = rng.uniform(0.1, 1.0)
            kill_log.append(Kill(number, round(after, 2), fired, round(pause, 2)))
            progress.update(t_kills, completed=number)
            progress.update(t_fired, completed=fired)
            await asyncio.sleep(pause)
            log_offset = log_size(worker)
            worker.start(wait=False)
        deadline = time.monotonic() + FIRE_TIMEOUT_S
        while time.monotonic() < deadline:
            fired = await _fired(pg)
            backlog = await _count(pg, "SELECT count(*) FROM sanction_execution.outbox WHERE published_at IS NULL")
            progress.update(t_fired, completed=fired)
            if fired == count and backlog == 0:
                break
            await asyncio.sleep(0.25)
    elapsed = time.monotonic() - started
    worker.stop()
    deadlines = await _count(pg, "SELECT count(*) FROM sanction_execution.deadlines")
    outbox_rows = Counter(
        r["deadline_id"]
        for r in await pg.fetch(
            "SELECT payload::json ->> 'deadline_id' AS deadline_id FROM sanction_execution.outbox "
            "WHERE subject LIKE 'sanction-execution.%.deadline.%'"
        )
    )
    await pg.close()
    stream = await read_stream(
        stack.nats.url, STREAM, DEADLINE_SUBJECT, lambda subject, event: (subject, event["deadline_id"])
    )
    on_stream = Counter(deadline_id for _, deadline_id in stream.kept)
    kinds = Counter(subject.split(".")[3] for subject, _ in stream.kept)
    return {
        "decisions": count,
        "deadlines_stored": deadlines,
        "kills": len(kill_log),
        "kills_while_firing": sum(1 for k in kill_log if 0 < k.fired_at_kill < count),
        "fired": fired,
        "outbox_backlog": backlog,
        "outbox_events": sum(outbox_rows.values()),
        "fired_twice_in_outbox": sum(1 for n in outbox_rows.values() if n > 1),
        "on_stream": len(on_stream),
        "twice_on_stream": sum(1 for n in on_stream.values() if n > 1),
        "due_on_stream": kinds.get("due", 0),
        "missed_on_stream": kinds.get("missed", 0),
        "nats_msg_id_mismatches": stream.msg_id_mismatches,
        "seconds": round(elapsed, 1),
        "kill_log": [asdict(k) for k in kill_log],
    }


def _verdict(result: dict[str, Any]) -> list[str]:
    n = result["decisions"]
    problems = []
    if result["deadlines_stored"] != n:
        problems.append(f"{result['deadlines_stored']} deadlines stored for {n} decisions")
    if result["fired"] != n or result["on_stream"] != n:
        problems.append(f"{result['fired']} deadlines fired, {result['on_stream']} on the stream, of {n}")
    if result["fired_twice_in_outbox"] or result["twice_on_stream"]:
        problems.append("deadlines fired more than once")
    if result["outbox_backlog"] or result["nats_msg_id_mismatches"]:
        problems.append("the outbox did not drain, or the stream does not match it")
    return problems


def _checks(result: dict[str, Any]) -> list[Check]:
    n = result["decisions"]
    return [
        Check("decisions published", n),
        Check("worker kill -9 / restarts", result["kills"]),
        Check("  kills while deadlines were firing", result["kills_while_firing"]),
        Check("deadlines stored", result["deadlines_stored"], f"{n:,}", result["deadlines_stored"] == n),
        Check("deadlines fired (outbox)", result["outbox_events"], f"{n:,}", result["outbox_events"] == n),
        Check(
            "fired twice",
            result["fired_twice_in_outbox"] + result["twice_on_stream"],
            "0",
            not (result["fired_twice_in_outbox"] or result["twice_on_stream"]),
        ),
        Check("deadlines on the stream", result["on_stream"], f"{n:,}", result["on_stream"] == n),
        Check("  deadline.due / deadline.missed", f"{result['due_on_stream']} / {result['missed_on_stream']}"),
        Check("run time (s)", result["seconds"]),
    ]


def run_scenario(*, decisions_count: int, kills: int, seed: int) -> bool:
    """Fire deadlines while killing the execution worker; check each fires exactly once."""
    run_dir = Path("var/chaos") / time.strftime("%Y%m%d-%H%M%S-execution")
    console.print(
        f"[bold]make chaos, execution deadlines[/]: {decisions_count:,} decisions, "
        f"{kills} × kill -9 of the sanction-execution worker, seed {seed}"
    )
    settings = {"relay_in_api": "false", "scheduler_interval_seconds": "0.5", "scheduler_batch": "25"}
    with platform_stack(run_dir, {SERVICE: settings}) as stack:
        result = asyncio.run(_run(stack, count=decisions_count, kills=kills, seed=seed))
    problems = _verdict(result)
    result.update(seed=seed, passed=not problems, problems=problems)
    report_path = write_report("chaos-execution", result)
    print_checks(
        "make chaos: execution deadlines under kill -9",
        _checks(result),
        problems,
        "every deadline fired once",
        report_path,
    )
    if problems:
        console.print(f"logs kept in {run_dir}")
    else:
        shutil.rmtree(run_dir, ignore_errors=True)
    return not problems
