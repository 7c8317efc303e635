"""The intake service: matters, acceptance (受理), numbering, attachments, bulk import."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI

from wenze.http.app import create_service_app
from wenze.runtime import Runtime
from wenze_intake.attachments.endpoints import router as attachments_router
from wenze_intake.attachments.storage import AttachmentStore
from wenze_intake.config import IntakeSettings
from wenze_intake.imports.endpoints import router as imports_router
from wenze_intake.imports.service import ImportService
from wenze_intake.matters.endpoints import router as matters_router
from wenze_intake.matters.service import MatterService
from wenze_intake.matters.writers import writer_for
from wenze_intake.repositories import make_repositories

MIGRATIONS = Path(__file__).resolve().parent / "migrations"


def create_app(settings: IntakeSettings | None = None) -> FastAPI:
    settings = settings or IntakeSettings()

    async def on_start(app: FastAPI, runtime: Runtime) -> None:
        attachments = AttachmentStore(settings.data_dir / "intake-attachments")
        # The database decides, once, how registrations are numbered and written.
        matters = MatterService(runtime.uow, attachments, writer_for(runtime.engine))
        imports = ImportService(
            runtime.uow,
            matters,
            settings.data_dir / "intake-imports",
            max_upload_bytes=settings.max_import_bytes,
            batch_size=settings.import_batch_size,
        )
        app.state.settings = settings
        app.state.attachments = attachments
        app.state.matters = matters
        app.state.imports = imports
        if settings.run_import_jobs:
            runtime.spawn(imports.run(runtime.stop))

    return create_service_app(
        settings,
        title="Wenze intake",
        description="Submit matters one by one or in bulk, accept them (受理), and read them back.",
        make_repositories=make_repositories,
        migrations_dir=MIGRATIONS,
        routers=[matters_router, attachments_router, imports_router],
        on_start=on_start,
    )
