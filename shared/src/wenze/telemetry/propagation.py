"""W3C trace context carried in NATS message headers."""

from __future__ import annotations

from opentelemetry import propagate
from opentelemetry.context import Context


def current_trace_headers() -> dict[str, str]:
    carrier: dict[str, str] = {}
    propagate.inject(carrier)
    return carrier


def context_from_headers(headers: dict[str, str] | None) -> Context:
    return propagate.extract(headers or {})
