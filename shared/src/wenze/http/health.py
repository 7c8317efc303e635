"""Liveness and readiness that really touch the database and NATS."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from sqlalchemy import text


def health_router() -> APIRouter:
    router = APIRouter(tags=["health"])

    @router.get("/healthz", summary="Liveness: the process answers")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @router.get("/readyz", summary="Readiness: the database and NATS JetStream answer")
    async def readyz(request: Request) -> JSONResponse:
        return await readiness(request.app.state.runtime)

    return router


async def readiness(runtime: Any) -> JSONResponse:
    """200 when the process's database and JetStream answer, else 503 naming the failing check."""
    checks: dict[str, str] = {}
    try:
        async with runtime.engine.connect() as conn:
            await conn.execute(text("SELECT 1"))
        checks["database"] = "ok"
    except Exception as exc:
        checks["database"] = f"error: {type(exc).__name__}"
    try:
        if not runtime.nats.is_connected:
            raise ConnectionError("not connected")
        await runtime.js.account_info()
        checks["nats"] = "ok"
    except Exception as exc:
        checks["nats"] = f"error: {type(exc).__name__}"
    ready = all(v == "ok" for v in checks.values())
    return JSONResponse(
        {"status": "ok" if ready else "unavailable", "checks": checks}, status_code=200 if ready else 503
    )
