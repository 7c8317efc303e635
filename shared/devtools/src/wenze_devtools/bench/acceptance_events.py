"""Accepted matters as routing receives them: ``MatterAccepted`` events published to stream
``INTAKE`` exactly as intake's outbox relay publishes them, on an open-loop schedule.

Part d of ``make bench`` times routing under this load, and the routing-review scenario of
``make chaos`` kills routing's and review's workers under it. Neither drives intake's HTTP
API: intake's own throughput is measured elsewhere, and on two cores intake cannot accept
matters at the rates routing is loaded with while routing runs on the same cores.

What the relay sends for an outbox row: subject ``event.subject``, payload
``event.model_dump_json()``, and the row's headers (the W3C trace context of the request
that accepted the matter) with ``Nats-Msg-Id`` = the event id, by ``publish_async`` without
waiting for each acknowledgement.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import itertools
import random
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field

from nats.aio.client import Client
from opentelemetry import trace
from opentelemetry.trace import NonRecordingSpan, SpanContext, TraceFlags

from wenze.events import MatterAccepted
from wenze.telemetry.propagation import current_trace_headers
from wenze_devtools.bench.support import TENANT, TargetKind, kunshan_target, pick_kind

ON = dt.date(2026, 4, 30)
# The first message is due this long after its schedule is made, so it does not start late.
START_DELAY_S = 0.05
ACK_TIMEOUT_S = 60.0


def kunshan_acceptances(*, seed: int) -> Iterator[tuple[TargetKind, MatterAccepted]]:
    """Single-target Kunshan acceptances (one slip, so one outcome, per matter), each with the
    kind of its target, drawn from :data:`~wenze_devtools.bench.support.KUNSHAN_MIX` without end."""
    rng = random.Random(seed)
    for i in itertools.count():
        kind = pick_kind(rng)
        target = kunshan_target(kind, rng)
        unit = target.unit or "昆山市"
        yield (
            kind,
            MatterAccepted(
                tenant=TENANT,
                matter_id=uuid.uuid4(),
                number=f"昆纪委问〔2026〕{i + 1}号",
                source="city_government",
                summary=f"{unit}项目推进不力",
                facts=f"2026年3月，{unit}负责的项目因审批拖延停滞{rng.randint(1, 6)}个月。",
                key_supervised=rng.random() < 0.1,
                proposed_form=rng.choice(("form_1", "form_2", None)),
                targets=[target],
                relevant_date=ON,
                study_date=ON,
                participants=["张明", "李华"],
                accepted_by="ks-intake",
            ),
        )


def acceptances(count: int, *, seed: int) -> tuple[list[MatterAccepted], Counter[str]]:
    """The first ``count`` of :func:`kunshan_acceptances`, and how many of each kind."""
    drawn = list(itertools.islice(kunshan_acceptances(seed=seed), count))
    return [event for _, event in drawn], Counter(kind.label for kind, _ in drawn)


@dataclass(frozen=True)
class Message:
    key: str  # what the run tells the message by: for an acceptance, the matter id
    subject: str
    payload: bytes
    headers: dict[str, str]  # Nats-Msg-Id included


def relayed(event: MatterAccepted, rng: random.Random) -> Message:
    """``event`` as intake's relay publishes it, with the trace context of the request that
    accepted the matter (each acceptance a trace of its own, drawn from ``rng``)."""
    request = SpanContext(
        trace_id=rng.getrandbits(128),
        span_id=rng.getrandbits(64),
        is_remote=False,
        trace_flags=TraceFlags(TraceFlags.SAMPLED),
    )
    with trace.use_span(NonRecordingSpan(request)):
        headers = current_trace_headers()
    return Message(
        str(event.matter_id),
        event.subject,
        event.model_dump_json().encode(),
        {**headers, "Nats-Msg-Id": str(event.event_id)},
    )


def messages(events: Iterable[MatterAccepted], *, seed: int) -> list[Message]:
    # Serialised before the clock starts, as the relay reads ready payloads from its outbox.
    rng = random.Random(seed)
    return [relayed(event, rng) for event in events]


@dataclass(kw_only=True)
class Sending:
    """What an open-loop sender records: when each message it sent was due, and how far
    behind the schedule it fell."""

    rate: float  # messages per second
    started: float = field(default_factory=lambda: time.monotonic() + START_DELAY_S)  # the first is due
    scheduled: dict[str, float] = field(default_factory=dict)  # key → due time, of the messages sent
    send_lag_max: float = 0.0
    send_seconds: float = 0.0
    sent: int = 0

    @property
    def achieved_rate(self) -> float:
        return self.sent / self.send_seconds if self.send_seconds else 0.0


async def open_loop(
    nc: Client, run: Sending, messages: Iterable[Message], *, stop: Callable[[], bool] | None = None
) -> None:
    """Publish ``messages`` at ``run.rate`` per second; message *i* is due at ``run.started`` +
    *i*/rate. ``stop``, asked before each message once it is due, ends the run early.

    The sender never waits for acknowledgements (as intake's relay does not); if it falls
    behind it sends every overdue message at once, and latency still counts from the due time.
    Every acknowledgement is awaited at the end: a message JetStream did not take fails the run.
    """
    js = nc.jetstream()
    acks = []
    for i, m in enumerate(messages):
        due = run.started + i / run.rate
        if (delay := due - time.monotonic()) > 0:
            await asyncio.sleep(delay)
        if stop is not None and stop():
            break
        run.scheduled[m.key] = due
        acks.append(await js.publish_async(m.subject, m.payload, headers=m.headers))
        run.send_lag_max = max(run.send_lag_max, time.monotonic() - due)
        run.sent += 1
    run.send_seconds = time.monotonic() - run.started
    await asyncio.wait_for(asyncio.gather(*acks), timeout=ACK_TIMEOUT_S)
