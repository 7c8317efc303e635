"""The intake service's repositories, handed to every unit of work."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from wenze.db import UnitOfWorkFactory
from wenze.http.idempotency import IdempotencyRepository
from wenze.messaging.outbox import OutboxRepository
from wenze_intake.imports.repository import ImportRepository
from wenze_intake.matters.repository import MatterRepository


@dataclass
class IntakeRepositories:
    matters: MatterRepository
    imports: ImportRepository
    idempotency: IdempotencyRepository
    outbox: OutboxRepository


def make_repositories(session: AsyncSession) -> IntakeRepositories:
    return IntakeRepositories(
        matters=MatterRepository(session),
        imports=ImportRepository(session),
        idempotency=IdempotencyRepository(session),
        outbox=OutboxRepository(session),
    )


IntakeUnitOfWorkFactory = UnitOfWorkFactory[IntakeRepositories]
