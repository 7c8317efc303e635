"""The intake worker: intake consumes no events; it runs the outbox relay and the import jobs."""

from __future__ import annotations

from collections.abc import Coroutine, Sequence
from typing import Any

from wenze.messaging.consumer import ConsumerSpec
from wenze.runtime import Runtime
from wenze_intake.app import IntakeServices
from wenze_intake.config import IntakeSettings
from wenze_intake.imports.runner import ImportJobRunner


def consumers(_runtime: Runtime) -> Sequence[ConsumerSpec]:
    return ()


def loops(runtime: Runtime) -> Sequence[Coroutine[Any, Any, None]]:
    settings = runtime.settings
    assert isinstance(settings, IntakeSettings)
    if not settings.run_import_jobs:
        return ()
    imports = IntakeServices.build(settings, runtime.uow).imports
    return (ImportJobRunner(imports, settings).run(runtime.stop),)
