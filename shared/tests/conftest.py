"""Fixtures for tests that read what a service writes to its log."""

from __future__ import annotations

import io
import logging
from collections.abc import Callable, Iterator

import pytest
import structlog

from wenze.logging import configure_logging


@pytest.fixture
def service_log() -> Iterator[Callable[[], list[str]]]:
    """Logging configured as a service configures it, its output kept in memory instead of
    going to stderr; each call returns the lines written since the previous call. The previous
    configuration is restored afterwards."""
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    structlog_config = structlog.get_config()
    configure_logging("log-test")
    (handler,) = root.handlers
    assert isinstance(handler, logging.StreamHandler)
    output = io.StringIO()
    handler.setStream(output)

    def written() -> list[str]:
        # The server under test logs from its own thread.
        handler.acquire()
        try:
            lines = output.getvalue().splitlines()
            output.seek(0)
            output.truncate()
        finally:
            handler.release()
        return lines

    try:
        yield written
    finally:
        root.handlers[:] = handlers
        root.setLevel(level)
        structlog.configure(**structlog_config)
        structlog.contextvars.clear_contextvars()
