"""The intake service: matters, acceptance (受理), numbering, attachments, bulk import."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from fastapi import FastAPI

from wenze.config import ServiceSettings
from wenze.http.app import create_service_app
from wenze.persons import PersonReferences
from wenze.runtime import Runtime
from wenze_intake.attachments.endpoints import router as attachments_router
from wenze_intake.attachments.service import AttachmentService
from wenze_intake.attachments.storage import AttachmentStore
from wenze_intake.config import IntakeSettings
from wenze_intake.imports.endpoints import router as imports_router
from wenze_intake.imports.service import ImportService
from wenze_intake.matters.endpoints import router as matters_router
from wenze_intake.matters.service import MatterService
from wenze_intake.matters.writers import writer_for
from wenze_intake.repositories import IntakeUnitOfWorkFactory, make_repositories

MIGRATIONS = Path(__file__).resolve().parent / "migrations"


@dataclass(frozen=True)
class IntakeServices:
    """The services every intake process builds alike: the API, the worker, an import job's process."""

    attachments: AttachmentService
    matters: MatterService
    imports: ImportService

    @classmethod
    def build(cls, settings: IntakeSettings, uow: IntakeUnitOfWorkFactory) -> IntakeServices:
        matters = matter_service(settings, uow)
        store = matters.attachments
        imports = ImportService(
            uow,
            matters,
            settings.data_dir / "intake-imports",
            max_upload_bytes=settings.max_import_bytes,
            limits=settings.import_limits(),
            batch_size=settings.import_batch_size,
        )
        return cls(AttachmentService(uow, store, settings.max_attachment_bytes), matters, imports)


def matter_service(settings: ServiceSettings, uow: IntakeUnitOfWorkFactory) -> MatterService:
    store = AttachmentStore(settings.data_dir / "intake-attachments")
    # The database decides, once, how registrations are numbered and written.
    return MatterService(uow, store, writer_for(uow.engine), PersonReferences(settings.person_reference_key))


def create_app(settings: IntakeSettings | None = None) -> FastAPI:
    settings = settings or IntakeSettings()

    async def on_start(app: FastAPI, runtime: Runtime) -> None:
        # Import jobs run in the worker (wenze_intake.worker): the API only queues them.
        services = IntakeServices.build(settings, runtime.uow)
        app.state.settings = settings
        app.state.attachments = services.attachments
        app.state.matters = services.matters
        app.state.imports = services.imports

    return create_service_app(
        settings,
        title="Wenze intake",
        description="Submit matters one by one or in bulk, accept them (受理), and read them back.",
        make_repositories=make_repositories,
        migrations_dir=MIGRATIONS,
        routers=[matters_router, attachments_router, imports_router],
        on_start=on_start,
    )
