"""The review worker: the outbox relay, and the consumers of routing's events."""

from __future__ import annotations

from collections.abc import Sequence

from wenze.events.routing import ConsultationRequested, MatterRouted
from wenze.messaging.consumer import ConsumerSpec
from wenze.runtime import Runtime
from wenze_review.services import build_services


def consumers(runtime: Runtime) -> Sequence[ConsumerSpec]:
    services = build_services(runtime.uow)
    return (
        ConsumerSpec.for_event(
            "review-consultation-requested", ConsultationRequested, services.deliberations.consultation_requested
        ),
        ConsumerSpec.for_event("review-matter-routed", MatterRouted, services.cases.matter_routed),
    )
