"""The intake worker: intake consumes no events; it runs the outbox relay."""

from __future__ import annotations

from collections.abc import Sequence

from wenze.messaging.consumer import ConsumerSpec
from wenze.runtime import Runtime


def consumers(_runtime: Runtime) -> Sequence[ConsumerSpec]:
    return ()
