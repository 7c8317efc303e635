"""Review's decisions, counted per organisation (``service.CountedTriggerService``)."""

from __future__ import annotations

from typing import Any

from wenze.events import DecisionMade
from wenze.messaging.consumer import ConsumerSpec
from wenze_intake.counted_triggers.service import CONSUMER, CountedTriggerService


def consumer(service: CountedTriggerService) -> ConsumerSpec[Any]:
    # One decision per transaction: each takes its organisations' locks, and a batch holding
    # them all would make every other decision of those organisations wait for the batch.
    return ConsumerSpec.for_event(CONSUMER, DecisionMade, service.count)
