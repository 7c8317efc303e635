"""The service objects, wired once per process (api or worker)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from wenze.db.base import utcnow
from wenze.fonts import find_font
from wenze.rules import RulePack, get_pack
from wenze_notification.config import NotificationSettings
from wenze_notification.deliveries.service import DeliveryService
from wenze_notification.directory.service import DirectoryService
from wenze_notification.documents.service import DocumentService
from wenze_notification.notices.service import NoticeService
from wenze_notification.repositories import NotificationUnitOfWorkFactory


@dataclass
class Services:
    notices: NoticeService
    deliveries: DeliveryService
    directory: DirectoryService
    documents: DocumentService


def build_services(
    uow: NotificationUnitOfWorkFactory,
    settings: NotificationSettings,
    *,
    packs: Callable[[str], RulePack] = get_pack,
    clock: Callable[[], dt.datetime] = utcnow,
) -> Services:
    """The services on ``uow``; ``packs`` gives a tenant's rule pack and ``clock`` the current instant."""

    @cache
    def font() -> Path:
        return find_font(settings.font_path)

    return Services(
        notices=NoticeService(uow, packs=packs, clock=clock),
        deliveries=DeliveryService(uow, settings, clock=clock),
        directory=DirectoryService(uow),
        documents=DocumentService(uow, packs=packs, clock=clock, font=font),
    )
