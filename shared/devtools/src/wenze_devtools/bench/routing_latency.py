"""Part d: accepted → routed latency of the routing service under a steady acceptance rate.

The bench publishes ``MatterAccepted`` events to JetStream exactly as intake's outbox relay
does (:mod:`wenze_devtools.bench.acceptance_events`) on an open-loop schedule, and times
each matter from its *scheduled* send time to the
arrival of its first routing outcome (``routing.<tenant>.slip.routed.v1`` or
``…slip.consultation_requested.v1``), so queueing inside routing shows up in the figure
instead of slowing the sender down.

The baseline is the transport alone, measured the same way in the same run: an echo process
(``python -m wenze_devtools.bench.routing_latency --nats-url …``) pull-consumes the same kind of
durable JetStream consumer and republishes every message at once to JetStream.
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import asyncpg
import nats
import typer
from nats.aio.client import Client
from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy, StorageType, StreamConfig

from wenze.db.tenancy import system_server_settings
from wenze.messaging.streams import ensure_stream, stream_for
from wenze_devtools.bench.acceptance_events import Message, Sending, acceptances, messages, open_loop
from wenze_devtools.bench.support import plain_dsn
from wenze_devtools.testing.fixtures import running_issuer
from wenze_devtools.testing.infra import ServiceProcess, fresh_database, service_env, start_nats

OUTCOMES = "routing.*.slip.>"
ECHO_STREAM = "BENCH_ECHO"
ECHO_IN = "bench_echo.in"
ECHO_OUT = "bench_echo.out"
WARMUP = 20
DRAIN_TIMEOUT_S = 120.0


@dataclass
class Run(Sending):
    """One open-loop run: scheduled send times, actual send times and first arrivals."""

    label: str
    seconds: float
    first_arrival: dict[str, float] = field(default_factory=dict)
    arrivals: Counter[str] = field(default_factory=Counter)

    def latencies_ms(self) -> list[float]:
        return sorted((self.first_arrival[k] - t) * 1000 for k, t in self.scheduled.items() if k in self.first_arrival)

    @staticmethod
    def percentile(values: list[float], q: float) -> float:
        if not values:
            return float("nan")
        return values[min(len(values) - 1, int(len(values) * q))]

    def summary(self) -> dict[str, Any]:
        lat = self.latencies_ms()
        return {
            "label": self.label,
            "rate": self.rate,
            "seconds": self.seconds,
            "sent": self.sent,
            "achieved_rate": round(self.achieved_rate, 2),
            "send_lag_max_ms": round(self.send_lag_max * 1000, 2),
            "received": len(self.first_arrival),
            "missing": len(set(self.scheduled) - set(self.first_arrival)),
            "p50_ms": round(self.percentile(lat, 0.50), 2),
            "p90_ms": round(self.percentile(lat, 0.90), 2),
            "p99_ms": round(self.percentile(lat, 0.99), 2),
            "max_ms": round(lat[-1], 2) if lat else None,
        }


async def wait_for_outcomes(run: Run, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while len(run.first_arrival.keys() & run.scheduled.keys()) < len(run.scheduled):
        if time.monotonic() > deadline:
            return
        await asyncio.sleep(0.1)
    await asyncio.sleep(2.0)  # late duplicates would arrive now


def _recorder(run_ref: list[Run | None], key_of):
    async def on_message(msg) -> None:
        now = time.monotonic()
        run = run_ref[0]
        if run is None:
            return
        key = key_of(msg)
        run.arrivals[key] += 1
        run.first_arrival.setdefault(key, now)

    return on_message


def _matter_id(msg) -> str:
    return json.loads(msg.data)["matter_id"]


# -- the echo baseline ----------------------------------------------------------------------


async def echo(nats_url: str) -> None:
    """A bare consumer: fetch from a durable pull consumer, republish to JetStream, ack."""
    nc = await nats.connect(nats_url, name="wenze-bench-echo")
    js = nc.jetstream()
    sub = await js.pull_subscribe(
        f"{ECHO_IN}.>",
        durable="bench-echo",
        stream=ECHO_STREAM,
        config=ConsumerConfig(
            durable_name="bench-echo", ack_policy=AckPolicy.EXPLICIT, deliver_policy=DeliverPolicy.ALL, ack_wait=30
        ),
    )
    print("ready", flush=True)
    while True:
        try:
            # As routing's accepted-matters consumer fetches (ADR 0041).
            messages = await sub.fetch(500, timeout=1)
        except (TimeoutError, nats.errors.TimeoutError):
            continue
        for m in messages:
            key = m.subject.rsplit(".", 1)[1]
            ack = await js.publish_async(f"{ECHO_OUT}.{key}", m.data, headers={"Nats-Msg-Id": f"out-{key}"})
            await ack
            await m.ack()


async def _ensure_echo_stream(nc: Client) -> None:
    js = nc.jetstream()
    await js.add_stream(
        StreamConfig(
            name=ECHO_STREAM,
            subjects=[f"{ECHO_IN}.>", f"{ECHO_OUT}.>"],
            storage=StorageType.FILE,
            duplicate_window=30 * 60,
        )
    )


# -- the stack ------------------------------------------------------------------------------


@dataclass
class RoutingStack:
    run_dir: Path
    nats_url: str
    database_url: str
    api: ServiceProcess
    worker: ServiceProcess


@contextmanager
def routing_stack(run_dir: Path) -> Iterator[RoutingStack]:
    """A private NATS server, the issuer, a fresh database, routing's API and worker."""
    run_dir.mkdir(parents=True, exist_ok=True)
    with ExitStack() as stack:
        issuer = stack.enter_context(running_issuer())
        database_url = stack.enter_context(fresh_database())
        server = start_nats(run_dir / "nats")
        stack.callback(server.stop)
        assert issuer.base_url is not None
        env = service_env(
            "routing",
            database_url=database_url,
            nats_url=server.url,
            oidc_base_url=issuer.base_url,
            data_dir=run_dir / "data",
        )
        # The API migrates the schema on start; the worker starts after it so the two do not race.
        api = ServiceProcess(service="routing", role="api", env=env, log_path=run_dir / "routing-api.log")
        stack.callback(api.stop)
        api.start()
        worker = ServiceProcess(service="routing", role="worker", env=env, log_path=run_dir / "routing-worker.log")
        stack.callback(worker.stop)
        worker.start()
        yield RoutingStack(run_dir=run_dir, nats_url=server.url, database_url=database_url, api=api, worker=worker)


