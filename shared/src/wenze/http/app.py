"""One way to build a service's FastAPI app: lifespan, problems, health, auth, tracing."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from pathlib import Path
from typing import TypeVar

from fastapi import APIRouter, Depends, FastAPI
from sqlalchemy.ext.asyncio import AsyncSession

from wenze.auth import AuthSettings, token_verifier_lifespan
from wenze.config import ServiceSettings
from wenze.db.idempotency import RequestFingerprints
from wenze.gc_tuning import freeze_startup_objects
from wenze.http.docs import install_offline_docs
from wenze.http.health import health_router
from wenze.http.problems import install_problem_handlers
from wenze.http.query import refuse_unknown_query_parameters
from wenze.http.tenancy import RequestTenancyMiddleware
from wenze.http.worker_health import metrics_app, serve_until
from wenze.logging import configure_logging
from wenze.messaging.relay import OutboxRelay
from wenze.runtime import Runtime
from wenze.telemetry import HTTP_TELEMETRY, instrument

R = TypeVar("R")


def create_service_app(
    settings: ServiceSettings,
    *,
    title: str,
    description: str,
    make_repositories: Callable[[AsyncSession], R],
    migrations_dir: Path | None,
    routers: Sequence[APIRouter] = (),
    on_start: Callable[[FastAPI, Runtime[R]], Awaitable[None]] | None = None,
) -> FastAPI:
    configure_logging(settings.service_name, level=settings.log_level, json=settings.log_json)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        runtime = await Runtime.start(settings, make_repositories=make_repositories, migrations_dir=migrations_dir)
        app.state.runtime = runtime
        instrument(runtime.engine)
        if settings.relay_in_api:
            # The worker runs a relay too; this one is woken by our own commits, so events
            # leave without waiting for the worker's next poll.
            runtime.spawn(OutboxRelay(runtime.engine, runtime.js, units=runtime.uow).run(runtime.stop))
        if settings.metrics_port is not None:
            runtime.spawn(serve_until(metrics_app(), settings.metrics_host, settings.metrics_port, runtime.stop))
        if on_start is not None:
            await on_start(app, runtime)
        async with token_verifier_lifespan(app, AuthSettings.from_settings(settings)):
            freeze_startup_objects()
            try:
                yield
            finally:
                await runtime.close()

    app = FastAPI(
        title=title,
        description=description,
        version="0.1.0",
        lifespan=lifespan,
        telemetry=HTTP_TELEMETRY,
        docs_url=None,
        redoc_url=None,
        dependencies=[Depends(refuse_unknown_query_parameters)],
    )
    # Idempotency-Key fingerprints (wenze.http.idempotency), keyed like persons' references.
    app.state.request_fingerprints = RequestFingerprints(settings.person_reference_key)
    install_offline_docs(app)
    install_problem_handlers(app, max_body_bytes=settings.max_body_bytes)
    # Outermost: every request's units of work, whatever handles it, run in its tenant scope.
    app.add_middleware(RequestTenancyMiddleware)
    app.include_router(health_router())
    for router in routers:
        app.include_router(router)
    return app
