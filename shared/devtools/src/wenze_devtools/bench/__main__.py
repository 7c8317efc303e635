"""``python -m wenze_devtools.bench``: see the package docstring for what is measured."""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import shutil
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass
from enum import Enum
from pathlib import Path
from typing import Annotated, Any

import asyncpg
import httpx
import typer
from rich.console import Console
from rich.table import Table

from wenze.db.tenancy import system_server_settings
from wenze_devtools.bench import console_pages, monthly_report
from wenze_devtools.bench.bare import DATABASE_ENV, POOL_SIZE_ENV, SCHEMA
from wenze_devtools.bench.load import LoadResult, closed_loop
from wenze_devtools.bench.support import (
    TENANT,
    Stack,
    intake_stack,
    jsonl,
    matter_rows,
    platform_stack,
    write_report,
)
from wenze_devtools.testing.infra import free_port

# Piped output (make, CI logs) would otherwise wrap the tables at 80 columns.
console = Console() if sys.stdout.isatty() else Console(width=120)
SUBMIT_GOAL = 0.60
IMPORT_GOAL = 0.25
IMPORT_TIMEOUT_S = 900.0
# The screened clues of one city in the Hubei article: part e's goal is all of them routed in 120 s.
GOAL_CLUES = 409_112
SUBMIT_ROUNDS = 4
# Connections beyond the clients': the API's relay's, and a few to spare.
POOL_SPARE = 4
MATTER_COLUMNS = (
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
    "duplicate_of",
    "duplicate_override_reason",
    "acceptance",
    "import_job_id",
    "search_text",
)


class Part(str, Enum):
    a = "a"
    b = "b"
    c = "c"
    d = "d"
    r = "r"
    e = "e"
    w = "w"


@dataclass
class Figure:
    part: str
    name: str
    measured: str
    baseline: str = "—"
    ratio: str = "—"
    goal: str = "—"
    passed: bool | None = None


# -- a: single submissions ------------------------------------------------------------------


