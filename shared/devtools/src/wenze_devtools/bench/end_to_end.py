"""Part e of ``make bench``: clues from bulk submission to routed and counted in the report,
against ``COPY`` of the same rows.

Intake, routing and reporting run as deployed for bulk work (each an API with its relay off and
a worker that relays and consumes; intake's worker runs the import in a job process of its
own), on one private NATS server and one fresh PostgreSQL database. The clock starts with the
upload of one JSON Lines file of Kunshan matters (the mix of part d: town and department cadres
routed at once, city-managed cadres sent to a consultation, matters with no identified person
routed for investigation). Once the job has completed, the whole import is accepted by one
request (``POST /v1/matter-imports/{id}/acceptance``); the clock stops when routing's own table
holds a slip for every matter and reporting's read model counts every matter as routed or sent
to a consultation.

Checked before the figure is reported: every row registered once, accepted once, exactly one
slip per matter, and the month-end report (``GET /v1/reports/month-end`` for the month of the
run) counting every matter received and accepted, and as routed or sent to a consultation. The
baseline is ``COPY`` of the same matter rows into a table ``LIKE intake.matters INCLUDING ALL``
in the same database, after the run (so that neither slows the other down).

Beside the figure: the rows each service's tables took during the run, inserted or updated
(PostgreSQL's own counts for the run's database), per clue and per second over the run, against
``COPY``'s rate of matter rows and the rate the goal would need at the same rows per clue; and
the CPU seconds each service's processes and PostgreSQL's used from the upload to the last count
(``wenze_devtools.bench.cpu``), against what the machine's cores had over that time.

This machine's PostgreSQL runs without autovacuum (its configuration for CI), where every
deployment runs it. The run's tables grow from nothing: without statistics the planner
misjudges the statements that read them back, and without vacuum the entries of rows updated or
deleted pile up in their indexes. So, by default, the bench stands in for autovacuum: every
``autovacuum_every`` seconds (its default nap, 60) it vacuums and analyses, as superuser, the
tables of its database that autovacuum's default thresholds would have it vacuum or analyse.
``--e2e-autovacuum-every 0`` measures without it (docs/operations/benchmarks.md has both).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import time
import uuid
from pathlib import Path
from typing import Any

import asyncpg
import httpx

from wenze.db.tenancy import system_server_settings
from wenze.rules import get_pack
from wenze_devtools.bench.bare import SCHEMA
from wenze_devtools.bench.cpu import CpuClock
from wenze_devtools.bench.support import TENANT, Stack, jsonl, mixed_matter_rows, platform_stack

TIMEOUT_S = 3_600.0
# A backend reports its row counts when it goes idle, at most once a second, and one that goes
# idle within a second of its last report does so ten seconds later (PostgreSQL 15's
# PGSTAT_IDLE_INTERVAL): the counts are read once every backend of the run has reported.
STATISTICS_FLUSH_S = 11.0
GOAL_SECONDS = 120.0
# Counted as received, accepted, and routed or sent to a consultation that decides the handler
# (city-managed cadres): the mix's matters end in one or the other. Reporting reads each kind of
# event on its own consumer, so a matter's routing may be counted before its acceptance.
_COUNTED_AS_ROUTED = (
    "SELECT count(*) FROM reporting.report_matters WHERE received_on IS NOT NULL AND accepted_on IS NOT NULL"
    " AND (routed_on IS NOT NULL OR consultation_requested_on IS NOT NULL)"
)
_COLUMNS = (
    "id",
    "tenant",
    "number",
    "year",
    "seq",
    "state",
    "source",
    "source_reference",
    "summary",
    "facts",
    "proposed_form",
    "key_supervised",
    "relevant_date",
    "received_at",
    "submitted_by",
    "search_text",
)


def _wait_started(stack: Stack, workers: dict[str, Any], timeout: float = 180.0) -> None:
    """Until intake's relay and import runner, and routing's relay and consumers, have started."""
    wanted = {
        "intake": (b"outbox relay started", b"import job runner started"),
        "routing": (b"outbox relay started",),
        "reporting": (b"outbox relay started",),
    }
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        pending = []
        for service, worker in workers.items():
            if worker.process is not None and worker.process.poll() is not None:
                raise RuntimeError(f"the {service} worker exited:\n{worker.log_tail()}")
            log = worker.log_path.read_bytes() if worker.log_path.exists() else b""
            pending += [line for line in wanted[service] if line not in log]
        if not pending:
            return
        time.sleep(0.2)
    raise RuntimeError(f"the workers did not start within {timeout}s")


async def _run(stack: Stack, rows: int, pids: dict[str, list[int]]) -> dict[str, Any]:
    items = [row for _, row in mixed_matter_rows(rows, seed=23, marker=f"e2e-{uuid.uuid4().hex[:8]}")]
    body = jsonl(items)
    headers = {"Authorization": f"Bearer {stack.token()}"}
    conn = await asyncpg.connect(stack.dsn, server_settings=system_server_settings("bench"))
    try:
        async with httpx.AsyncClient(base_url=stack.api.url, timeout=600, headers=headers) as client:
            cpu = CpuClock.start(pids)
            started = time.perf_counter()
            deadline = time.monotonic() + TIMEOUT_S
            response = await client.post(
                "/v1/matter-imports", content=body, headers={"Content-Type": "application/x-ndjson"}
            )
            response.raise_for_status()
            job_id = response.json()["id"]
            while True:
                job = (await client.get(f"/v1/matter-imports/{job_id}")).json()
                if job["state"] in ("completed", "failed") or time.monotonic() > deadline:
                    break
                await asyncio.sleep(0.1)
            imported = time.perf_counter() - started
            if job["state"] != "completed" or job["registered"] != rows:
                raise RuntimeError(f"the import did not register every row: {job}")
            acceptance = await client.post(
                f"/v1/matter-imports/{job_id}/acceptance",
                json={"participants": ["周敏", "陈立"], "study_date": get_pack(TENANT).today().isoformat()},
            )
            acceptance.raise_for_status()
            accepted_at = time.perf_counter() - started
            if acceptance.json()["accepted"] != rows:
                raise RuntimeError(f"the acceptance did not accept every matter: {acceptance.json()}")
        while (slips := await conn.fetchval("SELECT count(*) FROM routing.slips")) < rows:
            if time.monotonic() > deadline:
                raise RuntimeError(f"only {slips} of {rows} matters were routed within {TIMEOUT_S:g}s")
            await asyncio.sleep(_poll_pause(slips, rows))
        routed_at = time.perf_counter() - started
        while (counted := await conn.fetchval(_COUNTED_AS_ROUTED)) < rows:
            if time.monotonic() > deadline:
                raise RuntimeError(f"only {counted} of {rows} matters were counted as routed within {TIMEOUT_S:g}s")
            await asyncio.sleep(_poll_pause(counted, rows))
        routed = time.perf_counter() - started
        cpu_seconds = cpu.spent()
        per_matter = await conn.fetchval(
            "SELECT count(*) FROM (SELECT matter_id FROM routing.slips GROUP BY matter_id HAVING count(*) = 1) s"
        )
        accepted = await conn.fetchval(
            "SELECT count(*) FROM intake.matters WHERE import_job_id = $1 AND state = 'accepted'", job_id
        )
        by_state = dict(await conn.fetch("SELECT state, count(*) FROM routing.slips GROUP BY state"))
        if not per_matter == accepted == rows:
            raise RuntimeError(f"{accepted} accepted and {per_matter} matters with one slip, for {rows} rows")
    finally:
        await conn.close()
    report = await _month_end_totals(stack)
    if not report["received"] == report["accepted"] == report["routed"] + report["consultations"] == rows:
        raise RuntimeError(f"the month-end report does not count every matter: {report}")
    written = await _rows_written(stack)
    copy_seconds = await _copy(stack, items)
    return {
        "rows": rows,
        "job_id": job_id,
        "imported_seconds": round(imported, 3),
        "accepted_seconds": round(accepted_at, 3),
        "slips_seconds": round(routed_at, 3),
        "routed_seconds": round(routed, 3),
        "month_end_totals": report,
        "rows_per_second": rows / routed,
        "slips_by_state": by_state,
        "rows_written": written,
        "cpu_seconds": cpu_seconds,
        "copy_seconds": round(copy_seconds, 3),
        "copy_rows_per_second": rows / copy_seconds,
        "goal_seconds": GOAL_SECONDS,
    }


def _poll_pause(done: int, rows: int) -> float:
    """Seconds until the next count: the counts read whole tables, which at a city's size cost
    PostgreSQL more than some of the work measured, so they are taken often only near the end."""
    return 0.2 if done >= 0.95 * rows else 2.0


async def _month_end_totals(stack: Stack) -> dict[str, int]:
    """The month-end report's totals for this month, as a caller reads them."""
    today = get_pack(TENANT).today()
    headers = {"Authorization": f"Bearer {stack.token()}"}
    async with httpx.AsyncClient(base_url=stack.apis["reporting"].url, headers=headers, timeout=120) as client:
        response = await client.get("/v1/reports/month-end", params={"year": today.year, "month": today.month})
        response.raise_for_status()
        totals: dict[str, int] = response.json()["figures"]["totals"]
        return totals


