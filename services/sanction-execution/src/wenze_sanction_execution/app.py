"""The sanction-execution service, to carry out decisions: organisational measures, deadlines,
after-effect periods (影响期), appeals (申诉). Not built yet: today it serves its health checks and
owns its schema (outbox, inbox, idempotency records) and nothing else.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI

from wenze.http.app import create_service_app
from wenze_sanction_execution.config import SanctionExecutionSettings
from wenze_sanction_execution.repositories import make_repositories

MIGRATIONS = Path(__file__).resolve().parent / "migrations"


def create_app(settings: SanctionExecutionSettings | None = None) -> FastAPI:
    return create_service_app(
        settings or SanctionExecutionSettings(),
        title="Wenze sanction-execution",
        description=(
            "Not built yet: health checks only. It is to carry out decisions: organisational-measure "
            "procedures, execution deadlines, after-effect periods (影响期) and appeals (申诉)."
        ),
        make_repositories=make_repositories,
        migrations_dir=MIGRATIONS,
    )
