"""The notification service: notices by in-app inbox, e-mail and signed webhooks, with
rendered documents.
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
            "Notices to offices, units and persons (in-app inbox, e-mail, signed webhooks) and "
            "the documents they carry: 分办单, 会商表, 会审表, 组织处理建议函 as DOCX or PDF."
        ),
        make_repositories=make_repositories,
        migrations_dir=MIGRATIONS,
    )