def _start_bare(stack: Stack) -> tuple[subprocess.Popen, str]:
    port = free_port()
    log = (stack.run_dir / "bare.log").open("ab")
    process = subprocess.Popen(
        [sys.executable, "-m", "wenze_devtools.bench.bare", "--port", str(port)],
        env={**os.environ, DATABASE_ENV: stack.database_url, POOL_SIZE_ENV: stack.env["WENZE_INTAKE_DB_POOL_SIZE"]},
        stdout=subprocess.DEVNULL,
        stderr=log,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the bare endpoint exited; see {stack.run_dir / 'bare.log'}")
        try:
            if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                return process, url
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    process.kill()
    raise RuntimeError("the bare endpoint did not answer within 60s")


async def _prepare_baseline_tables(dsn: str) -> None:
    conn = await asyncpg.connect(dsn, server_settings=system_server_settings("bench"))
    try:
        # LIKE ... INCLUDING ALL copies columns, defaults, constraints and indexes, so the
        # baselines pay the same index maintenance per row that intake does.
        await conn.execute(f"CREATE SCHEMA IF NOT EXISTS {SCHEMA}")
        for table in ("matters", "matters_copy"):
            await conn.execute(f"CREATE TABLE IF NOT EXISTS {SCHEMA}.{table} (LIKE intake.matters INCLUDING ALL)")
    finally:
        await conn.close()


def _submit_template() -> dict[str, Any]:
    row = matter_rows(1, seed=1, marker=f"bench-{uuid.uuid4().hex[:8]}")[0]
    return row


async def _single_submissions(
    stack: Stack, bare_url: str, *, duration: float, concurrency: int, rounds: int = SUBMIT_ROUNDS
) -> tuple[LoadResult, LoadResult]:
    """Both endpoints in alternating rounds (bare, intake, intake, bare, ...), each side
    ``duration`` seconds in all, so that anything else the machine does during the run
    weighs on both sides alike rather than on whichever happened to run second."""
    headers = {"Authorization": f"Bearer {stack.token()}"}
    sides = {
        "bare": ("bare FastAPI + SQLAlchemy", f"{bare_url}/v1/matters", {}),
        "intake": ("intake POST /v1/matters", f"{stack.api.url}/v1/matters", headers),
    }
    results: dict[str, list[LoadResult]] = {"bare": [], "intake": []}
    for round_ in range(rounds):
        for side in ("bare", "intake") if round_ % 2 == 0 else ("intake", "bare"):
            label, url, side_headers = sides[side]
            # A fresh template per round: source references must not repeat across rounds.
            results[side].append(
                await closed_loop(
                    label,
                    url,
                    _submit_template(),
                    concurrency=concurrency,
                    seconds=duration / rounds,
                    headers=side_headers,
                    warmup_seconds=2.0 if round_ == 0 else 0.5,
                )
            )
    return LoadResult.combine(results["intake"]), LoadResult.combine(results["bare"])


def part_a(stack: Stack, *, duration: float, concurrency: int) -> tuple[list[Figure], dict[str, Any]]:
    # Intake's worker runs alongside, as deployed: its audit chainer links the submissions'
    # entries while they come in (ADR 0014), and that work is part of the cost measured.
    worker = stack.worker()
    worker.start(wait=False)
    process, url = _start_bare(stack)
    try:
        _wait_worker_started(worker)
        intake, bare = asyncio.run(_single_submissions(stack, url, duration=duration, concurrency=concurrency))
    finally:
        process.terminate()
        process.wait(timeout=15)
        worker.stop()
    ratio = intake.per_second / bare.per_second if bare.per_second else 0.0
    figures = [
        Figure(
            "a",
            f"single submit, req/s ({concurrency} clients, {duration:g}s)",
            f"{intake.per_second:,.0f}",
            f"{bare.per_second:,.0f}",
            f"{ratio:.2f}",
            f"≥ {SUBMIT_GOAL:.2f}",
            ratio >= SUBMIT_GOAL,
        ),
        Figure(
            "a",
            "single submit, p50 latency (ms)",
            f"{intake.percentile(0.5):.1f}",
            f"{bare.percentile(0.5):.1f}",
            f"{intake.percentile(0.5) / bare.percentile(0.5):.2f}×",
        ),
        Figure(
            "a",
            "single submit, p99 latency (ms)",
            f"{intake.percentile(0.99):.1f}",
            f"{bare.percentile(0.99):.1f}",
            f"{intake.percentile(0.99) / bare.percentile(0.99):.2f}×",
        ),
    ]
    if intake.errors or bare.errors:
        figures.append(
            Figure(
                "a",
                "single submit, failed requests (intake / bare)",
                f"{intake.errors} {intake.statuses}",
                f"{bare.errors} {bare.statuses}",
                passed=False,
            )
        )
    return figures, {
        "intake": intake.summary(),
        "bare": bare.summary(),
        "ratio": round(ratio, 3),
        "goal": SUBMIT_GOAL,
        "concurrency": concurrency,
    }


# -- b: bulk import -------------------------------------------------------------------------


async def _bulk(stack: Stack, rows: int) -> dict[str, Any]:
    items = matter_rows(rows, seed=11, marker=f"bulk-{uuid.uuid4().hex[:8]}")
    body = jsonl(items)
    async with httpx.AsyncClient(
        base_url=stack.api.url, timeout=120, headers={"Authorization": f"Bearer {stack.token()}"}
    ) as client:
        started = time.perf_counter()
        response = await client.post(
            "/v1/matter-imports",
            content=body,
            headers={"Content-Type": "application/x-ndjson", "X-Filename": "bench.jsonl"},
        )
        response.raise_for_status()
        job_id = response.json()["id"]
        deadline = time.monotonic() + IMPORT_TIMEOUT_S
        while True:
            job = (await client.get(f"/v1/matter-imports/{job_id}")).json()
            if job["state"] in ("completed", "failed") or time.monotonic() > deadline:
                break
            await asyncio.sleep(0.05)
        import_seconds = time.perf_counter() - started
    if job["state"] != "completed" or job["registered"] != rows:
        raise RuntimeError(f"the import did not register every row: {job}")

    # The relay publishes the events meanwhile and finishes after the job; COPY is timed only
    # once it has, so that its work neither slows the baseline down nor goes unreported.
    conn = await asyncpg.connect(stack.dsn, server_settings=system_server_settings("bench"))
    try:
        while await conn.fetchval("SELECT count(*) FROM intake.outbox WHERE published_at IS NULL"):
            if time.monotonic() > deadline:
                raise RuntimeError("the outbox did not drain after the import")
            await asyncio.sleep(0.05)
        relayed_seconds = time.perf_counter() - started
        # What the figure stands for: every row stored once, numbered without gaps, and one
        # event per stored matter.
        stored, numbers, span = await conn.fetchrow(
            "SELECT count(*), count(DISTINCT seq), max(seq) - min(seq) + 1 FROM intake.matters"
            " WHERE import_job_id = $1",
            job_id,
        )
        events = await conn.fetchval("SELECT count(DISTINCT payload::jsonb ->> 'matter_id') FROM intake.outbox")
        if not stored == numbers == span == events == rows:
            raise RuntimeError(
                f"import check failed: {stored} matters, {numbers} numbers over a span of {span}, "
                f"{events} events for {rows} rows"
            )
    finally:
        await conn.close()

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
            m["proposed_form"],
            False,
            now.date(),
            now,
            "bench",
            None,
            None,
            None,
            None,
            f"{m['summary']}\n{m['facts']}\n{m['targets'][0]['name']}",
        )
        for i, m in enumerate(items)
    ]
    conn = await asyncpg.connect(stack.dsn, server_settings=system_server_settings("bench"))
    try:
        started = time.perf_counter()
        await conn.copy_records_to_table("matters_copy", schema_name=SCHEMA, records=records, columns=MATTER_COLUMNS)
        copy_seconds = time.perf_counter() - started
    finally:
        await conn.close()
    return {
        "rows": rows,
        "import_seconds": round(import_seconds, 3),
        "import_rows_per_second": rows / import_seconds,
        "events_published_seconds": round(relayed_seconds, 3),
        "copy_seconds": round(copy_seconds, 3),
        "copy_rows_per_second": rows / copy_seconds,
        "job_id": job_id,
    }


