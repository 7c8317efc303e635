"""Part w of ``make bench``: the staff console's pages over a tenant of 10,000 matters, against
the API call each page wraps, measured in the same run.

Intake, routing, review, sanction-execution and reporting run with their workers, and the console
in front of them.
The matters are one bulk import of Kunshan's mix (a fifth city-managed cadres, consulted with
every participant office), accepted in one call; the run waits until reporting holds every
matter past acceptance, so the pages read a settled tenant. The console is signed in to as
ks-intake through the realm's login form (authorization code with PKCE, as a browser does).
Once every worker has handled what it was sent, each side is asked ``requests`` times in
alternating rounds: "my work" against review's ``GET /v1/work-queue?limit=50`` (its one call),
a matter page against reporting's ``GET /v1/matters/{id}/progress``. The matter page's other
calls (intake's matter, review's tasks and cases of the matter, routing's slips,
sanction-execution's executions) are timed on their own too, so a slow page names its slowest
call.
"""

from __future__ import annotations

import asyncio
import html
import re
import statistics
import time
from collections.abc import Callable
from contextlib import closing
from pathlib import Path
from typing import Any

import httpx
import nats

from wenze_devtools.bench.support import TENANT, USER, Stack, jsonl, mixed_matter_rows, platform_stack
from wenze_devtools.testing.infra import ServiceProcess, service_env

PAGE_GOAL_P95_SECONDS = 0.300
SERVICES = ("intake", "routing", "review", "sanction-execution", "reporting")
SETTLE_TIMEOUT_S = 3600.0
ROUNDS = 4
_FORM_ACTION = re.compile(r'<form id="kc-form-login" method="post" action="([^"]+)"')
_HIDDEN = re.compile(r'<input type="hidden" name="([^"]+)" value="([^"]*)">')


def _percentiles(timings: list[float]) -> dict[str, float]:
    ordered = sorted(timings)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return {"p50_ms": round(statistics.median(ordered) * 1000, 1), "p95_ms": round(p95 * 1000, 1)}


def _load(stack: Stack, matters: int) -> float:
    """Import and accept ``matters`` matters; seconds until reporting holds them all routed on."""
    headers = {"Authorization": f"Bearer {stack.token()}"}
    rows = [row for _, row in mixed_matter_rows(matters, seed=7, marker=f"w{time.time_ns() % 10**8}")]
    started = time.perf_counter()
    with httpx.Client(base_url=stack.apis["intake"].url, headers=headers, timeout=300) as intake:
        response = intake.post(
            "/v1/matter-imports",
            content=jsonl(rows),
            headers={"Content-Type": "application/x-ndjson", "X-Filename": "bench.jsonl"},
        )
        response.raise_for_status()
        job_id = response.json()["id"]
        while (job := intake.get(f"/v1/matter-imports/{job_id}").json())["state"] not in ("completed", "failed"):
            time.sleep(1)
        if job["state"] != "completed":
            raise RuntimeError(f"the import failed: {job}")
        accepted = intake.post(
            f"/v1/matter-imports/{job_id}/acceptance",
            json={"participants": ["室主任", "分管副主任"], "study_date": "2026-03-02"},
        )
        accepted.raise_for_status()
        # Matters outside the accepting office's authority stay received.
        awaiting = int(accepted.json()["awaiting"])
    with httpx.Client(base_url=stack.apis["reporting"].url, headers=headers, timeout=60) as reporting:
        deadline = time.monotonic() + SETTLE_TIMEOUT_S
        while time.monotonic() < deadline:
            total = reporting.get("/v1/matters/progress", params={"limit": 1}).json()["total"]
            received, waiting = (
                reporting.get("/v1/matters/progress", params={"limit": 1, "stage": stage}).json()["total"]
                for stage in ("received", "accepted")
            )
            if total >= matters and received <= awaiting and waiting == 0:
                return time.perf_counter() - started
            time.sleep(2)
    raise TimeoutError(f"reporting did not hold all {matters} matters routed within {SETTLE_TIMEOUT_S}s")


async def _until_workers_idle(nats_url: str) -> None:
    """Wait until every durable consumer has handled all its stream holds: reporting holding every
    matter does not mean review and reporting are done with the consultations and timelines, and
    workers still busy would slow every service the pages call."""
    client = await nats.connect(nats_url)
    try:
        js = client.jetstream()
        deadline = time.monotonic() + SETTLE_TIMEOUT_S
        while time.monotonic() < deadline:
            busy = 0
            for stream in await js.streams_info():
                for consumer in await js.consumers_info(stream.config.name or ""):
                    busy += int(consumer.num_pending or 0) + int(consumer.num_ack_pending or 0)
            if busy == 0:
                return
            await asyncio.sleep(2)
        raise TimeoutError(f"the workers were still busy after {SETTLE_TIMEOUT_S}s")
    finally:
        await client.close()


