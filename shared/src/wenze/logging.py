"""JSON logs with the current trace and span ids, through structlog.

Every record is bounded, whatever a request put into it: long values are cut short, and
exceptions are logged as their traceback text (never with the frames' local variables), cut
short too.
"""

from __future__ import annotations

import logging
import sys
from typing import Any

import structlog
from opentelemetry import trace
from structlog.typing import EventDict, Processor

MAX_FIELD_CHARS = 1_000
MAX_TRACEBACK_LINE_CHARS = 300
MAX_TRACEBACK_CHARS = 5_000
# Of a traceback too long to keep whole, its start (the first exception of a chain) and its
# end (the error finally raised, and where).
_TRACEBACK_HEAD_CHARS = 1_000


def _add_trace_ids(_logger: Any, _method: str, event_dict: EventDict) -> EventDict:
    ctx = trace.get_current_span().get_span_context()
    if ctx.is_valid:
        event_dict["trace_id"] = format(ctx.trace_id, "032x")
        event_dict["span_id"] = format(ctx.span_id, "016x")
    return event_dict


def _cut(text: str, limit: int) -> str:
    if len(text) <= limit:
        return text
    return f"{text[:limit]}… [{len(text) - limit} characters left out]"


def _bounded_traceback(text: str) -> str:
    text = "\n".join(_cut(line, MAX_TRACEBACK_LINE_CHARS) for line in text.splitlines())
    if len(text) <= MAX_TRACEBACK_CHARS:
        return text
    tail = MAX_TRACEBACK_CHARS - _TRACEBACK_HEAD_CHARS
    left_out = len(text) - MAX_TRACEBACK_CHARS
    return f"{text[:_TRACEBACK_HEAD_CHARS]}\n… [{left_out} characters left out] …\n{text[-tail:]}"


def _bound_record_size(_logger: Any, _method: str, event_dict: EventDict) -> EventDict:
    """Cut every field to :data:`MAX_FIELD_CHARS` and the traceback as :func:`_bounded_traceback`
    does; a structured value too long when written out is replaced by its cut-short text."""
    for key, value in event_dict.items():
        if isinstance(value, str):
            event_dict[key] = _bounded_traceback(value) if key == "exception" else _cut(value, MAX_FIELD_CHARS)
        elif value is not None and not isinstance(value, int | float):
            text = repr(value)
            if len(text) > MAX_FIELD_CHARS:
                event_dict[key] = _cut(text, MAX_FIELD_CHARS)
    return event_dict


def configure_logging(service: str, *, level: str = "INFO", json: bool = True) -> None:
    shared: list[Processor] = [
        structlog.contextvars.merge_contextvars,
        structlog.processors.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        _add_trace_ids,
        # Text, not structlog's dict tracebacks: those list every frame's local variables,
        # which hold whatever the request sent.
        structlog.processors.format_exc_info,
    ]
    renderer = structlog.processors.JSONRenderer(ensure_ascii=False) if json else structlog.dev.ConsoleRenderer()
    structlog.configure(
        processors=[*shared, structlog.stdlib.ProcessorFormatter.wrap_for_formatter],
        logger_factory=structlog.stdlib.LoggerFactory(),
        cache_logger_on_first_use=True,
    )
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(
        structlog.stdlib.ProcessorFormatter(
            processors=[structlog.stdlib.ProcessorFormatter.remove_processors_meta, _bound_record_size, renderer],
            foreign_pre_chain=shared,
        )
    )
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    structlog.contextvars.bind_contextvars(service=service)
