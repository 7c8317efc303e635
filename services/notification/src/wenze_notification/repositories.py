"""The notification service's repositories, handed to every unit of work."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TypeVar

from sqlalchemy.ext.asyncio import AsyncSession

from wenze.db import UnitOfWork, UnitOfWorkFactory
from wenze.db.common import CommonRepositories
from wenze_notification.deliveries.repository import DeliveryRepository
from wenze_notification.directory.repository import DirectoryRepository
from wenze_notification.documents.repository import DocumentRepository
from wenze_notification.matters.repository import MatterRepository
from wenze_notification.notices.repository import NoticeRepository


@dataclass
class NotificationRepositories(CommonRepositories):
    matters: MatterRepository
    notices: NoticeRepository
    deliveries: DeliveryRepository
    directory: DirectoryRepository
    documents: DocumentRepository


def make_repositories(session: AsyncSession) -> NotificationRepositories:
    return NotificationRepositories.for_session(
        session,
        matters=MatterRepository(session),
        notices=NoticeRepository(session),
        deliveries=DeliveryRepository(session),
        directory=DirectoryRepository(session),
        documents=DocumentRepository(session),
    )


NotificationUnitOfWork = UnitOfWork[NotificationRepositories]
NotificationUnitOfWorkFactory = UnitOfWorkFactory[NotificationRepositories]


T = TypeVar("T")


def kept(uow: NotificationUnitOfWork, value: T) -> T:
    """``value`` (rows read or written in ``uow``), detached so they stay readable once the
    unit of work ends: its closing rollback would expire them otherwise."""
    uow.session.expunge_all()
    return value
