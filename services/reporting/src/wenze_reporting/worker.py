"""The reporting worker: the outbox relay, the consumers of every service's events, and of the
tenant's chosen readings of interpretation points, which the period figures read."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Final

from wenze.db.interpretations import InterpretationLearner
from wenze.messaging.consumer import ConsumerSpec
from wenze.runtime import Runtime
from wenze_reporting.ledger.consumers import ledger_consumers
from wenze_reporting.services import build_services

# docs/adr/0034-interpretation-points.md
INTERPRETATION_CONSUMER: Final = "reporting-interpretation-chosen"


def consumers(runtime: Runtime) -> Sequence[ConsumerSpec[Any]]:
    return (
        *ledger_consumers(build_services(runtime.uow).ledger),
        InterpretationLearner(runtime.uow, INTERPRETATION_CONSUMER).spec(),
    )
