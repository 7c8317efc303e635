"""Part r of ``make bench``: the month-end report over a million matters, against a direct
``GROUP BY`` over intake's own table in the same run.

Intake's and reporting's APIs start on a fresh database (each migrates its schema); the
matters are then written straight into both, set-based (``INSERT … SELECT generate_series``):
intake's ``matters`` and reporting's read model of the same matters (received, accepted or
rejected, routed with a slip, decided with a measure). What is measured is reading, not
loading: the report as a caller gets it (``GET /v1/reports/month-end`` with a token, JSON),
against the one query that counts the month's matters by source in intake's table.
"""

from __future__ import annotations

import asyncio
import statistics
import time
from typing import Any

import asyncpg
import httpx

from wenze.db.tenancy import system_server_settings
from wenze.rules import get_pack
from wenze_devtools.bench.support import TENANT, Stack

REPORT_GOAL_SECONDS = 1.0
RUNS = 7
YEAR, MONTH = 2026, 3
TENANTS = ("kunshan", "jintan", "zhenxiong", "hubei")
CHUNK = 250_000


def _codes(vocabulary: str) -> list[str]:
    return sorted(get_pack(TENANT).vocabulary.get(vocabulary, {}))


def _array(values: list[str]) -> str:
    return "ARRAY[" + ", ".join("'" + v.replace("'", "''") + "'" for v in values) + "]"


async def load(dsn: str, matters: int) -> dict[str, float]:
    """Write ``matters`` matters into intake's table and reporting's read model; returns seconds taken."""
    sources = _array(_codes("intake_sources"))
    offices = _array(_codes("offices"))
    measures = _array(_codes("measures"))
    levels = _array(_codes("cadre_levels"))
    forms = _array(_codes("forms") or ["form_1"])
    tenants = _array(list(TENANTS))
    units = _array(["玉山镇", "周市镇", "张浦镇", "市教育局", "市卫生健康委员会"])
    # One row per i: its tenant, day of 2026, whether accepted (9 in 10), decided (7 in 10).
    base = f"""
        SELECT i,
               md5('m' || i)::uuid::text AS id,
               ({tenants})[1 + i % 4] AS tenant,
               date '2026-01-01' + ((i::bigint * 7919) % 365)::int AS day,
               ({sources})[1 + (i / 4) % array_length({sources}, 1)] AS source,
               ({forms})[1 + (i / 3) % array_length({forms}, 1)] AS form,
               i % 10 <> 0 AS accepted,
               i % 10 BETWEEN 1 AND 7 AS decided
        FROM generate_series($1::int, $2::int) AS i
    """
    statements = [
        f"""INSERT INTO intake.matters (id, tenant, number, year, seq, state, source, summary, facts,
                proposed_form, key_supervised, relevant_date, received_at, submitted_by, search_text)
            SELECT id, tenant, 'B-' || i, 2026, i, CASE WHEN accepted THEN 'accepted' ELSE 'rejected' END,
                   source, 'bench', '', form, false, day, day + time '04:00', 'bench', ''
            FROM ({base}) AS m""",
        f"""INSERT INTO reporting.report_matters (tenant, id, number, source, proposed_form, key_supervised,
                summary, targets, received_on, accepted_on, rejected_on, rejection, routed_on, decided_on)
            SELECT tenant, id, 'B-' || i, source, form, false, 'bench', '[]'::jsonb, day,
                   CASE WHEN accepted THEN day + i % 5 END,
                   CASE WHEN NOT accepted THEN day + i % 5 END,
                   CASE WHEN NOT accepted THEN 'not_accepted' END,
                   CASE WHEN accepted THEN day + i % 5 + 1 END,
                   CASE WHEN decided THEN day + i % 5 + 10 + i % 40 END
            FROM ({base}) AS m""",
        f"""INSERT INTO reporting.report_slips (tenant, id, matter_id, number, handler, fixed_by, routed_on,
                decided_on)
            SELECT tenant, md5('s' || i)::uuid::text, id, 'S-' || i,
                   ({offices})[1 + i % array_length({offices}, 1)], 'rules', day + i % 5 + 1,
                   CASE WHEN decided THEN day + i % 5 + 10 + i % 40 END
            FROM ({base}) AS m WHERE accepted""",
        f"""INSERT INTO reporting.report_measures (tenant, decision_id, target_index, measure, matter_id,
                decided_on, target_kind, level, unit)
            SELECT tenant, md5('d' || i)::uuid::text, 0, ({measures})[1 + i % array_length({measures}, 1)], id,
                   day + i % 5 + 10 + i % 40, 'person', ({levels})[1 + i % array_length({levels}, 1)],
                   ({units})[1 + i % 5]
            FROM ({base}) AS m WHERE decided""",
    ]
    conn = await asyncpg.connect(dsn, server_settings=system_server_settings("bench"))
    try:
        started = time.perf_counter()
        for first in range(1, matters + 1, CHUNK):
            last = min(first + CHUNK - 1, matters)
            async with conn.transaction():
                for statement in statements:
                    await conn.execute(statement, first, last)
        for table in (
            "intake.matters",
            "reporting.report_matters",
            "reporting.report_slips",
            "reporting.report_measures",
        ):
            await conn.execute(f"ANALYZE {table}")
        return {"load_seconds": round(time.perf_counter() - started, 1)}
    finally:
        await conn.close()


