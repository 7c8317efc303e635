"""What a running service process holds: settings, database, NATS, units of work, verifier.

Both processes of a service use it: the API (``app.py``) and the worker (``worker.py``),
which runs the outbox relay and its purge, the audit chainer and the service's consumers.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import signal
from collections.abc import Callable, Coroutine, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Generic, TypeVar

import structlog
from nats.aio.client import Client
from nats.js import JetStreamContext
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from wenze.config import ServiceSettings
from wenze.db import UnitOfWorkFactory, create_engine, utcnow
from wenze.db.audit import ChainWatch, chain_pending, committed_entry_ids, newest_entry_id
from wenze.db.migrations import upgrade
from wenze.db.outbox import purge_published
from wenze.db.roles import current_role_bypasses_rls
from wenze.gc_tuning import freeze_startup_objects
from wenze.http.worker_health import serve_worker_health
from wenze.logging import configure_logging
from wenze.messaging.backoff import until_it_works
from wenze.messaging.consumer import ConsumerSpec, ensure_consumer, run_consumer
from wenze.messaging.nats import connect_nats
from wenze.messaging.relay import OutboxRelay
from wenze.messaging.streams import ensure_stream, stream_for
from wenze.telemetry import setup_tracing
from wenze.telemetry.metrics import Sampler, WatchedConsumer, setup_metrics

log = structlog.get_logger(__name__)

# How often a worker purges the outbox rows published longer ago than its retention.
PURGE_EVERY_SECONDS = 600.0


R = TypeVar("R")


@dataclass
class Runtime(Generic[R]):
    settings: ServiceSettings
    engine: AsyncEngine
    nats: Client
    js: JetStreamContext
    uow: UnitOfWorkFactory[R]
    background: list[asyncio.Task[None]] = field(default_factory=list)
    stop: asyncio.Event = field(default_factory=asyncio.Event)

    @classmethod
    async def start(
        cls,
        settings: ServiceSettings,
        *,
        make_repositories: Callable[[AsyncSession], R],
        migrations_dir: Path | None,
        pre_ping: bool = True,
        plan_each_statement: bool = False,
    ) -> Runtime[R]:
        setup_tracing(settings.service_name)
        setup_metrics(settings.service_name)
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        if migrations_dir is not None:
            await upgrade(
                migrations_dir, settings.migration_database_url, settings.db_schema, app_role=settings.app_role
            )
        engine = create_engine(
            settings.database_url,
            schema=settings.db_schema,
            pool_size=settings.db_pool_size,
            pre_ping=pre_ping,
            plan_each_statement=plan_each_statement,
        )
        await _warn_if_role_bypasses_rls(engine)
        nc = await connect_nats(
            settings.nats_url, name=f"wenze-{settings.service_name}", credentials=settings.nats_credentials()
        )
        js = nc.jetstream()
        await ensure_stream(js, stream_for(settings.service_name), replicas=settings.stream_replicas)
        return cls(settings=settings, engine=engine, nats=nc, js=js, uow=UnitOfWorkFactory(engine, make_repositories))

    def spawn(self, coro: Coroutine[Any, Any, None]) -> None:
        task = asyncio.create_task(coro)
        task.add_done_callback(_report_crash)
        self.background.append(task)

    async def close(self) -> None:
        self.stop.set()
        for task in self.background:
            task.cancel()
        await asyncio.gather(*self.background, return_exceptions=True)
        # Not drain(): the consumers are already stopped, and a drain waits (30 s by default)
        # on the pull requests they left open, longer than a pod's grace period allows. What
        # the relay published was acknowledged before it marked the outbox, and fetched but
        # unacknowledged messages are redelivered, so closing loses nothing.
        await self.nats.close()
        await self.engine.dispose()


async def _warn_if_role_bypasses_rls(engine: AsyncEngine) -> None:
    """Say so at start when the service's role escapes the tenant policies (a superuser, say):
    the service works, but a query that forgets its tenant filter is no longer caught."""
    if engine.dialect.name != "postgresql":
        return
    async with engine.connect() as connection:
        bypasses = await current_role_bypasses_rls(connection)
    if bypasses:
        log.warning(
            "the service's database role bypasses row-level security; give it an application role "
            "(wenze db roles, docs/operations/security.md)"
        )


def _report_crash(task: asyncio.Task[None]) -> None:
    """A background loop (relay, consumer) that ends by an exception would otherwise stop silently."""
    if not task.cancelled() and task.exception() is not None:
        log.error("background task crashed", task=task.get_name(), exc_info=task.exception())


async def chain_audit_log(
    engine: AsyncEngine,
    stop: asyncio.Event,
    *,
    interval: float = 1.0,
    horizon: float = 60.0,
    full_pass_every: float = 240.0,
) -> None:
    """Link the audit entries the service's transactions committed into their tenants' chains
    (ADR 0014) every ``interval`` seconds; a pass goes on batch after batch until nothing is left.

    A pass looks only at the entries ``ChainWatch`` names: those given since the last pass and
    those still uncommitted then. The first pass, and one every ``full_pass_every`` seconds,
    looks at every entry, so that an entry whose transaction outlasted the horizon is chained
    within the verification's grace period all the same."""
    loop = asyncio.get_running_loop()
    watch: ChainWatch | None = None
    full_pass_at = loop.time()
    log.info("audit chainer started")
    while not stop.is_set():
        async for attempt in until_it_works(Exception):
            with attempt:
                now = loop.time()
                newest = await newest_entry_id(engine)
                if watch is None or now >= full_pass_at:
                    await chain_pending(engine)
                    watch = watch or ChainWatch(horizon, newest)
                    full_pass_at = now + full_pass_every
                elif candidates := watch.candidates(newest):
                    if committed := await committed_entry_ids(engine, candidates):
                        await chain_pending(engine, ids=sorted(committed))
                    watch.passed(now, newest, committed)
        try:
            await asyncio.wait_for(stop.wait(), timeout=interval)
        except TimeoutError:
            pass