def _start_echo(nats_url: str, run_dir: Path) -> subprocess.Popen:
    process = subprocess.Popen(
        [sys.executable, "-m", "wenze_devtools.bench.routing_latency", "--nats-url", nats_url],
        stdout=subprocess.PIPE,
        stderr=(run_dir / "echo.log").open("ab"),
        env=os.environ,
    )
    assert process.stdout is not None
    if process.stdout.readline().strip() != b"ready":
        process.kill()
        raise RuntimeError(f"the echo process did not start; see {run_dir / 'echo.log'}")
    return process


# -- the measurement ------------------------------------------------------------------------


async def _measure_routing(stack: RoutingStack, rate: float, seconds: float, seed: int) -> tuple[Run, dict[str, Any]]:
    count = int(rate * seconds)
    warm_events, _ = acceptances(WARMUP, seed=seed + 1)
    events, mix = acceptances(count, seed=seed)
    warm, load = messages(warm_events, seed=seed + 1), messages(events, seed=seed)
    nc = await nats.connect(stack.nats_url, name="wenze-bench-d")
    try:
        await ensure_stream(nc.jetstream(), stream_for("intake"))
        current: list[Run | None] = [None]
        await nc.subscribe(OUTCOMES, cb=_recorder(current, _matter_id))
        # Warm-up: the worker's consumer is up and the pack is loaded once these come back.
        warm_run = Run("warm-up", rate=20, seconds=WARMUP / 20)
        current[0] = warm_run
        await open_loop(nc, warm_run, warm)
        await wait_for_outcomes(warm_run, timeout=180)
        if len(warm_run.first_arrival) < WARMUP:
            raise RuntimeError(
                f"routing answered {len(warm_run.first_arrival)} of {WARMUP} warm-up matters; "
                f"see {stack.worker.log_path}\n{stack.worker.log_tail()}"
            )
        run = Run("routing", rate=rate, seconds=seconds)
        current[0] = run
        await open_loop(nc, run, load)
        await wait_for_outcomes(run, timeout=DRAIN_TIMEOUT_S)
        current[0] = None
        stream = await _stream_outcomes(nc, {m.key for m in load})
    finally:
        await nc.close()
    slips = await _slip_check(stack.database_url, {m.key for m in load})
    return run, {"mix": dict(mix), "stream": stream, "slips": slips}


