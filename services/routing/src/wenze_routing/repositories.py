"""The routing service's repositories, handed to every unit of work."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from wenze.db import UnitOfWorkFactory
from wenze.db.common import CommonRepositories


@dataclass
class RoutingRepositories(CommonRepositories):
    """Idempotency keys and outbox; routing's domain repositories are added as fields."""


def make_repositories(session: AsyncSession) -> RoutingRepositories:
    return RoutingRepositories.for_session(session)


RoutingUnitOfWorkFactory = UnitOfWorkFactory[RoutingRepositories]
