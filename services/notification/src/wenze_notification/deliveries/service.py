"""Deliveries: the worker's loop that sends what is due, retries with backoff, dead-letters
what keeps failing; the delivery log and the operators' dead-letter list and re-drive.

A delivery is written with its notice, in the transaction of the event that made it (the
same outbox discipline as events, ADR 0001). The loop claims due deliveries with ``FOR UPDATE
SKIP LOCKED`` and a lease, sends, then records the outcome by a conditional move; a worker
killed at any point leaves each delivery pending, to be claimed again when its lease runs out
(docs/adr/0026-notice-deliveries.md).
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Callable

import httpx
import structlog

from wenze.auth.principal import Principal
from wenze.db.base import utcnow
from wenze.db.tenancy import tenant_scope
from wenze.events import NoticeFailed, NoticeSent
from wenze.ids import new_id
from wenze_notification.audit import audit, system_audit
from wenze_notification.config import NotificationSettings
from wenze_notification.deliveries.models import Channel, Delivery, DeliveryAttempt, DeliveryState
from wenze_notification.deliveries.senders import DeliveryFailed, Senders
from wenze_notification.directory.models import Subscription
from wenze_notification.errors import DeliveryNotFound, SubscriptionNotFound, found
from wenze_notification.notices.models import Notice
from wenze_notification.repositories import NotificationUnitOfWorkFactory, kept

log = structlog.get_logger(__name__)


def backoff(attempts: int, base: float, cap: float) -> float:
    """Seconds before the next attempt after ``attempts`` failed ones: doubling, capped."""
    return float(min(cap, base * 2 ** max(0, attempts - 1)))


class DeliveryService:
    def __init__(
        self,
        uow: NotificationUnitOfWorkFactory,
        settings: NotificationSettings,
        *,
        clock: Callable[[], dt.datetime] = utcnow,
    ) -> None:
        self.uow = uow
        self.settings = settings
        self.clock = clock

    async def run(self, stop: asyncio.Event) -> None:
        """Send what is due until ``stop``; a pass that found work looks again at once."""
        log.info("delivery loop started")
        async with httpx.AsyncClient(follow_redirects=False) as http:
            senders = Senders(self.settings, http)
            while not stop.is_set():
                try:
                    busy = await self.send_due(senders)
                except Exception:
                    log.exception("delivery pass failed")
                    busy = False
                if busy:
                    continue
                try:
                    await asyncio.wait_for(stop.wait(), timeout=self.settings.delivery_poll_seconds)
                except TimeoutError:
                    pass

    async def send_due(self, senders: Senders) -> bool:
        """One pass: claim a batch, send each, record each outcome. Whether anything was due."""
        now = self.clock()
        lease = now + dt.timedelta(seconds=self.settings.delivery_lease_seconds)
        async with self.uow.system("notice deliveries") as uow:
            claimed = await uow.repos.deliveries.claim_due(now, lease, self.settings.delivery_batch_size)
            await uow.commit()
        await asyncio.gather(*(self._attempt(senders, d, n, s) for d, n, s in claimed))
        return bool(claimed)

    async def _attempt(self, senders: Senders, delivery: Delivery, notice: Notice, sub: Subscription | None) -> None:
        try:
            if delivery.channel == Channel.EMAIL:
                detail = await senders.email(delivery, notice)
            else:
                if sub is None:
                    raise DeliveryFailed("webhook: the subscription is gone")
                detail = await senders.webhook(delivery, notice, sub.secret)
            error = None
        except DeliveryFailed as exc:
            detail, error = str(exc), str(exc)
        with tenant_scope(delivery.tenant):
            await self._record(delivery, notice, detail, error)

    async def _record(self, delivery: Delivery, notice: Notice, detail: str, error: str | None) -> None:
        now = self.clock()
        attempts = delivery.attempts + 1
        async with self.uow() as uow:
            uow.repos.deliveries.log_attempt(
                DeliveryAttempt(
                    id=new_id(),
                    delivery_id=delivery.id,
                    number=attempts,
                    at=now,
                    succeeded=error is None,
                    detail=detail,
                )
            )
            common = {
                "tenant": delivery.tenant,
                "matter_id": notice.matter_id,
                "notice_id": notice.id,
                "delivery_id": delivery.id,
                "notice": notice.notice,
                "recipient": notice.recipient,
                "channel": delivery.channel,
                "attempts": attempts,
            }
            if error is None:
                await uow.repos.deliveries.move(
                    delivery, "deliver", attempts=attempts, delivered_at=now, lease_until=None, last_error=None
                )
                uow.publish(NoticeSent.model_validate(common))
            elif attempts >= self.settings.delivery_max_attempts:
                await uow.repos.deliveries.move(
                    delivery, "give_up", attempts=attempts, dead_at=now, lease_until=None, last_error=error
                )
                uow.publish(NoticeFailed.model_validate({**common, "last_error": error}))
                await uow.repos.audit.append(
                    delivery.tenant,
                    [system_audit("delivery.dead_letter", "delivery", delivery.id, attempts=attempts, error=error)],
                )
            else:
                wait = backoff(
                    attempts, self.settings.delivery_backoff_base_seconds, self.settings.delivery_backoff_cap_seconds
                )
                await uow.repos.deliveries.move(
                    delivery,
                    "retry",
                    attempts=attempts,
                    next_attempt_at=now + dt.timedelta(seconds=wait),
                    lease_until=None,
                    last_error=error,
                )
            await uow.commit()

    # Operators: the dead-letter list and the re-drive; integrators: their delivery log.

    async def listed(self, principal: Principal, state: str | None, limit: int) -> list[tuple[Delivery, Notice]]:
        async with self.uow() as uow:
            return kept(uow, await uow.repos.deliveries.listed(principal.tenant, state=state, limit=limit))

    async def attempts(self, principal: Principal, delivery_id: str) -> tuple[Delivery, list[DeliveryAttempt]]:
        async with self.uow() as uow:
            delivery = await found(
                delivery_id,
                DeliveryNotFound,
                "delivery",
                lambda: uow.repos.deliveries.get(principal.tenant, delivery_id),
            )
            return kept(uow, (delivery, await uow.repos.deliveries.attempts(delivery.id)))

    async def redrive(
        self, principal: Principal, delivery_id: str, *, client_address: str | None
    ) -> tuple[Delivery, Notice]:
        """A dead-lettered delivery goes out again with a fresh round of attempts and the same key."""
        async with self.uow() as uow:
            delivery = await found(
                delivery_id,
                DeliveryNotFound,
                "delivery",
                lambda: uow.repos.deliveries.get(principal.tenant, delivery_id),
            )
            await uow.repos.deliveries.move(
                delivery,
                "redrive",
                attempts=0,
                next_attempt_at=self.clock(),
                lease_until=None,
                dead_at=None,
                redriven_by=principal.username,
            )
            await uow.repos.audit.append(
                principal.tenant, [audit(principal, client_address, "delivery.redrive", "delivery", delivery.id)]
            )
            notice = await uow.repos.notices.get(principal.tenant, delivery.notice_id)
            assert notice is not None  # a delivery's notice is never deleted
            await uow.commit()
            return kept(uow, (delivery, notice))

    async def subscription_log(
        self, principal: Principal, subscription_id: str, limit: int
    ) -> list[tuple[Delivery, Notice]]:
        async with self.uow() as uow:
            await found(
                subscription_id,
                SubscriptionNotFound,
                "subscription",
                lambda: uow.repos.directory.subscription_of(principal.tenant, principal.username, subscription_id),
            )
            return kept(
                uow, await uow.repos.deliveries.listed(principal.tenant, subscription_id=subscription_id, limit=limit)
            )


__all__ = ["DeliveryService", "DeliveryState", "backoff"]