def _wait_worker_started(worker, timeout: float = 120.0) -> None:
    """Until the worker's relay runs and its import runner has loaded what a job needs."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if worker.process is not None and worker.process.poll() is not None:
            raise RuntimeError(f"the intake worker exited:\n{worker.log_tail()}")
        log = worker.log_path.read_bytes() if worker.log_path.exists() else b""
        if b"outbox relay started" in log and b"import job runner started" in log:
            return
        time.sleep(0.1)
    raise RuntimeError(f"the intake worker's relay and import runner did not start within {timeout}s")


def part_b(stack: Stack, *, rows: int) -> tuple[list[Figure], dict[str, Any]]:
    # Intake as it is deployed for bulk work: the worker runs the import (in a job process of
    # its own) and relays the outbox, the API's own relay off. That needs an API started with
    # that setting, so part b has a stack of its own; COPY runs against the same database.
    with intake_stack(stack.run_dir / "bulk", relay_in_api="false") as bulk_stack:
        asyncio.run(_prepare_baseline_tables(bulk_stack.dsn))
        worker = bulk_stack.worker()
        worker.start(wait=False)
        try:
            _wait_worker_started(worker)
            result = asyncio.run(_bulk(bulk_stack, rows))
        finally:
            worker.stop()
    ratio = result["import_rows_per_second"] / result["copy_rows_per_second"]
    result.update(ratio=round(ratio, 4), goal=IMPORT_GOAL)
    figure = Figure(
        "b",
        f"bulk import, rows/s ({rows:,} rows, submit → completed)",
        f"{result['import_rows_per_second']:,.0f}",
        f"{result['copy_rows_per_second']:,.0f} (COPY)",
        f"{ratio:.2f}",
        f"≥ {IMPORT_GOAL:.2f}",
        ratio >= IMPORT_GOAL,
    )
    return [figure], result


# -- c: rules engine ------------------------------------------------------------------------


def part_c(seconds: float) -> tuple[list[Figure], dict[str, Any]]:
    try:
        from wenze_devtools.bench.rules import run_rules_bench
    except ImportError as exc:
        return [Figure("c", "rules engine: not available (wenze_devtools.bench.rules missing)", "—")], {
            "available": False,
            "reason": str(exc),
        }
    result = run_rules_bench(seconds)
    ratio, goal = float(result["ratio"]), float(result["goal_ratio"])
    figures = [
        Figure(
            "c",
            f"rules decisions/s, one core ({result.get('benchmark', 'rules')}, median of rounds)",
            f"{result['decisions_per_second']:,}",
            f"{result['hand_written_per_second']:,} (by hand)",
            f"{ratio:.2f}",
            f"≥ {goal:.2f}",
            ratio >= goal,
        ),
        Figure("c", "rules decision p99 latency, explanation read (µs)", f"{result['p99_latency_us']:,}"),
    ]
    return figures, {"available": True, **result}


# -- d: accepted → routed latency ------------------------------------------------------------


# The goal for an acceptance routed at 200 a second on the two-core machine (benchmarks.md, part d).
LATENCY_GOAL_P50_MS = 15.0
LATENCY_GOAL_P99_MS = 50.0


def part_d(*, rate: float, seconds: float) -> tuple[list[Figure], dict[str, Any]]:
    from wenze_devtools.bench.routing_latency import measure

    run_dir = Path("var/bench") / (time.strftime("%Y%m%d-%H%M%S") + "-d")
    routing, echo, checks = measure(run_dir, rate=rate, seconds=seconds)
    r, e = routing.summary(), echo.summary()
    stream, slips = checks["stream"], checks["slips"]
    expected = len(routing.scheduled)
    seen_twice = sum(1 for c in routing.arrivals.values() if c > 1)
    exact = (
        stream["missing"] == 0
        and stream["duplicates"] == 0
        and r["missing"] == 0
        and seen_twice == 0
        and slips["matters_with_slip"] == expected
        and slips["matters_with_more_than_one"] == 0
        and slips["gap_free"]
    )
    ratio = lambda a, b: f"{a / b:.1f}×" if b else "—"  # noqa: E731
    figures = [
        Figure(
            "d",
            f"accepted → routed, p50 latency (ms) ({rate:g}/s for {seconds:g}s)",
            f"{r['p50_ms']:,.1f}",
            f"{e['p50_ms']:,.1f} (NATS echo)",
            ratio(r["p50_ms"], e["p50_ms"]),
            goal=f"≤ {LATENCY_GOAL_P50_MS:g}",
            passed=r["p50_ms"] <= LATENCY_GOAL_P50_MS,
        ),
        Figure(
            "d",
            "accepted → routed, p99 latency (ms)",
            f"{r['p99_ms']:,.1f}",
            f"{e['p99_ms']:,.1f}",
            ratio(r["p99_ms"], e["p99_ms"]),
            goal=f"≤ {LATENCY_GOAL_P99_MS:g}",
            passed=r["p99_ms"] <= LATENCY_GOAL_P99_MS,
        ),
        Figure(
            "d",
            "accepted → routed, max latency (ms)",
            f"{r['max_ms'] or 0:,.1f}",
            f"{e['max_ms'] or 0:,.1f}",
            ratio(r["max_ms"] or 0, e["max_ms"] or 0),
        ),
        Figure(
            "d",
            "accepted → routed, achieved send rate (/s)",
            f"{r['achieved_rate']:,.1f}",
            f"{e['achieved_rate']:,.1f}",
        ),
        Figure(
            "d",
            "accepted → routed, outcomes received / expected",
            f"{r['received']:,} / {expected:,}",
            f"{e['received']:,} / {len(echo.scheduled):,}",
        ),
        Figure(
            "d",
            "accepted → routed, missing / duplicated outcomes",
            f"{stream['missing']} / {stream['duplicates']}",
            goal="0 / 0",
            passed=exact,
        ),
    ]
    report = {
        "rate": rate,
        "seconds": seconds,
        "routing": r,
        "echo": e,
        "subscriber_duplicates": seen_twice,
        "echo_subscriber_duplicates": sum(1 for c in echo.arrivals.values() if c > 1),
        **checks,
    }
    if exact:
        shutil.rmtree(run_dir, ignore_errors=True)
    else:
        report["logs"] = str(run_dir)
    return figures, report


# -- r: the monthly report over a million matters -------------------------------------------


def part_r(matters: int) -> tuple[list[Figure], dict[str, Any]]:
    run_dir = Path("var/bench") / (time.strftime("%Y%m%d-%H%M%S") + "-r")
    with platform_stack(run_dir, {"intake": {}, "reporting": {}}) as stack:
        result = monthly_report.run(stack, matters)
    shutil.rmtree(run_dir, ignore_errors=True)
    report_s, baseline_s = result["report_median_seconds"], result["group_by_median_seconds"]
    same = result["report_received"] == result["group_by_received"] == result["report_by_source_received"]
    figures = [
        Figure(
            "r",
            f"month-end report over {matters:,} matters, median latency (s, GET /v1/reports/month-end)",
            f"{report_s:,.3f}",
            f"{baseline_s:,.3f} (GROUP BY intake)",
            f"{report_s / baseline_s:.1f}×" if baseline_s else "—",
            f"< {monthly_report.REPORT_GOAL_SECONDS:g} s",
            report_s < monthly_report.REPORT_GOAL_SECONDS,
        ),
        Figure("r", "month-end report, slowest of the runs (s)", f"{result['report_max_seconds']:,.3f}"),
        Figure(
            "r",
            "matters received that month: report / GROUP BY",
            f"{result['report_received']:,} / {result['group_by_received']:,}",
            goal="equal",
            passed=same,
        ),
        Figure("r", "loading both schemas, set-based (s)", f"{result['load_seconds']:,.1f}"),
    ]
    return figures, result


# -- w: the console's pages -------------------------------------------------------------------


def part_w(matters: int, requests: int) -> tuple[list[Figure], dict[str, Any]]:
    run_dir = Path("var/bench") / (time.strftime("%Y%m%d-%H%M%S") + "-w")
    result = console_pages.run(run_dir, matters, requests)
    shutil.rmtree(run_dir, ignore_errors=True)
    goal_ms = console_pages.PAGE_GOAL_P95_SECONDS * 1000
    figures = []
    for page, api, what in (
        ("work_page", "queue_api", "我的工作 (GET /t/kunshan/work) vs GET /v1/work-queue?limit=50"),
        ("matter_page", "progress_api", "a matter page vs GET /v1/matters/{id}/progress"),
    ):
        page_ms, api_ms = result[page], result[api]
        figures.append(
            Figure(
                "w",
                f"{what}, p50 / p95 (ms) over {result['requests_per_side']} requests, {matters:,} matters",
                f"{page_ms['p50_ms']:,.0f} / {page_ms['p95_ms']:,.0f}",
                f"{api_ms['p50_ms']:,.0f} / {api_ms['p95_ms']:,.0f}",
                f"{page_ms['p95_ms'] / api_ms['p95_ms']:.1f}×" if api_ms["p95_ms"] else "—",
                f"p95 < {goal_ms:g} ms",
                page_ms["p95_ms"] < goal_ms,
            )
        )
    for call, what in (
        ("matter_api", "GET /v1/matters/{id} (intake)"),
        ("matter_tasks_api", "GET /v1/work-queue?matter_id= (review)"),
        ("slips_api", "GET /v1/slips?matter_id= (routing)"),
        ("cases_api", "GET /v1/cases?matter_id= (review)"),
        ("executions_api", "GET /v1/executions?matter_id= (sanction-execution)"),
    ):
        figures.append(
            Figure(
                "w",
                f"the matter page's call {what}, p50 / p95 (ms)",
                f"{result[call]['p50_ms']:,.0f} / {result[call]['p95_ms']:,.0f}",
            )
        )
    figures.append(
        Figure(
            "w",
            f"loading: import, acceptance, routed in reporting (s); {result['open_tasks_of_user']:,} open tasks",
            f"{result['load_seconds']:,.1f}",
        )
    )
    return figures, result


# -- e: bulk submission to routed ------------------------------------------------------------


def part_e(*, rows: int, autovacuum_every: float) -> tuple[list[Figure], dict[str, Any]]:
    from wenze_devtools.bench.end_to_end import measure

    run_dir = Path("var/bench") / (time.strftime("%Y%m%d-%H%M%S") + "-e")
    result = measure(run_dir, rows, autovacuum_every)
    shutil.rmtree(run_dir, ignore_errors=True)
    seconds, rate = result["routed_seconds"], result["rows_per_second"]
    # The goal: a city's screening, 409,112 clues, routed within 120 s; as a rate, for any size.
    goal_rate = GOAL_CLUES / result["goal_seconds"]
    figures = [
        Figure(
            "e",
            f"bulk submission → routed and counted, clues/s ({rows:,} clues in {seconds:,.1f} s: import, "
            "one acceptance, routing, reporting)",
            f"{rate:,.0f}",
            f"{result['copy_rows_per_second']:,.0f} (COPY)",
            f"{rate / result['copy_rows_per_second']:.2f}",
            f"≥ {goal_rate:,.0f}",
            rate >= goal_rate,
        ),
        Figure(
            "e",
            "… of which imported / accepted / routed (s from the upload; "
            + (f"autovacuum's stand-in every {autovacuum_every:g} s)" if autovacuum_every else "no autovacuum)"),
            f"{result['imported_seconds']:,.1f} / {result['accepted_seconds']:,.1f} / {result['slips_seconds']:,.1f}",
        ),
    ]
    written = result["rows_written"]
    per_clue = {service: (rows_of["inserted"] + rows_of["updated"]) / rows for service, rows_of in written.items()}
    rows_per_second = sum(per_clue.values()) * rows / seconds
    # What the goal asks of the database at the design's rows per clue.
    needed = sum(per_clue.values()) * goal_rate
    figures.append(
        Figure(
            "e",
            "… rows written per second, all services (inserted or updated; per clue "
            + " / ".join(f"{service} {n:.1f}" for service, n in per_clue.items())
            + "); goal: the rate the clues' goal needs",
            f"{rows_per_second:,.0f}",
            f"{result['copy_rows_per_second']:,.0f} (COPY)",
            f"{rows_per_second / result['copy_rows_per_second']:.2f}",
            f"≥ {needed:,.0f}",
        )
    )
    cpu = result["cpu_seconds"]
    available = seconds * (os.cpu_count() or 1)
    figures.append(
        Figure(
            "e",
            f"… CPU seconds used from the upload to the last count, of the {available:,.0f} the cores had ("
            + " / ".join(cpu)
            + ")",
            " / ".join(f"{cpu[name]:,.0f}" for name in cpu),
            ratio=f"{sum(cpu.values()) / available:.0%} busy",
        )
    )
    return figures, result


# -- report ---------------------------------------------------------------------------------


def _print(figures: list[Figure], report_path: Path) -> None:
    table = Table(title=f"make bench — {dt.datetime.now():%Y-%m-%d %H:%M}, {os.cpu_count()} cores")
    for column, justify in (
        ("figure", "left"),
        ("measured", "right"),
        ("baseline", "right"),
        ("ratio", "right"),
        ("goal", "right"),
        ("pass/fail", "center"),
    ):
        table.add_column(column, justify=justify)  # type: ignore[arg-type]
    for f in figures:
        verdict = "" if f.passed is None else ("[green]PASS[/]" if f.passed else "[bold red]FAIL[/]")
        table.add_row(f"{f.part}. {f.name}", f.measured, f.baseline, f.ratio, f.goal, verdict)
    console.print(table)
    failed = [f for f in figures if f.passed is False]
    if failed:
        console.print(f"[bold red]FAIL[/] {len(failed)} figure(s) below goal: " + "; ".join(f.name for f in failed))
    console.print(f"report: {report_path}")


def main(
    duration: Annotated[
        float, typer.Option(min=1.0, max=600.0, help="seconds per single-submission measurement")
    ] = 15.0,
    concurrency: Annotated[int, typer.Option(min=1, max=256, help="keep-alive clients sending at once")] = 16,
    rows: Annotated[int, typer.Option(min=100, max=1_000_000, help="rows in the bulk import")] = 20_000,
    routing_rate: Annotated[float, typer.Option(min=1.0, max=5_000.0, help="acceptances per second in part d")] = 200.0,
    routing_seconds: Annotated[
        float, typer.Option(min=1.0, max=3_600.0, help="seconds of acceptances in part d")
    ] = 60.0,
    report_matters: Annotated[
        int, typer.Option(min=1_000, max=10_000_000, help="matters under the monthly report in part r")
    ] = 1_000_000,
    e2e_autovacuum_every: Annotated[
        float,
        typer.Option(
            min=0,
            help="part e: every so many seconds, vacuum and analyse the run's tables as autovacuum would, "
            "which this machine's PostgreSQL runs without (0: never)",
        ),
    ] = 60.0,
    e2e_rows: Annotated[
        int, typer.Option(min=100, max=1_000_000, help="clues in part e (bulk submission to routed)")
    ] = 20_000,
    console_matters: Annotated[
        int, typer.Option(min=100, max=1_000_000, help="matters in the tenant under the console's pages in part w")
    ] = 10_000,
    page_requests: Annotated[int, typer.Option(min=8, max=10_000, help="requests per side in part w")] = 200,
    only: Annotated[
        Part | None,
        typer.Option(
            help="run one part: a (single), b (bulk), c (rules), d (routing latency), e (bulk to routed), "
            "r (monthly report), w (console pages)"
        ),
    ] = None,
) -> None:
    """Measure intake and routing against bare baselines on this machine; exits 0 whatever the figures."""
    parts = {only} if only else set(Part)
    figures: list[Figure] = []
    report: dict[str, Any] = {
        "started_at": dt.datetime.now(dt.UTC).isoformat(),
        "cpu_count": os.cpu_count(),
        "duration": duration,
        "concurrency": concurrency,
        "rows": rows,
    }
    run_dir = Path("var/bench") / time.strftime("%Y%m%d-%H%M%S")
    if parts & {Part.a, Part.b}:
        # Both sides get a connection pool that holds every client's connection: a smaller
        # one opens and closes an overflow connection per request once it is exhausted.
        with intake_stack(run_dir, db_pool_size=str(concurrency + POOL_SPARE)) as stack:
            asyncio.run(_prepare_baseline_tables(stack.dsn))
            if Part.a in parts:
                console.print(f"[bold]a[/]: single submissions, {concurrency} clients, {duration:g}s each …")
                found, report["single_submit"] = part_a(stack, duration=duration, concurrency=concurrency)
                figures += found
            if Part.b in parts:
                console.print(f"[bold]b[/]: bulk import of {rows:,} rows and COPY of the same rows …")
                found, report["bulk_import"] = part_b(stack, rows=rows)
                figures += found
        shutil.rmtree(run_dir, ignore_errors=True)
    if Part.c in parts:
        console.print("[bold]c[/]: rules engine …")
        found, report["rules"] = part_c(min(duration, 6.0))
        figures += found
    if Part.d in parts:
        console.print(
            f"[bold]d[/]: accepted → routed latency, {routing_rate:g} acceptances/s for {routing_seconds:g}s …"
        )
        found, report["routing_latency"] = part_d(rate=routing_rate, seconds=routing_seconds)
        figures += found
    if Part.r in parts:
        console.print(f"[bold]r[/]: month-end report over {report_matters:,} matters …")
        found, report["monthly_report"] = part_r(report_matters)
        figures += found
    if Part.e in parts:
        console.print(f"[bold]e[/]: {e2e_rows:,} clues from bulk submission to routed, and COPY of the same rows …")
        found, report["end_to_end"] = part_e(rows=e2e_rows, autovacuum_every=e2e_autovacuum_every)
        figures += found
    if Part.w in parts:
        console.print(f"[bold]w[/]: the console's pages over {console_matters:,} matters …")
        found, report["console_pages"] = part_w(console_matters, page_requests)
        figures += found
    report["figures"] = [f.__dict__ for f in figures]
    _print(figures, write_report("bench", report))


if __name__ == "__main__":
    typer.run(main)
