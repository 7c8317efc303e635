"""configure_logging: one JSON line per record, of bounded size, never with frame locals."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable

import structlog

RECORD_LIMIT_BYTES = 16 * 1024


def only_record(lines: list[str]) -> dict[str, object]:
    assert len(lines) == 1, lines
    assert len(lines[0].encode()) <= RECORD_LIMIT_BYTES, lines[0][:300]
    return json.loads(lines[0])


def test_a_long_field_is_cut_short(service_log: Callable[[], list[str]]) -> None:
    structlog.get_logger("test").info("request refused", body="正文" * 100_000, attempts=3)
    record = only_record(service_log())
    body = record["body"]
    assert isinstance(body, str) and body.startswith("正文正文") and "characters left out" in body
    assert record["attempts"] == 3


def test_a_large_structured_field_is_cut_short(service_log: Callable[[], list[str]]) -> None:
    structlog.get_logger("test").info("batch", rows=[{"summary": "x" * 100} for _ in range(10_000)], size=7)
    record = only_record(service_log())
    assert isinstance(record["rows"], str) and "characters left out" in record["rows"]
    assert record["size"] == 7


def test_small_fields_are_kept_as_they_are(service_log: Callable[[], list[str]]) -> None:
    structlog.get_logger("test").info("batch", rows=[{"summary": "short"}], note="short")
    record = only_record(service_log())
    assert (record["rows"], record["note"]) == ([{"summary": "short"}], "short")


def test_a_long_standard_library_message_is_cut_short(service_log: Callable[[], list[str]]) -> None:
    logging.getLogger("some.library").warning("fetch of %s failed", "/realms/" + "钥" * 100_000)
    record = only_record(service_log())
    assert str(record["event"]).startswith("fetch of /realms/钥钥")


def test_a_structlog_exception_carries_no_frame_locals(service_log: Callable[[], list[str]]) -> None:
    def fail(payload: str) -> None:
        # Built at run time, so only a dump of the frame's locals could show it.
        kept_in_a_local = "-".join(["value", "of", "a", "local"])
        raise RuntimeError(f"refused {payload[:5]} after {len(kept_in_a_local)}")

    try:
        fail("密" * 100_000)
    except RuntimeError:
        structlog.get_logger("test").exception("consumer failed", subject="intake.kunshan.matter.accepted.v1")
    lines = service_log()
    assert "value-of-a-local" not in lines[0] and "密" * 100 not in lines[0], "frame locals must not be logged"
    traceback = only_record(lines)["exception"]
    assert isinstance(traceback, str)
    assert "in fail" in traceback and "RuntimeError: refused 密密密密密 after 16" in traceback


def test_a_long_exception_message_is_cut_short(service_log: Callable[[], list[str]]) -> None:
    try:
        raise ValueError("cannot parse " + "行" * 100_000)
    except ValueError:
        logging.getLogger("some.library").exception("parse failed")
    traceback = only_record(service_log())["exception"]
    assert isinstance(traceback, str)
    assert "ValueError: cannot parse 行行" in traceback and "行" * 1000 not in traceback
