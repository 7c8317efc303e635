"""One durable consumer per event contract reporting reads: every service's events.

A consumer only hands the event (or a fetched batch of one tenant's events) to the ledger
service, under its own durable name, which is also its name in the inbox.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from wenze.events import (
    AppealDecided,
    AppealFiled,
    ConsultationConcluded,
    ConsultationRequested,
    DeadlineDue,
    DeadlineMissed,
    DecisionMade,
    Event,
    ExecutionCompleted,
    ExecutionOpened,
    MatterAccepted,
    MatterReceived,
    MatterRejected,
    MatterRouted,
    NoticeFailed,
    NoticeSent,
    StepRecorded,
    TargetsIdentified,
)
from wenze.messaging.consumer import BULK_BATCH, ConsumerSpec
from wenze_reporting.ledger.service import LedgerService

CONSUMED: tuple[type[Event], ...] = (
    MatterReceived,
    MatterAccepted,
    MatterRejected,
    MatterRouted,
    ConsultationRequested,
    ConsultationConcluded,
    TargetsIdentified,
    DecisionMade,
    ExecutionOpened,
    ExecutionCompleted,
    DeadlineDue,
    DeadlineMissed,
    AppealFiled,
    AppealDecided,
    StepRecorded,
    NoticeSent,
    NoticeFailed,
)


def consumer_name(event_type: type[Event]) -> str:
    return f"reporting-{event_type.service}-{event_type.aggregate}-{event_type.name}".replace("_", "-")


def ledger_consumers(ledger: LedgerService, *, suffix: str = "") -> Sequence[ConsumerSpec[Any]]:
    """The consumers of every contract in ``CONSUMED``; ``suffix`` names a separate set of
    durables (a rebuild's), which share the worker's inbox names."""
    specs: list[ConsumerSpec[Any]] = []
    for event_type in CONSUMED:
        name = consumer_name(event_type)

        async def one(event: Event, name: str = name) -> None:
            await ledger.apply(name, [event])

        async def many(events: list[Event], name: str = name) -> None:
            await ledger.apply(name, events)

        specs.append(ConsumerSpec.for_event(name + suffix, event_type, one, batch_handler=many, batch=BULK_BATCH))
    return specs
