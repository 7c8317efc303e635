"""The sanction-execution worker: the outbox relay, the consumers of decisions and of the
tenant's chosen readings of interpretation points, and the deadline scheduler."""

from __future__ import annotations

from collections.abc import Coroutine, Sequence
from typing import Any, Final

from wenze.db.interpretations import InterpretationLearner
from wenze.events import DecisionMade
from wenze.messaging.consumer import ConsumerSpec
from wenze.runtime import Runtime
from wenze_sanction_execution.config import SanctionExecutionSettings
from wenze_sanction_execution.executions.scheduler import DeadlineScheduler
from wenze_sanction_execution.executions.service import CONSUMER_DECIDED, ExecutionService

# Routing's choices of readings, which executions, after-effects and appeals read
# (docs/adr/0034-interpretation-points.md).
INTERPRETATION_CONSUMER: Final = "sanction-execution-interpretation-chosen"


def _settings(runtime: Runtime) -> SanctionExecutionSettings:
    # The runtime holds the service's own settings; a runtime built with the shared ones
    # (the chart's tests list the consumers that way) gets this service's defaults.
    settings = runtime.settings
    return settings if isinstance(settings, SanctionExecutionSettings) else SanctionExecutionSettings()


def consumers(runtime: Runtime) -> Sequence[ConsumerSpec]:
    executions = ExecutionService(runtime.uow, default_lead_days=_settings(runtime).reminder_lead_days)
    return (
        ConsumerSpec.for_event(CONSUMER_DECIDED, DecisionMade, executions.decision_made),
        InterpretationLearner(runtime.uow, INTERPRETATION_CONSUMER).spec(),
    )


def loops(runtime: Runtime) -> Sequence[Coroutine[Any, Any, None]]:
    settings = _settings(runtime)
    executions = ExecutionService(runtime.uow, default_lead_days=settings.reminder_lead_days)
    rehearsed = settings.scheduler_date
    scheduler = DeadlineScheduler(
        executions,
        interval=settings.scheduler_interval_seconds,
        batch=settings.scheduler_batch,
        today=(lambda _tenant: rehearsed) if rehearsed is not None else None,
    )
    return (scheduler.run(runtime.stop),)