async def _stream_outcomes(nc: Client, keys: set[str]) -> dict[str, Any]:
    """Outcome events per matter as stored on stream ROUTING (JetStream's de-duplicated view)."""
    js = nc.jetstream()
    info = await js.stream_info(stream_for("routing").name)
    per_matter: Counter[str] = Counter()
    subjects: Counter[str] = Counter()
    sub = await js.subscribe(OUTCOMES, ordered_consumer=True)
    for _ in range(info.state.messages):
        try:
            msg = await sub.next_msg(timeout=5)
        except nats.errors.TimeoutError:
            break
        key = _matter_id(msg)
        if key in keys:
            per_matter[key] += 1
            subjects[msg.subject] += 1
    await sub.unsubscribe()
    return {
        "messages": sum(per_matter.values()),
        "matters": len(per_matter),
        "missing": len(keys - set(per_matter)),
        "duplicates": sum(1 for c in per_matter.values() if c > 1),
        "by_subject": dict(subjects),
    }


async def _slip_check(database_url: str, keys: set[str]) -> dict[str, Any]:
    """One slip per matter, and slip numbers 1..n with no gap (routing's own guarantees)."""
    conn = await asyncpg.connect(plain_dsn(database_url), server_settings=system_server_settings("bench"))
    try:
        rows = await conn.fetch(
            "SELECT matter_id::text AS matter_id, count(*) AS n FROM routing.slips GROUP BY matter_id"
        )
        last = await conn.fetchval(
            "SELECT coalesce(sum(last), 0) FROM routing.number_counters WHERE kind = 'routing_slip'"
        )
        total = await conn.fetchval("SELECT count(*) FROM routing.slips")
    finally:
        await conn.close()
    per_matter = {r["matter_id"]: r["n"] for r in rows}
    return {
        "slips": total,
        "counter": last,
        "gap_free": total == last,
        "matters_with_slip": len(keys & per_matter.keys()),
        "matters_with_more_than_one": sum(1 for k in keys if per_matter.get(k, 0) > 1),
    }


async def _measure_echo(nats_url: str, run_dir: Path, rate: float, seconds: float, seed: int) -> Run:
    events, _ = acceptances(int(rate * seconds), seed=seed)
    nc = await nats.connect(nats_url, name="wenze-bench-d-echo")
    try:
        await _ensure_echo_stream(nc)
        process = await asyncio.to_thread(_start_echo, nats_url, run_dir)
        try:
            current: list[Run | None] = [None]
            await nc.subscribe(f"{ECHO_OUT}.>", cb=_recorder(current, lambda m: m.subject.rsplit(".", 1)[1]))
            load = [Message(m.key, f"{ECHO_IN}.{m.key}", m.payload, m.headers) for m in messages(events, seed=seed)]
            warm = [Message(f"w{i}", f"{ECHO_IN}.w{i}", b"{}", {"Nats-Msg-Id": f"w{i}"}) for i in range(WARMUP)]
            warm_run = Run("warm-up", rate=20, seconds=1)
            current[0] = warm_run
            await open_loop(nc, warm_run, warm)
            await wait_for_outcomes(warm_run, timeout=30)
            run = Run("echo", rate=rate, seconds=seconds)
            current[0] = run
            await open_loop(nc, run, load)
            await wait_for_outcomes(run, timeout=DRAIN_TIMEOUT_S)
            current[0] = None
        finally:
            process.terminate()
            process.wait(timeout=15)
    finally:
        await nc.close()
    return run


def measure(run_dir: Path, *, rate: float, seconds: float, seed: int = 23) -> tuple[Run, Run, dict[str, Any]]:
    with routing_stack(run_dir) as stack:
        # The transport first, on the same NATS server, while routing idles; then routing.
        baseline = asyncio.run(_measure_echo(stack.nats_url, run_dir, rate, seconds, seed + 100))
        routing, checks = asyncio.run(_measure_routing(stack, rate, seconds, seed))
    return routing, baseline, checks


def _cli(nats_url: str = typer.Option(..., help="the NATS server to echo on")) -> None:
    """Run the echo baseline's consumer until terminated."""
    asyncio.run(echo(nats_url))


if __name__ == "__main__":
    typer.run(_cli)
