"""The reporting service: read models, monthly report (月报), half-year analysis, case library
(案例库), exports, charts.
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
            "Read models over every event: the monthly report (月报), half-year analysis, case "
            "library (案例库), XLSX/CSV exports and charts."
        ),
        make_repositories=make_repositories,
        migrations_dir=MIGRATIONS,
    )
