"""A database out of reach is a 503 the client may retry, never a 500."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from wenze.db.engine import create_engine, normalise_url
from wenze.http.problems import PROBLEM_MEDIA_TYPE, install_problem_handlers

pytestmark = pytest.mark.integration

# Port 9 (discard) has no PostgreSQL behind it on any machine that runs the tests.
UNREACHABLE_DATABASE = "postgresql://postgres@127.0.0.1:9/wenze"


def app_reading(engine: AsyncEngine) -> FastAPI:
    app = FastAPI()
    install_problem_handlers(app)

    @app.get("/matters/count")
    async def count() -> dict[str, int]:
        async with engine.connect() as connection:
            return {"matters": (await connection.execute(text("SELECT 1"))).scalar_one()}

    return app


async def get(app: FastAPI, path: str) -> httpx.Response:
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://svc.test") as client:
        return await client.get(path)


def assert_unavailable(response: httpx.Response) -> None:
    assert response.status_code == 503, response.text
    assert response.headers["content-type"] == PROBLEM_MEDIA_TYPE
    assert response.headers["retry-after"] == "5"
    body = response.json()
    assert body["type"] == "https://wenze.dev/problems/service-unavailable"
    assert "nothing was changed" in body["detail"]


async def test_a_database_that_refuses_connections_is_a_503(service_log: Callable[[], list[str]]) -> None:
    engine = create_engine(UNREACHABLE_DATABASE, schema="intake")
    try:
        service_log()
        assert_unavailable(await get(app_reading(engine), "/matters/count"))
    finally:
        await engine.dispose()
    lines = service_log()
    assert any("dependency unavailable on GET /matters/count" in line for line in lines), lines
    assert not any("Traceback" in line for line in lines), "a refused connection is not logged as a crash"


@pytest.fixture
async def one_connection_pool(database_url: str) -> AsyncIterator[AsyncEngine]:
    engine = create_async_engine(normalise_url(database_url), pool_size=1, max_overflow=0, pool_timeout=0.2)
    yield engine
    await engine.dispose()


async def test_an_exhausted_connection_pool_is_a_503(one_connection_pool: AsyncEngine) -> None:
    app = app_reading(one_connection_pool)
    async with one_connection_pool.connect():
        # The pool's only connection is taken: the request waits pool_timeout, then gives up.
        assert_unavailable(await get(app, "/matters/count"))
    released = await get(app, "/matters/count")
    assert released.status_code == 200
    assert released.json() == {"matters": 1}


async def test_a_rejected_statement_is_still_a_500(database_url: str) -> None:
    # Only unavailability is retryable; a statement the database refuses is a bug to fix.
    engine = create_engine(database_url, schema="public")
    app = FastAPI()
    install_problem_handlers(app)

    @app.get("/broken")
    async def broken() -> None:
        async with engine.connect() as connection:
            await connection.execute(text("SELECT * FROM no_such_table"))

    try:
        response = await get(app, "/broken")
    finally:
        await engine.dispose()
    assert response.status_code == 500
