"""The worker's health endpoints, so an orchestrator can probe a process that serves no API,
and the ``/metrics`` endpoint of both processes (the API's on a port of its own, so that the
Ingress in front of the API never shows it).

``/readyz`` is the API's check (the database and JetStream answer). ``/healthz`` also fails
when one of the worker's loops (relay, consumers, import jobs) has ended while the worker is
still meant to run: such a loop would otherwise stop silently and leave a live process that
does nothing, which a restart repairs.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Iterator
from typing import Any

import uvicorn
from fastapi import FastAPI
from fastapi.responses import JSONResponse, Response

from wenze.http.health import readiness
from wenze.telemetry.metrics import prometheus_text

# Neither probes nor scrapes are traced or counted as requests.
_UNOBSERVED: Any = {"tracing": False, "metrics": False}


def _add_metrics(app: FastAPI) -> None:
    @app.get("/metrics")
    async def metrics() -> Response:
        body, media_type = prometheus_text()
        return Response(body, media_type=media_type)


def metrics_app() -> FastAPI:
    app = FastAPI(openapi_url=None, docs_url=None, redoc_url=None, telemetry=_UNOBSERVED)
    _add_metrics(app)
    return app


def _ended_loops(runtime: Any) -> list[str]:
    if runtime.stop.is_set():
        return []
    return [getattr(task.get_coro(), "__qualname__", task.get_name()) for task in runtime.background if task.done()]


def worker_health_app(runtime: Any) -> FastAPI:
    app = FastAPI(openapi_url=None, docs_url=None, redoc_url=None, telemetry=_UNOBSERVED)
    app.state.runtime = runtime
    _add_metrics(app)

    @app.get("/healthz")
    async def healthz() -> JSONResponse:
        ended = _ended_loops(runtime)
        if ended:
            return JSONResponse({"status": "unavailable", "ended": ended[:20]}, status_code=503)
        return JSONResponse({"status": "ok"})

    @app.get("/readyz")
    async def readyz() -> JSONResponse:
        return await readiness(runtime)

    return app


class _Server(uvicorn.Server):
    # The worker handles SIGTERM itself (it stops its loops, then this server); uvicorn's own
    # handlers would take the signal from it.
    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


async def serve_worker_health(runtime: Any, host: str, port: int) -> None:
    """Serve the health endpoints and the metrics until ``runtime.stop`` is set."""
    await serve_until(worker_health_app(runtime), host, port, runtime.stop)


async def serve_until(app: FastAPI, host: str, port: int, stop: asyncio.Event) -> None:
    """Serve ``app`` until ``stop`` is set."""
    config = uvicorn.Config(
        app,
        host=host,
        port=port,
        log_config=None,
        access_log=False,
        server_header=False,
        lifespan="off",
    )
    server = _Server(config)
    serving = asyncio.create_task(server.serve())
    stopping = asyncio.create_task(stop.wait())
    try:
        await asyncio.wait({serving, stopping}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        server.should_exit = True
        stopping.cancel()
        await serving
