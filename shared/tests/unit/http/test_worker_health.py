"""A worker whose loop has ended is not live; one that is stopping is not to be restarted."""

from __future__ import annotations

import asyncio
from types import SimpleNamespace

import httpx

from wenze.http.worker_health import worker_health_app


async def relay_loop(stop: asyncio.Event) -> None:
    await stop.wait()


async def consumer_loop() -> None:
    raise ConnectionError("stream deleted")


async def _get(runtime: SimpleNamespace, path: str) -> httpx.Response:
    transport = httpx.ASGITransport(app=worker_health_app(runtime))
    async with httpx.AsyncClient(transport=transport, base_url="http://worker.test") as client:
        return await client.get(path)


async def test_a_worker_whose_loops_run_is_live() -> None:
    stop = asyncio.Event()
    running = asyncio.create_task(relay_loop(stop))
    try:
        response = await _get(SimpleNamespace(stop=stop, background=[running]), "/healthz")
        assert response.status_code == 200
        assert response.json() == {"status": "ok"}
    finally:
        stop.set()
        await running


async def test_a_loop_that_ended_makes_the_worker_not_live() -> None:
    stop = asyncio.Event()
    running = asyncio.create_task(relay_loop(stop))
    crashed = asyncio.create_task(consumer_loop())
    await asyncio.gather(crashed, return_exceptions=True)
    try:
        response = await _get(SimpleNamespace(stop=stop, background=[running, crashed]), "/healthz")
        assert response.status_code == 503
        assert response.json() == {"status": "unavailable", "ended": ["consumer_loop"]}
        stop.set()
        # Stopping: its loops end by design, and a restart now would only interrupt the shutdown.
        assert (await _get(SimpleNamespace(stop=stop, background=[running, crashed]), "/healthz")).status_code == 200
    finally:
        stop.set()
        await running
