"""The reporting service's repositories, handed to every unit of work."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from wenze.db import UnitOfWorkFactory
from wenze.db.common import CommonRepositories


@dataclass
class ReportingRepositories(CommonRepositories):
    """Idempotency keys and outbox; reporting's domain repositories are added as fields."""


def make_repositories(session: AsyncSession) -> ReportingRepositories:
    return ReportingRepositories.for_session(session)


ReportingUnitOfWorkFactory = UnitOfWorkFactory[ReportingRepositories]
