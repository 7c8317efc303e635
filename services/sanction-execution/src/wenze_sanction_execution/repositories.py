"""The sanction-execution service's repositories, handed to every unit of work."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from wenze.db import UnitOfWorkFactory
from wenze.db.common import CommonRepositories


@dataclass
class SanctionExecutionRepositories(CommonRepositories):
    """Idempotency keys and outbox; sanction-execution's domain repositories are added as fields."""


def make_repositories(session: AsyncSession) -> SanctionExecutionRepositories:
    return SanctionExecutionRepositories.for_session(session)


SanctionExecutionUnitOfWorkFactory = UnitOfWorkFactory[SanctionExecutionRepositories]
