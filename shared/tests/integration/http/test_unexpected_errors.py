"""An unexpected error over real HTTP: a 500 problem for the caller, a bounded log for us."""

from __future__ import annotations

import json
from collections.abc import Callable

import httpx
from fastapi import FastAPI

from wenze.http.problems import PROBLEM_MEDIA_TYPE, install_problem_handlers
from wenze_devtools.testing.fixtures import serving

# What a request can make an endpoint hold in a local variable (a body it read, say).
REQUEST_CONTENT = "举报内容" * 50_000
RECORD_LIMIT_BYTES = 16 * 1024


def test_an_unexpected_error_is_logged_without_locals_and_bounded(service_log: Callable[[], list[str]]) -> None:
    app = FastAPI()
    install_problem_handlers(app)

    @app.get("/fails")
    async def fails() -> None:
        received = REQUEST_CONTENT
        raise ValueError(f"cannot handle {len(received)} characters")

    with serving(app, log_config=None, access_log=False) as url:
        service_log()
        response = httpx.get(f"{url}/fails")
    # Read once the server has stopped: uvicorn logs the error again after the response.
    lines = service_log()

    assert response.status_code == 500
    assert response.headers["content-type"] == PROBLEM_MEDIA_TYPE
    assert response.json()["detail"] == "An unexpected error occurred."
    assert lines, "the error must be logged"
    for line in lines:
        assert "举报内容" not in line, "frame locals must not be logged"
        assert len(line.encode()) <= RECORD_LIMIT_BYTES, line[:300]
    records = [json.loads(line) for line in lines]
    handler_record = next(r for r in records if r["event"] == "unhandled error on GET /fails")
    assert "ValueError: cannot handle 200000 characters" in handler_record["exception"]
