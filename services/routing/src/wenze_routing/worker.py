"""The routing worker: the outbox relay, and the consumers of accepted matters, concluded
consultations and identified targets."""

from __future__ import annotations

from collections.abc import Sequence

from wenze.calendar import CalendarSettings
from wenze.events import ConsultationConcluded, MatterAccepted, TargetsIdentified
from wenze.messaging.consumer import BULK_BATCH, ConsumerSpec
from wenze.runtime import Runtime
from wenze_routing.calendar.service import CalendarService
from wenze_routing.slips.service import (
    CONSUMER_ACCEPTED,
    CONSUMER_CONCLUDED,
    CONSUMER_IDENTIFIED,
    RoutingService,
)


def consumers(runtime: Runtime) -> Sequence[ConsumerSpec]:
    routing = RoutingService(runtime.uow, CalendarService(runtime.uow, CalendarSettings().calendar_dir))
    return (
        ConsumerSpec.for_event(
            CONSUMER_ACCEPTED,
            MatterAccepted,
            routing.route_accepted,
            batch_handler=routing.route_accepted_batch,
            batch=BULK_BATCH,
        ),
        ConsumerSpec.for_event(CONSUMER_CONCLUDED, ConsultationConcluded, routing.conclude_consultation),
        ConsumerSpec.for_event(CONSUMER_IDENTIFIED, TargetsIdentified, routing.route_identified),
    )
