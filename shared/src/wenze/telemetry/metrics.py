"""OpenTelemetry metrics: one meter provider per process, read by Prometheus at ``/metrics``
and, when ``OTEL_EXPORTER_OTLP_ENDPOINT`` is set, pushed over OTLP/HTTP as well.

HTTP request counts, errors and latency per route come from FastAPI's own instrumentation
(``http.server.request.duration``, by ``http.route`` and ``http.response.status_code``).
What the service's database and JetStream hold is sampled by :class:`Sampler` in the worker
every few seconds (a scrape must not wait on a query) and reported as observable gauges:

- ``wenze.outbox.backlog`` and ``wenze.outbox.oldest_age`` (seconds): rows not yet published;
- ``wenze.consumer.lag`` and ``wenze.consumer.ack_pending`` per durable consumer;
- ``wenze.aggregates`` per table, tenant and state (matters by state per tenant, slips, …).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import structlog
from nats.js.errors import NotFoundError
from opentelemetry import metrics
from opentelemetry.metrics import CallbackOptions, Observation
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import MetricReader
from opentelemetry.sdk.resources import Resource
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, generate_latest
from sqlalchemy.ext.asyncio import AsyncEngine

from wenze.db.observed import ObservedRepository
from wenze.db.tenancy import apply_setting, system_scope
from wenze.messaging.dead_letters import DEAD_LETTERS
from wenze.messaging.dead_letters import subject_for as dead_letter_subject

log = structlog.get_logger(__name__)

SAMPLE_SECONDS = 15.0


def setup_metrics(service_name: str) -> None:
    """Install the meter provider unless one is installed (tests may install their own)."""
    if isinstance(metrics.get_meter_provider(), MeterProvider):
        return
    from opentelemetry.exporter.prometheus import PrometheusMetricReader

    readers: list[MetricReader] = [PrometheusMetricReader()]
    if os.environ.get("OTEL_EXPORTER_OTLP_ENDPOINT"):
        from opentelemetry.exporter.otlp.proto.http.metric_exporter import OTLPMetricExporter
        from opentelemetry.sdk.metrics.export import PeriodicExportingMetricReader

        readers.append(PeriodicExportingMetricReader(OTLPMetricExporter()))
    resource = Resource.create({"service.name": f"wenze-{service_name}"})
    metrics.set_meter_provider(MeterProvider(resource=resource, metric_readers=readers))


def prometheus_text() -> tuple[bytes, str]:
    """The process's metrics in Prometheus's text format, and its content type."""
    return generate_latest(REGISTRY), CONTENT_TYPE_LATEST


@dataclass(frozen=True)
class WatchedConsumer:
    stream: str
    durable: str


@dataclass
class _Readings:
    outbox_backlog: int | None = None
    outbox_oldest_age: float | None = None
    consumers: dict[WatchedConsumer, tuple[int, int]] = field(default_factory=dict)
    dead_letters: dict[WatchedConsumer, int] = field(default_factory=dict)
    aggregates: list[tuple[str, str, str, int]] = field(default_factory=list)


class Sampler:
    """Reads the outbox, the durable consumers and the stateful tables every ``interval``
    seconds and keeps the last readings for the gauges."""

    def __init__(
        self,
        engine: AsyncEngine,
        js: Any,
        *,
        consumers: Sequence[WatchedConsumer] = (),
        interval: float = SAMPLE_SECONDS,
    ) -> None:
        self.engine = engine
        self.js = js
        self.consumers = list(consumers)
        self.interval = interval
        self.readings = _Readings()
        self._observed = ObservedRepository()
        meter = metrics.get_meter("wenze")
        meter.create_observable_gauge(
            "wenze.outbox.backlog", [self._backlog], unit="{row}", description="outbox rows not yet published"
        )
        meter.create_observable_gauge(
            "wenze.outbox.oldest_age",
            [self._oldest_age],
            unit="s",
            description="age of the oldest outbox row not yet published (0 when none waits)",
        )
        meter.create_observable_gauge(
            "wenze.consumer.lag",
            [self._lag],
            unit="{message}",
            description="messages of the stream the durable consumer has not yet been given",
        )
        meter.create_observable_gauge(
            "wenze.consumer.ack_pending",
            [self._ack_pending],
            unit="{message}",
            description="messages given to the durable consumer and not yet acknowledged",
        )
        meter.create_observable_gauge(
            "wenze.consumer.dead_letters",
            [self._dead_letters],
            unit="{message}",
            description="events the durable consumer gave up on, waiting in the dead letters",
        )
        meter.create_observable_gauge(
            "wenze.aggregates",
            [self._aggregates],
            unit="{row}",
            description="rows of each stateful table by tenant and state",
        )

    async def sample(self) -> None:
        readings = _Readings(consumers=dict(self.readings.consumers), dead_letters=dict(self.readings.dead_letters))
        # Counts every tenant's rows: a named system scope, or row-level security shows none.
        with system_scope("metrics sampler") as scope:
            async with self.engine.connect() as connection:
                await connection.run_sync(apply_setting, scope)
                count, oldest = await self._observed.outbox_waiting(connection)
                readings.outbox_backlog = count
                readings.outbox_oldest_age = _age(oldest)
                readings.aggregates = await self._observed.state_counts(connection)
        for consumer in self.consumers:
            try:
                info = await self.js.consumer_info(consumer.stream, consumer.durable)
            except Exception as exc:
                # Not created yet, or NATS away: keep the last reading rather than report 0.
                log.info("consumer lag not read", durable=consumer.durable, error=type(exc).__name__)
                continue
            readings.consumers[consumer] = (int(info.num_pending or 0), int(info.num_ack_pending or 0))
        if self.consumers:
            await self._count_dead_letters(readings)
        self.readings = readings

    async def _count_dead_letters(self, readings: _Readings) -> None:
        try:
            info = await self.js.stream_info(DEAD_LETTERS.name, subjects_filter=DEAD_LETTERS.subjects[0])
            per_subject = info.state.subjects or {}
        except NotFoundError:
            per_subject = {}  # no consumer has started yet: none has given anything up
        except Exception as exc:
            log.info("dead letters not counted", error=type(exc).__name__)
            return
        for consumer in self.consumers:
            readings.dead_letters[consumer] = int(per_subject.get(dead_letter_subject(consumer.durable), 0))

    async def run(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            try:
                await self.sample()
            except Exception as exc:
                log.warning("metrics sample failed", error=type(exc).__name__)
            try:
                await asyncio.wait_for(stop.wait(), timeout=self.interval)
            except TimeoutError:
                pass

    def _backlog(self, _options: CallbackOptions) -> Iterable[Observation]:
        if self.readings.outbox_backlog is not None:
            yield Observation(self.readings.outbox_backlog)

    def _oldest_age(self, _options: CallbackOptions) -> Iterable[Observation]:
        if self.readings.outbox_oldest_age is not None:
            yield Observation(self.readings.outbox_oldest_age)

    def _lag(self, _options: CallbackOptions) -> Iterable[Observation]:
        for consumer, (pending, _) in self.readings.consumers.items():
            yield Observation(pending, {"stream": consumer.stream, "durable": consumer.durable})

    def _ack_pending(self, _options: CallbackOptions) -> Iterable[Observation]:
        for consumer, (_, ack_pending) in self.readings.consumers.items():
            yield Observation(ack_pending, {"stream": consumer.stream, "durable": consumer.durable})

    def _dead_letters(self, _options: CallbackOptions) -> Iterable[Observation]:
        for consumer, count in self.readings.dead_letters.items():
            yield Observation(count, {"stream": consumer.stream, "durable": consumer.durable})

    def _aggregates(self, _options: CallbackOptions) -> Iterable[Observation]:
        for table, tenant, state, count in self.readings.aggregates:
            yield Observation(count, {"table": table, "tenant": tenant, "state": state})


def _age(created_at: dt.datetime | None) -> float:
    if created_at is None:
        return 0.0
    if created_at.tzinfo is None:
        created_at = created_at.replace(tzinfo=dt.UTC)
    return max(0.0, (dt.datetime.now(dt.UTC) - created_at).total_seconds())
