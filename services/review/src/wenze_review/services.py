"""The service objects, wired once per process (api or worker)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

from wenze.db.base import utcnow
from wenze.persons import PersonReferences
from wenze.rules import RulePack, get_pack
from wenze_review.calendar.service import CalendarService
from wenze_review.cases.service import CaseService
from wenze_review.deliberations.service import DeliberationService
from wenze_review.repositories import ReviewUnitOfWorkFactory
from wenze_review.work.service import WorkService


@dataclass
class Services:
    deliberations: DeliberationService
    cases: CaseService
    work: WorkService
    calendars: CalendarService


def build_services(
    uow: ReviewUnitOfWorkFactory,
    person_refs: PersonReferences,
    *,
    packs: Callable[[str], RulePack] = get_pack,
    clock: Callable[[], dt.datetime] = utcnow,
) -> Services:
    """The services on ``uow``; ``person_refs`` derives a person's reference from an identity
    number under the deployment's key, ``packs`` gives a tenant's rule pack and ``clock`` the
    current instant."""
    deliberations = DeliberationService(uow, packs=packs, clock=clock)
    calendars = CalendarService(uow)
    return Services(
        deliberations=deliberations,
        cases=CaseService(uow, deliberations, calendars, person_refs=person_refs, packs=packs, clock=clock),
        work=WorkService(uow, clock=clock),
        calendars=calendars,
    )
