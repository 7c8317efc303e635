"""OpenTelemetry set-up: one tracer provider per process, spans across HTTP, SQL and NATS."""

from __future__ import annotations

import os
from collections.abc import MutableMapping
from typing import Any

from fastapi.telemetry import TelemetryConfig
from opentelemetry import trace
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor
from sqlalchemy.ext.asyncio import AsyncEngine

from wenze.telemetry.sql import instrument_engine


def setup_tracing(service_name: str) -> None:
    """Install a tracer provider unless one is already installed (tests install their own).

    Spans are exported over OTLP/HTTP when ``OTEL_EXPORTER_OTLP_ENDPOINT`` is set; without it
    they are still created, so trace ids flow through headers and logs.
    """
    if isinstance(trace.get_tracer_provider(), TracerProvider):
        return
    provider = TracerProvider(resource=Resource.create({"service.name": f"wenze-{service_name}"}))
    if os.environ.get("OTEL_EXPORTER_OTLP_ENDPOINT"):
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

        provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
    trace.set_tracer_provider(provider)


def _is_probe(scope: MutableMapping[str, Any]) -> bool:
    return scope.get("path") in ("/healthz", "/readyz")


# FastAPI's built-in OpenTelemetry support gives each request its server span, current while
# the endpoint runs, so outbox rows capture the request's trace. Its extra spans around every
# dependency and every serialisation are off: they cost a busy API much CPU for steps that
# take microseconds (docs/operations/benchmarks.md). Health probes are not traced.
HTTP_TELEMETRY: TelemetryConfig = {"operation_spans": False, "exclude": _is_probe}


def instrument(engine: AsyncEngine) -> None:
    """SQL spans for ``engine`` (HTTP spans come from :data:`HTTP_TELEMETRY`)."""
    instrument_engine(engine.sync_engine)


def current_trace_id() -> str | None:
    ctx = trace.get_current_span().get_span_context()
    return format(ctx.trace_id, "032x") if ctx.is_valid else None
