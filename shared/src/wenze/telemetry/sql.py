"""Client spans for SQL statements, from SQLAlchemy's engine events.

opentelemetry-instrumentation-sqlalchemy (0.66b1, its newest release) declares
``sqlalchemy < 2.1`` and refuses to instrument SQLAlchemy 2.1. The events it relies on
are unchanged in 2.1, so this module listens to them itself: one span per statement
execution, named by the SQL operation, a child of whatever span is current (the HTTP
request, the relay's batch). It records no parameters, only the statement text, and keeps
no per-connection state, so it costs one span per round trip and nothing else.
"""

from __future__ import annotations

from typing import Any

from opentelemetry import trace
from opentelemetry.trace import SpanKind, Status, StatusCode
from sqlalchemy import event
from sqlalchemy.engine import Engine, ExceptionContext

tracer = trace.get_tracer("wenze.db")

_SYSTEMS = {"postgresql": "postgresql", "sqlite": "sqlite"}
# Statements can be long (a bulk import's CTE); the head says what it is.
_MAX_STATEMENT = 2000
_SPAN_KEY = "_wenze_otel_span"


def instrument_engine(engine: Engine) -> None:
    """Add the listeners to ``engine`` (an ``AsyncEngine``'s ``sync_engine``); idempotent."""
    if getattr(engine, "_wenze_otel_instrumented", False):
        return
    url = engine.url
    base_attributes: dict[str, str | int] = {"db.system": _SYSTEMS.get(engine.dialect.name, engine.dialect.name)}
    if url.database:
        base_attributes["db.name"] = url.database
    if url.host:
        base_attributes["net.peer.name"] = url.host
    if url.port:
        base_attributes["net.peer.port"] = url.port

    @event.listens_for(engine, "before_cursor_execute")
    def _start(_conn: Any, _cursor: Any, statement: str, _parameters: Any, context: Any, executemany: bool) -> None:
        operation = _operation(statement)
        attributes: dict[str, str | int | bool] = {
            **base_attributes,
            "db.operation": operation,
            "db.statement": statement[:_MAX_STATEMENT],
        }
        if executemany:
            attributes["db.executemany"] = True
        span = tracer.start_span(
            f"{operation} {base_attributes.get('db.name', '')}".rstrip(), kind=SpanKind.CLIENT, attributes=attributes
        )
        if context is not None:
            setattr(context, _SPAN_KEY, span)

    @event.listens_for(engine, "after_cursor_execute")
    def _end(_conn: Any, _cursor: Any, _statement: str, _parameters: Any, context: Any, _executemany: bool) -> None:
        span = getattr(context, _SPAN_KEY, None)
        if span is not None:
            setattr(context, _SPAN_KEY, None)
            span.end()

    @event.listens_for(engine, "handle_error")
    def _error(exception_context: ExceptionContext) -> None:
        span = getattr(exception_context.execution_context, _SPAN_KEY, None)
        if span is not None:
            setattr(exception_context.execution_context, _SPAN_KEY, None)
            error = exception_context.original_exception
            span.record_exception(error)
            span.set_status(Status(StatusCode.ERROR, type(error).__name__))
            span.end()

    engine._wenze_otel_instrumented = True  # type: ignore[attr-defined]


def _operation(statement: str) -> str:
    head = statement.lstrip().split(None, 1)
    return head[0].upper() if head else "SQL"
