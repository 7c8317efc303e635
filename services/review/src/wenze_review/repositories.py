"""The review service's repositories, handed to every unit of work."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from wenze.db import UnitOfWork, UnitOfWorkFactory
from wenze.db.common import CommonRepositories
from wenze.db.interpretations import InterpretationRepository
from wenze_review.access.repository import AccessRepository
from wenze_review.calendar.repository import CalendarRepository
from wenze_review.cases.repository import CaseRepository
from wenze_review.deliberations.repository import DeliberationRepository
from wenze_review.numbering import NumberRepository
from wenze_review.work.repository import MemberRepository, WorkRepository


@dataclass
class ReviewRepositories(CommonRepositories):
    deliberations: DeliberationRepository
    cases: CaseRepository
    work: WorkRepository
    members: MemberRepository
    numbers: NumberRepository
    access: AccessRepository
    calendar: CalendarRepository
    interpretations: InterpretationRepository


def make_repositories(session: AsyncSession) -> ReviewRepositories:
    return ReviewRepositories.for_session(
        session,
        deliberations=DeliberationRepository(session),
        cases=CaseRepository(session),
        work=WorkRepository(session),
        members=MemberRepository(session),
        numbers=NumberRepository(session),
        access=AccessRepository(session),
        calendar=CalendarRepository(session),
        interpretations=InterpretationRepository(session),
    )


ReviewUnitOfWork = UnitOfWork[ReviewRepositories]
ReviewUnitOfWorkFactory = UnitOfWorkFactory[ReviewRepositories]
