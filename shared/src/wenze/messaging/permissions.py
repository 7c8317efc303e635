"""What a service's NATS user may publish and subscribe to (docs/operations/security.md).

Derived from what the service does: it publishes its own events (``<service>.>``) to its own
stream, creates or updates that stream, creates the streams it consumes from if they are
missing (whichever process starts first creates a stream; only its producer changes it),
creates and reads its durable pull consumers, acknowledges their messages, copies the events
its consumers give up on to the dead letters (each consumer on its own subject there), and asks
JetStream for the account's state (readiness). Every request's answer comes back on the client's
``_INBOX.>``. Nothing else: a service cannot publish another's events, change another's
stream, read another's consumers or delete a stream.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from wenze.messaging.consumer import ConsumerSpec
from wenze.messaging.dead_letters import DEAD_LETTERS
from wenze.messaging.dead_letters import subject_for as dead_letter_subject
from wenze.messaging.streams import stream_for


@dataclass(frozen=True)
class NatsPermissions:
    publish: tuple[str, ...]
    subscribe: tuple[str, ...]

    def as_config(self) -> dict[str, Any]:
        """The ``permissions`` block of a NATS server's user (or a user JWT's claims)."""
        return {"publish": {"allow": list(self.publish)}, "subscribe": {"allow": list(self.subscribe)}}


def permissions_for(service: str, consumers: Sequence[ConsumerSpec[Any]] = ()) -> NatsPermissions:
    own = stream_for(service)
    publish = [f"{own.subject_prefix}.>", "$JS.API.INFO"]
    publish += [f"$JS.API.STREAM.{verb}.{own.name}" for verb in ("INFO", "CREATE", "UPDATE")]
    # Another service's stream: created if the consumer starts first, never changed.
    for stream in dict.fromkeys(spec.stream for spec in consumers if spec.stream != own.name):
        publish += [f"$JS.API.STREAM.{verb}.{stream}" for verb in ("INFO", "CREATE")]
    if consumers:
        publish += [f"$JS.API.STREAM.{verb}.{DEAD_LETTERS.name}" for verb in ("INFO", "CREATE")]
    for spec in consumers:
        at = f"{spec.stream}.{spec.durable}"
        publish.append(dead_letter_subject(spec.durable))
        publish += [
            f"$JS.API.CONSUMER.INFO.{at}",
            # nats-py names the filter subject in the create request's subject (NATS 2.9+),
            # older servers take the durable form.
            f"$JS.API.CONSUMER.CREATE.{at}.>",
            f"$JS.API.CONSUMER.DURABLE.CREATE.{at}",
            f"$JS.API.CONSUMER.MSG.NEXT.{at}",
            f"$JS.ACK.{at}.>",
        ]
    return NatsPermissions(publish=tuple(publish), subscribe=("_INBOX.>",))