# Rows each service's tables took during the run (the database is the run's own): inserted, and
# updated, which writes a new version of the row.
_ROWS_WRITTEN = """
    SELECT schemaname, sum(n_tup_ins)::bigint, sum(n_tup_upd)::bigint FROM pg_stat_user_tables
    WHERE schemaname = ANY($1::text[]) GROUP BY schemaname
"""
SERVICES = ("intake", "routing", "reporting")


async def _rows_written(stack: Stack) -> dict[str, dict[str, int]]:
    """By service, the rows its tables took: inserted and updated (``STATISTICS_FLUSH_S``)."""
    await asyncio.sleep(STATISTICS_FLUSH_S)
    conn = await asyncpg.connect(stack.dsn)
    try:
        found = {schema: (inserted, updated) for schema, inserted, updated in await conn.fetch(_ROWS_WRITTEN, SERVICES)}
    finally:
        await conn.close()
    return {s: {"inserted": found.get(s, (0, 0))[0], "updated": found.get(s, (0, 0))[1]} for s in SERVICES}


async def _copy(stack: Stack, items: list[dict[str, Any]]) -> float:
    now = dt.datetime.now(dt.UTC)
    records = [
        (
            str(uuid.uuid4()),
            TENANT,
            f"copy-{i}",
            now.year,
            i + 1,
            "received",
            m["source"],
            m["source_reference"],
            m["summary"],
            m["facts"],
            m.get("proposed_form"),
            False,
            now.date(),
            now,
            "bench",
            f"{m['summary']}\n{m['facts']}\n{m['targets'][0].get('name') or ''}",
        )
        for i, m in enumerate(items)
    ]
    conn = await asyncpg.connect(stack.dsn, server_settings=system_server_settings("bench"))
    try:
        await conn.execute(f"CREATE SCHEMA IF NOT EXISTS {SCHEMA}")
        await conn.execute(f"CREATE TABLE {SCHEMA}.matters_e2e (LIKE intake.matters INCLUDING ALL)")
        started = time.perf_counter()
        await conn.copy_records_to_table("matters_e2e", schema_name=SCHEMA, records=records, columns=_COLUMNS)
        return time.perf_counter() - started
    finally:
        await conn.close()


