"""The sanction-execution service's repositories, handed to every unit of work."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from wenze.db import UnitOfWorkFactory
from wenze.db.common import CommonRepositories
from wenze.db.interpretations import InterpretationRepository
from wenze_sanction_execution.appeals.repository import AppealRepository
from wenze_sanction_execution.executions.repository import ExecutionRepository
from wenze_sanction_execution.persons.repository import PersonRepository


@dataclass
class SanctionExecutionRepositories(CommonRepositories):
    executions: ExecutionRepository
    persons: PersonRepository
    appeals: AppealRepository
    interpretations: InterpretationRepository


def make_repositories(session: AsyncSession) -> SanctionExecutionRepositories:
    return SanctionExecutionRepositories.for_session(
        session,
        executions=ExecutionRepository(session),
        persons=PersonRepository(session),
        appeals=AppealRepository(session),
        interpretations=InterpretationRepository(session),
    )


SanctionExecutionUnitOfWorkFactory = UnitOfWorkFactory[SanctionExecutionRepositories]
