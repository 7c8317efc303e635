"""The review service's repositories, handed to every unit of work."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from wenze.db import UnitOfWorkFactory
from wenze.db.common import CommonRepositories


@dataclass
class ReviewRepositories(CommonRepositories):
    """Idempotency keys and outbox; review's domain repositories are added as fields."""


def make_repositories(session: AsyncSession) -> ReviewRepositories:
    return ReviewRepositories.for_session(session)


ReviewUnitOfWorkFactory = UnitOfWorkFactory[ReviewRepositories]