async def purge_published_outbox(
    engine: AsyncEngine, stop: asyncio.Event, *, retention: dt.timedelta, interval: float = PURGE_EVERY_SECONDS
) -> None:
    """Every ``interval`` seconds, delete the outbox rows published more than ``retention`` ago
    (``wenze.db.outbox.purge_published``); nothing else ever removes them."""
    log.info("outbox purge started", retention_hours=retention / dt.timedelta(hours=1))
    while not stop.is_set():
        async for attempt in until_it_works(Exception):
            with attempt:
                if purged := await purge_published(engine, utcnow() - retention):
                    log.info("published outbox rows purged", rows=purged)
        try:
            await asyncio.wait_for(stop.wait(), timeout=interval)
        except TimeoutError:
            pass


async def run_worker(
    settings: ServiceSettings,
    *,
    make_repositories: Callable[[AsyncSession], R],
    migrations_dir: Path | None,
    consumers: Callable[[Runtime[R]], Sequence[ConsumerSpec[Any]]],
    loops: Callable[[Runtime[R]], Sequence[Coroutine[Any, Any, None]]] = lambda _runtime: (),
    health: tuple[str, int] | None = None,
) -> None:
    """The worker process: the outbox relay and its purge, the audit chainer, the service's
    consumers and its other background loops (each a coroutine that runs until
    ``runtime.stop``), until SIGTERM. With ``health`` (host, port) it also serves ``/healthz``
    and ``/readyz`` there."""
    configure_logging(f"{settings.service_name}-worker", level=settings.log_level, json=settings.log_json)
    # No pre-ping: every loop of a worker retries what a dropped connection fails (the relay and
    # the chainer with backoff, a consumer by redelivery), and the ping's three round trips came
    # before every transaction, a tenth of routing's latency per accepted matter
    # (docs/operations/benchmarks.md).
    runtime = await Runtime.start(
        settings,
        make_repositories=make_repositories,
        migrations_dir=migrations_dir,
        pre_ping=False,
        plan_each_statement=True,
    )
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, runtime.stop.set)
    relay = OutboxRelay(runtime.engine, runtime.js, units=runtime.uow)
    runtime.spawn(relay.run(runtime.stop))
    runtime.spawn(chain_audit_log(runtime.engine, runtime.stop))
    retention = dt.timedelta(hours=settings.outbox_retention_hours)
    runtime.spawn(purge_published_outbox(runtime.engine, runtime.stop, retention=retention))
    specs = consumers(runtime)
    for spec in specs:
        runtime.spawn(run_consumer(runtime.js, spec, runtime.stop, stream_replicas=settings.stream_replicas))
    # The worker samples what its service's database and streams hold, for the metrics.
    sampler = Sampler(
        runtime.engine,
        runtime.js,
        consumers=[WatchedConsumer(s.stream, s.durable) for s in specs],
        interval=settings.metrics_sample_seconds,
    )
    runtime.spawn(sampler.run(runtime.stop))
    for loop_coro in loops(runtime):
        runtime.spawn(loop_coro)
    health_server = None
    if health is not None:
        # Not one of runtime.background: its liveness check looks at those.
        health_server = asyncio.create_task(serve_worker_health(runtime, *health))
    log.info("worker running", service=settings.service_name)
    freeze_startup_objects()
    await runtime.stop.wait()
    if health_server is not None:
        await health_server
    await runtime.close()


async def ensure_streams_and_consumers(
    settings: ServiceSettings,
    *,
    make_repositories: Callable[[AsyncSession], R],
    consumers: Callable[[Runtime[R]], Sequence[ConsumerSpec[Any]]],
) -> list[str]:
    """What a deployment runs before the workers start: the service's stream with the
    configured replicas, and every durable consumer its worker reads. Returns one line per
    stream or consumer, saying what was done."""
    configure_logging(f"{settings.service_name}-streams", level=settings.log_level, json=settings.log_json)
    # No migrations and no query: the consumers are built only to learn their names.
    runtime = await Runtime.start(settings, make_repositories=make_repositories, migrations_dir=None)
    try:
        own = stream_for(settings.service_name)
        done = [f"stream {own.name} ({', '.join(own.subjects)}): {settings.stream_replicas} replica(s)"]
        for spec in consumers(runtime):
            created = await ensure_consumer(runtime.js, spec, stream_replicas=settings.stream_replicas)
            done.append(f"consumer {spec.durable} on {spec.stream}: {'created' if created else 'exists'}")
        return done
    finally:
        await runtime.close()
