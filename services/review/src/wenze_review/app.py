"""The review service: consultations (会商), investigations, recommendations, joint reviews
(会审), approvals, hearings (陈述申辩), decisions, escalations.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, Depends, FastAPI

from wenze.http.app import create_service_app
from wenze.persons import PersonReferences
from wenze.runtime import Runtime
from wenze_review.cases.endpoints import router as cases_router
from wenze_review.config import ReviewSettings
from wenze_review.deliberations.endpoints import router as deliberations_router
from wenze_review.repositories import make_repositories
from wenze_review.services import build_services
from wenze_review.work.endpoints import note_caller
from wenze_review.work.endpoints import router as work_router

MIGRATIONS = Path(__file__).resolve().parent / "migrations"


def create_app(settings: ReviewSettings | None = None) -> FastAPI:
    settings = settings or ReviewSettings()

    async def on_start(app: FastAPI, runtime: Runtime) -> None:
        services = build_services(runtime.uow, PersonReferences(settings.person_reference_key), clock=settings.clock())
        app.state.deliberations = services.deliberations
        app.state.cases = services.cases
        app.state.work = services.work

    return create_service_app(
        settings,
        title="Wenze review",
        description=(
            "Review of routed matters: consultations (会商), investigations, recommendations, "
            "joint reviews (会审), approvals, hearings (陈述申辩), decisions and escalations."
        ),
        make_repositories=make_repositories,
        migrations_dir=MIGRATIONS,
        routers=[_review_api()],
        on_start=on_start,
    )


def _review_api() -> APIRouter:
    """Every review endpoint; each request also records the office its caller acts for."""
    api = APIRouter(dependencies=[Depends(note_caller)])
    for router in (deliberations_router, cases_router, work_router):
        api.include_router(router)
    return api