# Autovacuum's default thresholds (autovacuum_vacuum_threshold and _scale_factor, the same for
# inserts since PostgreSQL 13, autovacuum_analyze_threshold and _scale_factor).
_AUTOVACUUM_DUE = """
    SELECT format('%I.%I', schemaname, relname),
           n_dead_tup > 50 + 0.2 * n_live_tup OR n_ins_since_vacuum > 1000 + 0.2 * n_live_tup,
           n_mod_since_analyze > 50 + 0.1 * n_live_tup
    FROM pg_stat_user_tables
"""


async def _autovacuum_until(stack: Stack, every: float, done: asyncio.Event) -> int:
    """Vacuum and analyse the run's tables as autovacuum would, every ``every`` seconds until
    ``done``; returns how many tables were vacuumed or analysed."""
    conn = await asyncpg.connect(stack.dsn)
    worked = 0
    try:
        while not done.is_set():
            try:
                await asyncio.wait_for(done.wait(), timeout=every)
            except TimeoutError:
                for table, vacuum, analyse in await conn.fetch(_AUTOVACUUM_DUE):
                    if vacuum or analyse:
                        await conn.execute(f"VACUUM (ANALYZE) {table}" if vacuum else f"ANALYZE {table}")
                        worked += 1
    finally:
        await conn.close()
    return worked


async def _run_with_autovacuum(
    stack: Stack, rows: int, pids: dict[str, list[int]], autovacuum_every: float
) -> dict[str, Any]:
    if not autovacuum_every:
        return {**await _run(stack, rows, pids), "autovacuumed_tables": 0}
    done = asyncio.Event()
    autovacuum = asyncio.create_task(_autovacuum_until(stack, autovacuum_every, done))
    try:
        result = await _run(stack, rows, pids)
    finally:
        done.set()
    return {**result, "autovacuumed_tables": await autovacuum, "autovacuum_every_seconds": autovacuum_every}


def measure(run_dir: Path, rows: int, autovacuum_every: float) -> dict[str, Any]:
    services = {service: {"relay_in_api": "false"} for service in SERVICES}
    with platform_stack(run_dir, services) as stack:
        workers = {service: stack.worker(service) for service in services}
        for worker in workers.values():
            worker.start(wait=False)
        try:
            _wait_started(stack, workers)
            pids = {service: [stack.apis[service].pid, workers[service].pid] for service in services}
            return asyncio.run(_run_with_autovacuum(stack, rows, pids, autovacuum_every))
        finally:
            for worker in workers.values():
                worker.stop()
