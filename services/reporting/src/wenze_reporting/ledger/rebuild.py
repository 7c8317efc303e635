"""``wenze-reporting rebuild``: empty the read model and replay every stream into it.

Each contract reporting consumes is read from the first message of its stream to the last one
there when the rebuild started, through a durable consumer of its own (``<worker durable>-
rebuild``, deleted when done), and applied exactly as the worker applies it: in batches, one
transaction per tenant's batch, with the worker's inbox names. So the worker, started again,
skips what the rebuild applied and carries on with anything newer.

Stop the reporting worker first: events it applied while the tables were emptied would be
lost to the figures until the next rebuild. The case library's marks are not projections and
are kept.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import nats.js.errors
from nats.js import JetStreamContext
from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy
from sqlalchemy import delete

from wenze.db.inbox import InboxRecord
from wenze.db.tenancy import tenant_scope
from wenze.events import Event
from wenze.messaging.consumer import ConsumerSpec, ensure_source_stream, subject_tenant
from wenze.runtime import Runtime
from wenze_reporting.ledger.consumers import CONSUMED, consumer_name, ledger_consumers
from wenze_reporting.repositories import ReportingRepositories
from wenze_reporting.services import build_services

SUFFIX = "-rebuild"
FETCH = 500


@dataclass
class RebuildResult:
    removed: dict[str, int] = field(default_factory=dict)
    applied: dict[str, int] = field(default_factory=dict)
    refused: int = 0


async def empty_read_model(runtime: Runtime[ReportingRepositories]) -> dict[str, int]:
    """Delete every projected row and the worker's inbox records, in one transaction."""
    async with runtime.uow.system("reporting-rebuild") as uow:
        removed = await uow.repos.ledger.empty()
        names = [consumer_name(event_type) for event_type in CONSUMED]
        result = await uow.session.execute(delete(InboxRecord).where(InboxRecord.consumer.in_(names)))
        removed["inbox"] = result.rowcount  # type: ignore[attr-defined]
        await uow.commit()
    return removed


async def rebuild(runtime: Runtime[ReportingRepositories]) -> RebuildResult:
    result = RebuildResult(removed=await empty_read_model(runtime))
    ledger = build_services(runtime.uow).ledger
    for spec in ledger_consumers(ledger, suffix=SUFFIX):
        applied, refused = await _replay(runtime.js, spec, stream_replicas=runtime.settings.stream_replicas)
        result.applied[spec.durable.removesuffix(SUFFIX)] = applied
        result.refused += refused
    return result


async def _replay(js: JetStreamContext, spec: ConsumerSpec[Any], *, stream_replicas: int) -> tuple[int, int]:
    """Apply every message of ``spec``'s contract up to the stream's last one now; returns how
    many were applied and how many were refused (a payload naming another tenant than its
    subject, which the worker refuses too)."""
    await ensure_source_stream(js, spec, stream_replicas=stream_replicas)
    try:
        await js.delete_consumer(spec.stream, spec.durable)
    except nats.js.errors.NotFoundError:
        pass
    config = ConsumerConfig(
        durable_name=spec.durable,
        ack_policy=AckPolicy.EXPLICIT,
        deliver_policy=DeliverPolicy.ALL,
        filter_subject=spec.filter_subject,
        max_ack_pending=FETCH * 4,
    )
    info = await js.add_consumer(spec.stream, config)
    remaining = info.num_pending or 0
    subscription = await js.pull_subscribe_bind(durable=spec.durable, stream=spec.stream)
    applied = refused = 0
    try:
        while remaining > 0:
            try:
                messages = await subscription.fetch(min(FETCH, remaining), timeout=5)
            except TimeoutError:
                break
            by_tenant: dict[str, list[Event]] = {}
            for message in messages:
                event = spec.event_type.model_validate_json(message.data)
                tenant = subject_tenant(message.subject)
                if tenant is None or event.tenant != tenant:
                    refused += 1
                    continue
                by_tenant.setdefault(tenant, []).append(event)
            for tenant, events in by_tenant.items():
                assert spec.batch_handler is not None
                with tenant_scope(tenant):
                    await spec.batch_handler(events)
                applied += len(events)
            for message in messages:
                await message.ack()
            remaining -= len(messages)
    finally:
        await subscription.unsubscribe()
        await js.delete_consumer(spec.stream, spec.durable)
    return applied, refused


def summary(result: RebuildResult) -> Sequence[str]:
    lines = [f"emptied {table}: {n} row(s)" for table, n in result.removed.items()]
    lines += [f"replayed {name}: {n} event(s)" for name, n in result.applied.items()]
    if result.refused:
        lines.append(f"refused {result.refused} event(s) whose payload names another tenant than its subject")
    return lines