async def direct_group_by(dsn: str) -> tuple[float, list[Any]]:
    """Seconds for the month's matters counted by source, straight from intake's table."""
    conn = await asyncpg.connect(dsn, server_settings=system_server_settings("bench"))
    try:
        query = (
            "SELECT source, count(*) FROM intake.matters WHERE tenant = $1 AND received_at >= $2 "
            "AND received_at < $3 GROUP BY source"
        )
        import datetime as dt

        start = dt.datetime(YEAR, MONTH, 1, tzinfo=dt.UTC)
        end = dt.datetime(YEAR, MONTH + 1, 1, tzinfo=dt.UTC)
        timings, rows = [], []
        for _ in range(RUNS + 1):
            t0 = time.perf_counter()
            rows = await conn.fetch(query, TENANT, start, end)
            timings.append(time.perf_counter() - t0)
        return statistics.median(timings[1:]), [tuple(r) for r in rows]
    finally:
        await conn.close()


def report_latency(stack: Stack) -> tuple[float, float, dict[str, Any]]:
    """Median and slowest seconds of ``GET /v1/reports/month-end`` (after one warm-up)."""
    headers = {"Authorization": f"Bearer {stack.token()}"}
    url = stack.apis["reporting"].url
    timings: list[float] = []
    body: dict[str, Any] = {}
    with httpx.Client(base_url=url, headers=headers, timeout=120) as client:
        for _ in range(RUNS + 1):
            t0 = time.perf_counter()
            response = client.get("/v1/reports/month-end", params={"year": YEAR, "month": MONTH})
            timings.append(time.perf_counter() - t0)
            response.raise_for_status()
            body = response.json()
    measured = timings[1:]
    return statistics.median(measured), max(measured), body


def run(stack: Stack, matters: int) -> dict[str, Any]:
    loaded = asyncio.run(load(stack.dsn, matters))
    median, slowest, body = report_latency(stack)
    baseline, rows = asyncio.run(direct_group_by(stack.dsn))
    by_source = sum(c["count"] for c in body["figures"]["by_source"])
    return {
        "matters": matters,
        **loaded,
        "report_median_seconds": round(median, 4),
        "report_max_seconds": round(slowest, 4),
        "group_by_median_seconds": round(baseline, 4),
        "report_received": body["figures"]["totals"]["received"],
        "group_by_received": sum(n for _, n in rows),
        "report_by_source_received": by_source,
        "goal_seconds": REPORT_GOAL_SECONDS,
    }
