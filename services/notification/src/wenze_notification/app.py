"""The notification service, for notices by in-app inbox, e-mail and signed webhooks, with
rendered documents. Not built yet: today it serves its health checks and owns its schema
(outbox, inbox, idempotency records) and nothing else.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI

from wenze.http.app import create_service_app
from wenze_notification.config import NotificationSettings
from wenze_notification.repositories import make_repositories

MIGRATIONS = Path(__file__).resolve().parent / "migrations"


def create_app(settings: NotificationSettings | None = None) -> FastAPI:
    return create_service_app(
        settings or NotificationSettings(),
        title="Wenze notification",
        description=(
            "Not built yet: health checks only. It is to send notices to offices, units and persons "
            "(in-app inbox, e-mail, signed webhooks) with the documents they carry."
        ),
        make_repositories=make_repositories,
        migrations_dir=MIGRATIONS,
    )
