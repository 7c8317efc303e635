"""The sanction-execution service: carrying out decisions (executions and their steps),
deadlines on the official calendar, after-effect periods (影响期) and appeals (申诉)."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI

from wenze.http.app import create_service_app
from wenze.persons import PersonReferences
from wenze.runtime import Runtime
from wenze_sanction_execution.appeals.endpoints import router as appeals_router
from wenze_sanction_execution.appeals.service import AppealService
from wenze_sanction_execution.config import SanctionExecutionSettings
from wenze_sanction_execution.executions.endpoints import router as executions_router
from wenze_sanction_execution.executions.service import ExecutionService
from wenze_sanction_execution.persons.endpoints import router as persons_router
from wenze_sanction_execution.persons.service import PersonService
from wenze_sanction_execution.repositories import make_repositories

MIGRATIONS = Path(__file__).resolve().parent / "migrations"


def create_app(settings: SanctionExecutionSettings | None = None) -> FastAPI:
    settings = settings or SanctionExecutionSettings()

    async def on_start(app: FastAPI, runtime: Runtime) -> None:
        app.state.executions = ExecutionService(runtime.uow, default_lead_days=settings.reminder_lead_days)
        app.state.persons = PersonService(runtime.uow, PersonReferences(settings.person_reference_key))
        app.state.appeals = AppealService(runtime.uow, default_lead_days=settings.reminder_lead_days)

    return create_service_app(
        settings,
        title="Wenze sanction-execution",
        description=(
            "Carrying out accountability decisions: an execution per person and measure with the steps "
            "the tenant's rules prescribe, deadlines on the official working-day calendar with reminders, "
            "after-effect periods (影响期) and eligibility on a date, and appeals (申诉)."
        ),
        make_repositories=make_repositories,
        migrations_dir=MIGRATIONS,
        routers=[executions_router, persons_router, appeals_router],
        on_start=on_start,
    )
