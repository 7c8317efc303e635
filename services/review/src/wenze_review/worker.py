"""The review worker: the outbox relay, the consumers of routing's events (slips, the calendar,
the tenant's chosen readings of interpretation points), and of the appeal outcomes
sanction-execution publishes (a revoked decision leaves the person's history)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final

from wenze.db.interpretations import InterpretationLearner
from wenze.events.execution import AppealDecided
from wenze.events.routing import CalendarYearLoaded, ConsultationRequested, LocalDaysDeclared, MatterRouted
from wenze.messaging.consumer import ConsumerSpec
from wenze.persons import PersonReferences
from wenze.runtime import Runtime
from wenze_review.calendar.service import CONSUMER_LOCAL_DAYS, CONSUMER_YEARS
from wenze_review.cases.service import CONSUMER_APPEAL_DECIDED
from wenze_review.config import clock_of
from wenze_review.services import build_services

# Routing's choices of readings, which the case's evaluations read (docs/adr/0034-interpretation-points.md).
INTERPRETATION_CONSUMER: Final = "review-interpretation-chosen"


def consumers(runtime: Runtime) -> Sequence[ConsumerSpec]:
    services = build_services(
        runtime.uow, PersonReferences(runtime.settings.person_reference_key), clock=clock_of(runtime.settings)
    )
    return (
        ConsumerSpec.for_event(
            "review-consultation-requested", ConsultationRequested, services.deliberations.consultation_requested
        ),
        ConsumerSpec.for_event("review-matter-routed", MatterRouted, services.cases.matter_routed),
        ConsumerSpec.for_event(CONSUMER_APPEAL_DECIDED, AppealDecided, services.cases.appeal_decided),
        ConsumerSpec.for_event(CONSUMER_YEARS, CalendarYearLoaded, services.calendars.year_loaded),
        ConsumerSpec.for_event(CONSUMER_LOCAL_DAYS, LocalDaysDeclared, services.calendars.local_days_declared),
        InterpretationLearner(runtime.uow, INTERPRETATION_CONSUMER).spec(),
    )
