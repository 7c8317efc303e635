"""Durable pull consumers that turn messages into service calls.

A consumer only decodes the event and calls the service; the service records the event id
in its inbox in the same transaction as the effect, so a redelivery changes nothing.

Each event is handled in the tenant scope of its subject (``<service>.<tenant>.…``), so the
units of work it opens see that tenant's rows only (ADR 0018). An event whose payload names
another tenant than its subject is never handled: it is terminated (JetStream redelivers it
no more and announces it on its ``MSG_TERMINATED`` advisory) and logged.

An event the consumer gives up on (unreadable, another tenant's, or failed on its last
allowed delivery) is copied to the dead letters first (``wenze.messaging.dead_letters``), where
operators find it and can send it again.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

import nats.errors
import nats.js.errors
import pydantic
import structlog
from nats.aio.msg import Msg
from nats.js import JetStreamContext
from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy
from opentelemetry import trace
from opentelemetry.trace import SpanKind

from wenze.db.planning import reusing_plans
from wenze.db.tenancy import is_tenant_name, tenant_scope
from wenze.events.base import Event
from wenze.messaging.backoff import redelivery_delay, until_it_works
from wenze.messaging.dead_letters import Reason, ensure_dead_letter_stream, park
from wenze.messaging.streams import ensure_stream, stream_for
from wenze.telemetry.propagation import context_from_headers

log = structlog.get_logger(__name__)
tracer = trace.get_tracer("wenze.messaging")

E = TypeVar("E", bound=Event)


# Events fetched at once by a consumer whose batch handler writes a whole fetch as sets: a bulk
# import and its acceptance send events by the thousand, and each transaction, not its rows, is
# then most of what an event costs (ADR 0041).
BULK_BATCH = 500
# Events of one tenant from one fetch below which their transaction reuses PostgreSQL's cached
# plans (``wenze.db.planning``): a few events come as they happen and their latency counts,
# while planning each statement costs them about as much as their own work. Larger batches
# plan each statement, as the worker's connections do.
PLANNED_AFRESH_FROM = 10


@dataclass(frozen=True)
class ConsumerSpec(Generic[E]):
    """A durable consumer of one event contract: ``filter_subject`` is that contract's subject
    in every tenant, so each message is an ``event_type``."""

    durable: str
    stream: str
    filter_subject: str
    event_type: type[E]
    handler: Callable[[E], Awaitable[None]]
    batch: int = 50
    ack_wait_seconds: float = 30.0
    # Deliveries before the event goes to the dead letters. JetStream itself is told no limit
    # (``consumer_config``): were it to stop delivering first, an event whose copy to the dead
    # letters failed would be lost; this way a failed copy is simply tried on the next delivery.
    max_deliver: int = 20
    source_service: str | None = None
    # Optional: handles a whole fetched batch in one transaction (one inbox check, one
    # commit), called once per tenant with that tenant's events, in its scope. If it raises,
    # those events are handled again one at a time by ``handler``, so one bad event is
    # retried on its own and does not hold the others back.
    batch_handler: Callable[[list[E]], Awaitable[None]] | None = None

    @classmethod
    def for_event(
        cls,
        consumer: str,
        event_type: type[E],
        handler: Callable[[E], Awaitable[None]],
        *,
        batch_handler: Callable[[list[E]], Awaitable[None]] | None = None,
        **options: Any,
    ) -> ConsumerSpec[E]:
        """A durable consumer of one event contract, for every tenant.

        ``consumer`` names the consuming service and purpose (e.g. ``routing-accepted``); it is
        the durable name, so a restarted worker resumes where the previous one stopped.
        """
        service = event_type.service
        subject = f"{service}.*.{event_type.aggregate}.{event_type.name}.v{event_type.version}"
        return cls(
            durable=consumer,
            stream=stream_for(service).name,
            filter_subject=subject,
            event_type=event_type,
            handler=handler,
            batch_handler=batch_handler,
            source_service=service,
            **options,
        )


def consumer_config(spec: ConsumerSpec[Any]) -> ConsumerConfig:
    return ConsumerConfig(
        durable_name=spec.durable,
        ack_policy=AckPolicy.EXPLICIT,
        deliver_policy=DeliverPolicy.ALL,
        ack_wait=spec.ack_wait_seconds,
        max_deliver=-1,
        filter_subject=spec.filter_subject,
    )


async def ensure_source_stream(js: JetStreamContext, spec: ConsumerSpec[Any], *, stream_replicas: int = 1) -> None:
    if spec.source_service is not None:
        # The producer may not have started yet; its stream's configuration is shared code, so
        # whichever process comes first creates it.
        await ensure_stream(js, stream_for(spec.source_service), replicas=stream_replicas, update=False)


async def ensure_consumer(js: JetStreamContext, spec: ConsumerSpec[Any], *, stream_replicas: int = 1) -> bool:
    """Create the durable consumer (and its stream) unless it exists; True when created.

    An existing durable is left as it is, as a starting worker leaves it: it holds the
    consumer's place in the stream.
    """
    await ensure_source_stream(js, spec, stream_replicas=stream_replicas)
    try:
        await js.consumer_info(spec.stream, spec.durable)
    except nats.js.errors.NotFoundError:
        await js.add_consumer(spec.stream, consumer_config(spec))
        return True
    return False


async def run_consumer(
    js: JetStreamContext, spec: ConsumerSpec[E], stop: asyncio.Event, *, stream_replicas: int = 1
) -> None:
    subscription = await _subscribe(js, spec, stream_replicas)
    log.info("consumer started", durable=spec.durable, subject=spec.filter_subject)
    while not stop.is_set():
        messages = await _fetch(subscription, spec)
        if spec.batch_handler is not None and len(messages) > 1:
            messages = await _handle_batch(spec, messages)
        for message in messages:
            await _handle(js, spec, message)


class HandleLater(Exception):
    """Raised by a handler whose event came before one it depends on (the streams are consumed
    side by side): the event is delivered again after the usual backoff, logged as a wait, not
    as a failure. Like any failure it counts towards the consumer's ``max_deliver``, after which
    the event goes to the dead letters."""


class _SubscribeFailed(Exception):
    """A JetStream API request at start-up went unanswered in time (a busy server, say)."""


async def _subscribe(
    js: JetStreamContext, spec: ConsumerSpec[E], stream_replicas: int
) -> JetStreamContext.PullSubscription:
    """The durable's pull subscription, its stream ensured first; retried with backoff, since
    a consumer whose start failed once would otherwise never run in this process."""
    async for attempt in until_it_works(_SubscribeFailed):
        with attempt:
            try:
                await ensure_source_stream(js, spec, stream_replicas=stream_replicas)
                await ensure_dead_letter_stream(js, replicas=stream_replicas)
                return await js.pull_subscribe(
                    spec.filter_subject, durable=spec.durable, stream=spec.stream, config=consumer_config(spec)
                )
            except (nats.errors.TimeoutError, nats.errors.NoRespondersError) as exc:
                log.warning("consumer start failed; retrying", durable=spec.durable, error=type(exc).__name__)
                raise _SubscribeFailed(spec.durable) from exc
    raise AssertionError("retry_context ends only by returning or raising")


class _FetchFailed(Exception):
    """A reconnect or a JetStream API hiccup; the durable consumer keeps our place."""


async def _fetch(subscription: JetStreamContext.PullSubscription, spec: ConsumerSpec[E]) -> list[Msg]:
    """The next messages, or none after a second of waiting; fetch errors are retried with
    jittered exponential backoff."""
    async for attempt in until_it_works(_FetchFailed):
        with attempt:
            try:
                return await subscription.fetch(spec.batch, timeout=1)
            except TimeoutError:
                # Nothing waiting: an empty fetch times out by design. nats-py raises its own
                # TimeoutError on one path and the builtin one on another; catching only its
                # own ended this loop, and the consumer with it, now and then under load.
                return []
            except nats.errors.Error as exc:
                raise _FetchFailed(spec.durable) from exc
    raise AssertionError("retry_context ends only by returning or raising")


# How much of a subject or a payload's tenant a refusal logs: both come from the message.
_LOGGED_CHARS = 120


def subject_tenant(subject: str) -> str | None:
    """The tenant token of ``<service>.<tenant>.…``, if it is a tenant name."""
    parts = subject.split(".")
    return parts[1] if len(parts) > 2 and is_tenant_name(parts[1]) else None


async def _refuse(js: JetStreamContext, spec: ConsumerSpec[E], message: Msg, event: Event) -> None:
    log.warning(
        "event refused: its tenant is not its subject's",
        durable=spec.durable,
        subject=message.subject[:_LOGGED_CHARS],
        payload_tenant=str(event.tenant)[:_LOGGED_CHARS],
        event_id=str(event.event_id),
    )
    await _give_up(js, spec, message, Reason.WRONG_TENANT, f"the payload names tenant {str(event.tenant)[:40]!r}")


async def _give_up(js: JetStreamContext, spec: ConsumerSpec[E], message: Msg, reason: Reason, detail: str) -> None:
    """Copy ``message`` to the dead letters, then terminate it. Should the copy fail (NATS
    going away, say), the message is handed back instead and given up again on its next
    delivery: it is never terminated without its copy."""
    try:
        await park(js, spec.durable, message, reason, detail)
    except nats.errors.Error:
        delay = redelivery_delay(message.metadata.num_delivered)
        log.warning(
            "copying an event to the dead letters failed; it will come again", durable=spec.durable, exc_info=True
        )
        await message.nak(delay=delay)
        return
    log.error(
        "event given up: kept in the dead letters",
        durable=spec.durable,
        subject=message.subject[:_LOGGED_CHARS],
        reason=reason.value,
        deliveries=message.metadata.num_delivered,
    )
    await message.term()


def _unreadable(exc: pydantic.ValidationError) -> str:
    """Where the payload departs from the contract, by field; never the values themselves."""
    return "; ".join(
        f"{'.'.join(str(part) for part in error['loc']) or 'payload'}: {error['msg']}" for error in exc.errors()[:5]
    )


def _planning_for(events: int) -> AbstractContextManager[None]:
    return reusing_plans() if events < PLANNED_AFRESH_FROM else nullcontext()


async def _handle_batch(spec: ConsumerSpec[E], messages: list[Msg]) -> list[Msg]:
    """``messages`` through ``spec.batch_handler``, one call per tenant in that tenant's scope;
    returns the messages still to be handled one at a time (those of a tenant whose call
    failed, and any the batch could not take)."""
    assert spec.batch_handler is not None
    try:
        events = [spec.event_type.model_validate_json(m.data) for m in messages]
    except Exception:
        return messages
    by_tenant: dict[str, list[tuple[Msg, E]]] = {}
    left: list[Msg] = []
    for message, event in zip(messages, events, strict=True):
        tenant = subject_tenant(message.subject)
        if tenant is None or event.tenant != tenant:
            left.append(message)  # refused by _handle, on its own
            continue
        by_tenant.setdefault(tenant, []).append((message, event))
    with tracer.start_as_current_span(
        f"{spec.filter_subject} process batch",
        kind=SpanKind.CONSUMER,
        attributes={
            "messaging.system": "nats",
            "messaging.destination.name": spec.filter_subject,
            "messaging.consumer.group.name": spec.durable,
            "messaging.batch.message_count": len(events),
        },
    ):
        for tenant, group in by_tenant.items():
            try:
                with tenant_scope(tenant), _planning_for(len(group)):
                    await spec.batch_handler([event for _, event in group])
            except Exception:
                log.warning("batch handling failed; handling one event at a time", durable=spec.durable, exc_info=True)
                left.extend(message for message, _ in group)
                continue
            for message, _ in group:
                await message.ack()
    return left


async def _handle(js: JetStreamContext, spec: ConsumerSpec[E], message: Msg) -> None:
    with tracer.start_as_current_span(
        f"{message.subject} process",
        context=context_from_headers(message.headers),
        kind=SpanKind.CONSUMER,
        attributes={
            "messaging.system": "nats",
            "messaging.destination.name": message.subject,
            "messaging.consumer.group.name": spec.durable,
        },
    ):
        tenant = subject_tenant(message.subject)
        last_delivery = message.metadata.num_delivered >= spec.max_deliver
        try:
            event = spec.event_type.model_validate_json(message.data)
        except pydantic.ValidationError as exc:
            await _give_up(js, spec, message, Reason.UNREADABLE, _unreadable(exc))
            return
        if tenant is None or event.tenant != tenant:
            await _refuse(js, spec, message, event)
            return
        try:
            with tenant_scope(tenant), _planning_for(1):
                await spec.handler(event)
        except HandleLater as later:
            if last_delivery:
                await _give_up(js, spec, message, Reason.WAITED_TOO_LONG, str(later))
                return
            delay = redelivery_delay(message.metadata.num_delivered)
            log.info("event handled later", subject=message.subject, reason=str(later), delay_s=round(delay, 1))
            await message.nak(delay=delay)
            return
        except Exception as exc:
            if last_delivery:
                log.exception("event handling failed on its last delivery", subject=message.subject)
                await _give_up(js, spec, message, Reason.FAILED, f"{type(exc).__name__}: {exc}")
                return
            delay = redelivery_delay(message.metadata.num_delivered)
            log.exception(
                "event handling failed; will be redelivered", subject=message.subject, delay_s=round(delay, 1)
            )
            await message.nak(delay=delay)
            return
    await message.ack()
