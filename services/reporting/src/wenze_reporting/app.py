"""The reporting service, for read models, the monthly report (月报), half-year analysis, the case
library (案例库), exports and charts. Not built yet: today it serves its health checks and owns
its schema (outbox, inbox, idempotency records) and nothing else.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI

from wenze.http.app import create_service_app
from wenze_reporting.config import ReportingSettings
from wenze_reporting.repositories import make_repositories

MIGRATIONS = Path(__file__).resolve().parent / "migrations"


def create_app(settings: ReportingSettings | None = None) -> FastAPI:
    return create_service_app(
        settings or ReportingSettings(),
        title="Wenze reporting",
        description=(
            "Not built yet: health checks only. It is to keep read models over every event: the "
            "monthly report (月报), half-year analysis, case library (案例库), exports and charts."
        ),
        make_repositories=make_repositories,
        migrations_dir=MIGRATIONS,
    )
