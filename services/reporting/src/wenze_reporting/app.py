"""The reporting service: the read model over every service's events, the monthly report (月报),
month-end summary, half-year analysis, the Hubei-style statistics, the case library (案例库),
their exports (JSON, CSV, XLSX) and charts (PNG, SVG).
"""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI

from wenze.http.app import create_service_app
from wenze.runtime import Runtime
from wenze_reporting.config import ReportingSettings
from wenze_reporting.library.endpoints import router as library_router
from wenze_reporting.progress.endpoints import router as progress_router
from wenze_reporting.reports.endpoints import router as reports_router
from wenze_reporting.repositories import make_repositories
from wenze_reporting.services import build_services

MIGRATIONS = Path(__file__).resolve().parent / "migrations"


def create_app(settings: ReportingSettings | None = None) -> FastAPI:
    async def on_start(app: FastAPI, runtime: Runtime) -> None:
        services = build_services(runtime.uow)
        app.state.reports = services.reports
        app.state.library = services.library
        app.state.progress = services.progress

    return create_service_app(
        settings or ReportingSettings(),
        title="Wenze reporting",
        description=(
            "Reports per tenant over a read model of every service's events, and where each matter is "
            "now across every service with its timeline; the monthly figures (月报) "
            "up to the rule pack's cut-off, the month-end summary, the half-year analysis, the statistics "
            "the Hubei report gives, the case library (案例库) with a draft public notice of typical cases "
            "and an anonymised export; JSON, CSV and XLSX exports and PNG or SVG charts. Every report is "
            "stamped with the rule-pack version it was computed under."
        ),
        make_repositories=make_repositories,
        migrations_dir=MIGRATIONS,
        routers=[reports_router, library_router, progress_router],
        on_start=on_start,
    )
