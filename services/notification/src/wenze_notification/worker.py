"""The notification worker: the outbox relay, and the consumers of the events it must tell
people about.

It subscribes to nothing it cannot yet act on: a durable consumer acknowledges what it
receives, so an event taken before its handler exists would never be delivered again.
"""

from __future__ import annotations

from collections.abc import Sequence

from wenze.messaging.consumer import ConsumerSpec
from wenze.runtime import Runtime


def consumers(_runtime: Runtime) -> Sequence[ConsumerSpec]:
    return ()
