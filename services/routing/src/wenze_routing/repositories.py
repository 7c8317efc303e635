"""The routing service's repositories, handed to every unit of work."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from wenze.db.common import CommonRepositories
from wenze_routing.calendar.repository import CalendarRepository
from wenze_routing.interpretations.repository import InterpretationRepository
from wenze_routing.slips.repository import SlipRepository


@dataclass
class RoutingRepositories(CommonRepositories):
    slips: SlipRepository
    calendar: CalendarRepository
    interpretations: InterpretationRepository


def make_repositories(session: AsyncSession) -> RoutingRepositories:
    return RoutingRepositories.for_session(
        session,
        slips=SlipRepository(session),
        calendar=CalendarRepository(session),
        interpretations=InterpretationRepository(session),
    )