def _signed_in(console_url: str, username: str) -> httpx.Client:
    """A client holding the console's session cookie for ``username``, signed in through the
    realm's login form as a browser is."""
    client = httpx.Client(base_url=console_url, timeout=60, follow_redirects=True)
    login = client.get(f"/t/{TENANT}/work")
    action = _FORM_ACTION.search(login.text)
    if action is None:
        raise RuntimeError(f"no login form at {login.url}")
    fields = {html.unescape(k): html.unescape(v) for k, v in _HIDDEN.findall(login.text)}
    landed = client.post(html.unescape(action.group(1)), data={**fields, "username": username, "password": "wenze"})
    if not str(landed.url).endswith(f"/t/{TENANT}/work") or landed.status_code != 200:
        raise RuntimeError(f"signing in to the console ended at {landed.url} ({landed.status_code})")
    return client


def _time(client: httpx.Client, path: str, headers: dict[str, str] | None = None) -> float:
    started = time.perf_counter()
    response = client.get(path, headers=headers)
    elapsed = time.perf_counter() - started
    if response.status_code != 200:
        raise RuntimeError(f"GET {path}: {response.status_code}")
    return elapsed


def _call_of_the_matter_page(
    client: httpx.Client, path: str, matter_ids: list[str], headers: dict[str, str]
) -> Callable[[int], float]:
    return lambda i: _time(client, path.format(id=matter_ids[i % len(matter_ids)]), headers)


def run(run_dir: Path, matters: int, requests: int) -> dict[str, Any]:
    with platform_stack(run_dir, {service: {} for service in SERVICES}) as stack:
        workers = [stack.worker(service) for service in SERVICES]
        for worker in workers:
            worker.start(wait=False)
        assert stack.issuer.base_url is not None
        console = ServiceProcess(
            service="console",
            role="api",
            env={
                **service_env(
                    "console",
                    database_url=stack.database_url,
                    nats_url=stack.nats.url,
                    oidc_base_url=stack.issuer.base_url,
                    data_dir=run_dir / "data",
                ),
                **{
                    f"WENZE_CONSOLE_{name.upper()}_URL": stack.apis[service].url
                    for name, service in (
                        ("intake", "intake"),
                        ("routing", "routing"),
                        ("review", "review"),
                        ("execution", "sanction-execution"),
                    )
                },
                "WENZE_CONSOLE_REPORTING_URL": stack.apis["reporting"].url,
            },
            log_path=run_dir / "console-api.log",
        )
        console.start()
        try:
            load_seconds = _load(stack, matters)
            asyncio.run(_until_workers_idle(stack.nats.url))
            token = stack.token()
            api_headers = {"Authorization": f"Bearer {token}"}
            browser = _signed_in(console.url, USER)
            with (
                closing(browser),
                httpx.Client(base_url=stack.apis["review"].url, timeout=60) as review,
                httpx.Client(base_url=stack.apis["reporting"].url, timeout=60) as reporting,
                httpx.Client(base_url=stack.apis["intake"].url, timeout=60) as intake,
                httpx.Client(base_url=stack.apis["routing"].url, timeout=60) as routing,
                httpx.Client(base_url=stack.apis["sanction-execution"].url, timeout=60) as execution,
            ):
                tasks = review.get("/v1/tasks", params={"state": "open"}, headers=api_headers).json()
                matter_ids = list(dict.fromkeys(t["matter_id"] for t in tasks))
                if not matter_ids:
                    raise RuntimeError(f"{USER}'s office has no open task to measure its pages with")
                sides = {
                    "work_page": lambda i: _time(browser, f"/t/{TENANT}/work"),
                    "queue_api": lambda i: _time(review, "/v1/work-queue?limit=50", api_headers),
                    "matter_page": lambda i: _time(browser, f"/t/{TENANT}/matters/{matter_ids[i % len(matter_ids)]}"),
                    "progress_api": lambda i: _time(
                        reporting, f"/v1/matters/{matter_ids[i % len(matter_ids)]}/progress", api_headers
                    ),
                    **{
                        side: _call_of_the_matter_page(client, path, matter_ids, api_headers)
                        for side, client, path in (
                            ("matter_api", intake, "/v1/matters/{id}"),
                            ("matter_tasks_api", review, "/v1/work-queue?limit=200&matter_id={id}"),
                            ("slips_api", routing, "/v1/slips?matter_id={id}"),
                            ("cases_api", review, "/v1/cases?matter_id={id}"),
                            ("executions_api", execution, "/v1/executions?matter_id={id}"),
                        )
                    },
                }
                timings: dict[str, list[float]] = {side: [] for side in sides}
                for side in sides:
                    sides[side](0)  # warm-up, not counted
                per_round = max(1, requests // ROUNDS)
                for round_ in range(ROUNDS):
                    order = list(sides) if round_ % 2 == 0 else list(reversed(sides))
                    for side in order:
                        timings[side].extend(sides[side](round_ * per_round + i) for i in range(per_round))
        finally:
            console.stop()
            for worker in workers:
                worker.stop()
    figures = {side: _percentiles(values) for side, values in timings.items()}
    return {
        "matters": matters,
        "load_seconds": round(load_seconds, 1),
        "open_tasks_of_user": len(tasks),
        "matters_with_open_tasks": len(matter_ids),
        "requests_per_side": per_round * ROUNDS,
        **figures,
        "goal_p95_ms": PAGE_GOAL_P95_SECONDS * 1000,
    }
