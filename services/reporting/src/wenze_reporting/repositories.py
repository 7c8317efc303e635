"""The reporting service's repositories, handed to every unit of work."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from wenze.db import UnitOfWork, UnitOfWorkFactory
from wenze.db.common import CommonRepositories
from wenze.db.interpretations import InterpretationRepository
from wenze_reporting.ledger.repository import LedgerRepository
from wenze_reporting.library.repository import LibraryRepository
from wenze_reporting.progress.repository import ProgressRepository
from wenze_reporting.reports.repository import ReportRepository


@dataclass
class ReportingRepositories(CommonRepositories):
    ledger: LedgerRepository
    reports: ReportRepository
    library: LibraryRepository
    progress: ProgressRepository
    interpretations: InterpretationRepository


def make_repositories(session: AsyncSession) -> ReportingRepositories:
    return ReportingRepositories.for_session(
        session,
        ledger=LedgerRepository(session),
        reports=ReportRepository(session),
        library=LibraryRepository(session),
        progress=ProgressRepository(session),
        interpretations=InterpretationRepository(session),
    )


ReportingUnitOfWork = UnitOfWork[ReportingRepositories]
ReportingUnitOfWorkFactory = UnitOfWorkFactory[ReportingRepositories]
