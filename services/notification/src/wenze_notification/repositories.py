"""The notification service's repositories, handed to every unit of work."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from wenze.db import UnitOfWorkFactory
from wenze.db.common import CommonRepositories


@dataclass
class NotificationRepositories(CommonRepositories):
    """Idempotency keys and outbox; notification's domain repositories are added as fields."""


def make_repositories(session: AsyncSession) -> NotificationRepositories:
    return NotificationRepositories.for_session(session)


NotificationUnitOfWorkFactory = UnitOfWorkFactory[NotificationRepositories]
