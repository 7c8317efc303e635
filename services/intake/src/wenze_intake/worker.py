"""The intake worker: the outbox relay, the import jobs, and the consumers that learn from
routing and review which offices are party to a matter (``matters/parties.py``)."""

from __future__ import annotations

from collections.abc import Coroutine, Sequence
from typing import Any

from wenze.messaging.consumer import ConsumerSpec
from wenze.runtime import Runtime
from wenze_intake.app import IntakeServices
from wenze_intake.config import IntakeSettings
from wenze_intake.imports.runner import ImportJobRunner
from wenze_intake.matters.parties import CONSUMERS, PartiesService


def consumers(runtime: Runtime) -> Sequence[ConsumerSpec[Any]]:
    parties = PartiesService(runtime.uow)
    return tuple(
        ConsumerSpec.for_event(consumer, event_type, parties.learn, batch_handler=parties.learn_batch)
        for event_type, consumer in CONSUMERS.items()
    )


def loops(runtime: Runtime) -> Sequence[Coroutine[Any, Any, None]]:
    settings = runtime.settings
    assert isinstance(settings, IntakeSettings)
    if not settings.run_import_jobs:
        return ()
    imports = IntakeServices.build(settings, runtime.uow).imports
    return (ImportJobRunner(imports, settings).run(runtime.stop),)
