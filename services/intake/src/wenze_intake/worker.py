"""The intake worker: the outbox relay, the import jobs, the consumers that learn from
routing and review which offices are party to a matter (``matters/parties.py``), and the one
that counts review's decisions per organisation and opens the matters the counts require
(``counted_triggers``)."""

from __future__ import annotations

from collections.abc import Coroutine, Sequence
from typing import Any, Final

from wenze.db.interpretations import InterpretationLearner
from wenze.messaging.consumer import BULK_BATCH, ConsumerSpec
from wenze.runtime import Runtime
from wenze_intake.app import IntakeServices, matter_service
from wenze_intake.config import IntakeSettings
from wenze_intake.counted_triggers.consumers import consumer as counted_triggers_consumer
from wenze_intake.counted_triggers.service import CountedTriggerService
from wenze_intake.imports.runner import ImportJobRunner
from wenze_intake.matters.parties import CONSUMERS, PartiesService

# The inbox's and the durable consumer's name for routing's choices of readings, which the
# counted triggers read (docs/adr/0034-interpretation-points.md).
INTERPRETATION_CONSUMER: Final = "intake-interpretation-chosen"


def consumers(runtime: Runtime) -> Sequence[ConsumerSpec[Any]]:
    parties = PartiesService(runtime.uow)
    counting = CountedTriggerService(runtime.uow, matter_service(runtime.settings, runtime.uow))
    return (
        *(
            ConsumerSpec.for_event(
                consumer, event_type, parties.learn, batch_handler=parties.learn_batch, batch=BULK_BATCH
            )
            for event_type, consumer in CONSUMERS.items()
        ),
        counted_triggers_consumer(counting),
        InterpretationLearner(runtime.uow, INTERPRETATION_CONSUMER).spec(),
    )


def loops(runtime: Runtime) -> Sequence[Coroutine[Any, Any, None]]:
    settings = runtime.settings
    assert isinstance(settings, IntakeSettings)
    if not settings.run_import_jobs:
        return ()
    imports = IntakeServices.build(settings, runtime.uow).imports
    return (ImportJobRunner(imports, settings).run(runtime.stop),)
