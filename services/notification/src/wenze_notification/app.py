"""The notification service: notices to offices, units and persons by in-app inbox, e-mail and
signed webhooks, as the tenant's pack says who is told what, and the documents of the seed
attachments rendered as DOCX and PDF (docs/notification.md).
"""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, FastAPI

from wenze.http.app import create_service_app
from wenze.runtime import Runtime
from wenze_notification.config import NotificationSettings
from wenze_notification.deliveries.endpoints import router as deliveries_router
from wenze_notification.directory.endpoints import router as directory_router
from wenze_notification.documents.endpoints import router as documents_router
from wenze_notification.notices.endpoints import router as notices_router
from wenze_notification.repositories import make_repositories
from wenze_notification.services import build_services

MIGRATIONS = Path(__file__).resolve().parent / "migrations"


def create_app(settings: NotificationSettings | None = None) -> FastAPI:
    settings = settings or NotificationSettings()

    async def on_start(app: FastAPI, runtime: Runtime) -> None:
        services = build_services(runtime.uow, settings)
        app.state.notices = services.notices
        app.state.deliveries = services.deliveries
        app.state.directory = services.directory
        app.state.documents = services.documents

    api = APIRouter()
    for router in (notices_router, directory_router, deliveries_router, documents_router):
        api.include_router(router)
    return create_service_app(
        settings,
        title="Wenze notification",
        description=(
            "Notices to offices, units and persons as each tenant's pack says who is told what: in-app inboxes "
            "per office and per user, e-mail, and webhooks for integrators (signed, retried, dead-lettered); "
            "the forms 分办单, 会商表, 会审表 and 组织处理建议函 as DOCX and PDF."
        ),
        make_repositories=make_repositories,
        migrations_dir=MIGRATIONS,
        routers=[api],
        on_start=on_start,
    )
