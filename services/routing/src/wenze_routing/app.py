"""The routing service: routing slips (分办单), handlers, copies, consultation needs, citations."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI

from wenze.calendar import CalendarSettings
from wenze.http.app import create_service_app
from wenze.runtime import Runtime
from wenze_routing.calendar.endpoints import router as calendar_router
from wenze_routing.calendar.service import CalendarService
from wenze_routing.config import RoutingSettings
from wenze_routing.interpretations.endpoints import router as interpretations_router
from wenze_routing.interpretations.service import InterpretationService
from wenze_routing.repositories import make_repositories
from wenze_routing.rules.endpoints import router as rules_router
from wenze_routing.slips.endpoints import router as slips_router
from wenze_routing.slips.service import RoutingService

MIGRATIONS = Path(__file__).resolve().parent / "migrations"


def create_app(settings: RoutingSettings | None = None) -> FastAPI:
    async def on_start(app: FastAPI, runtime: Runtime) -> None:
        app.state.calendars = CalendarService(runtime.uow, CalendarSettings().calendar_dir)
        app.state.routing = RoutingService(runtime.uow, app.state.calendars)
        app.state.interpretations = InterpretationService(runtime.uow)

    return create_service_app(
        settings or RoutingSettings(),
        title="Wenze routing",
        description=(
            "Routing slips (分办单) for accepted matters: the handling office, copies, whether a "
            "consultation (会商) or joint review (会审) is needed, and the rule citations behind "
            "each choice."
        ),
        make_repositories=make_repositories,
        migrations_dir=MIGRATIONS,
        routers=[slips_router, interpretations_router, rules_router, calendar_router],
        on_start=on_start,
    )
