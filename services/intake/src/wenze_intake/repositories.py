"""The intake service's repositories, handed to every unit of work."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from wenze.db import UnitOfWork, UnitOfWorkFactory
from wenze.db.common import CommonRepositories
from wenze.db.interpretations import InterpretationRepository
from wenze_intake.counted_triggers.repository import CountedTriggerRepository
from wenze_intake.imports.repository import ImportRepository
from wenze_intake.matters.repository import MatterRepository


@dataclass
class IntakeRepositories(CommonRepositories):
    matters: MatterRepository
    imports: ImportRepository
    counted_triggers: CountedTriggerRepository
    interpretations: InterpretationRepository


def make_repositories(session: AsyncSession) -> IntakeRepositories:
    return IntakeRepositories.for_session(
        session,
        matters=MatterRepository(session),
        imports=ImportRepository(session),
        counted_triggers=CountedTriggerRepository(session),
        interpretations=InterpretationRepository(session),
    )


IntakeUnitOfWork = UnitOfWork[IntakeRepositories]
IntakeUnitOfWorkFactory = UnitOfWorkFactory[IntakeRepositories]
