"""One stream per producing service, created or updated at start-up."""

from __future__ import annotations

from dataclasses import dataclass

from nats.js import JetStreamContext
from nats.js.api import StorageType, StreamConfig
from nats.js.errors import NotFoundError

# JetStream drops a message whose Nats-Msg-Id it has seen within this window; it must be
# longer than any relay outage after which an unacknowledged outbox row is published again.
DUPLICATE_WINDOW_SECONDS = 30 * 60

SERVICES = ("intake", "routing", "review", "sanction-execution", "notification", "reporting")


@dataclass(frozen=True)
class StreamSpec:
    name: str
    subject_prefix: str

    @property
    def subjects(self) -> list[str]:
        return [f"{self.subject_prefix}.>"]


def stream_for(service: str) -> StreamSpec:
    prefix = service.replace("-", "_")
    return StreamSpec(name=prefix.upper(), subject_prefix=service)


def all_streams() -> list[StreamSpec]:
    return [stream_for(service) for service in SERVICES]


async def ensure_stream(js: JetStreamContext, spec: StreamSpec, *, replicas: int = 1, update: bool = True) -> None:
    """Create the stream if it is missing; with ``update``, bring an existing one to ``spec``.

    Only its producer updates a stream: a consumer creates another's stream at most, so its
    NATS user needs no right to change it (docs/operations/security.md). Every process that
    calls this must pass the same ``replicas`` (the ``stream_replicas`` setting), or each start
    would scale the stream back to its own idea of it.
    """
    config = StreamConfig(
        name=spec.name,
        subjects=spec.subjects,
        storage=StorageType.FILE,
        duplicate_window=DUPLICATE_WINDOW_SECONDS,
        num_replicas=replicas,
    )
    try:
        await js.stream_info(spec.name)
    except NotFoundError:
        await js.add_stream(config)
    else:
        if update:
            await js.update_stream(config)
