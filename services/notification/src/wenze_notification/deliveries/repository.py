from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from sqlalchemy import or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from wenze_notification.deliveries.models import DELIVERIES, Delivery, DeliveryAttempt, DeliveryState
from wenze_notification.directory.models import Subscription
from wenze_notification.notices.models import Notice


class DeliveryRepository:
    def __init__(self, session: AsyncSession):
        self.session = session

    def add(self, deliveries: Sequence[Delivery]) -> None:
        self.session.add_all(deliveries)

    async def claim_due(
        self, now: dt.datetime, lease_until: dt.datetime, limit: int
    ) -> list[tuple[Delivery, Notice, Subscription | None]]:
        """Pending deliveries due by ``now`` that no live worker holds, leased until ``lease_until``.

        ``SKIP LOCKED``: two workers never claim the same rows; a lease a killed worker left
        runs out and the delivery is claimed again."""
        due = (
            select(Delivery.id)
            .where(
                Delivery.state == DeliveryState.PENDING,
                Delivery.next_attempt_at <= now,
                or_(Delivery.lease_until.is_(None), Delivery.lease_until < now),
            )
            .order_by(Delivery.next_attempt_at)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
        ids = list(await self.session.scalars(due))
        if not ids:
            return []
        await self.session.execute(
            update(Delivery)
            .where(Delivery.id.in_(ids))
            .values(lease_until=lease_until)
            .execution_options(synchronize_session=False)
        )
        rows = await self.session.execute(
            select(Delivery, Notice, Subscription)
            .join(Notice, Notice.id == Delivery.notice_id)
            .outerjoin(Subscription, Subscription.id == Delivery.subscription_id)
            .where(Delivery.id.in_(ids))
            .execution_options(populate_existing=True)
        )
        return [(d, n, s) for d, n, s in rows.tuples()]

    async def get(self, tenant: str, delivery_id: str) -> Delivery | None:
        return await self.session.scalar(select(Delivery).where(Delivery.tenant == tenant, Delivery.id == delivery_id))

    async def listed(
        self,
        tenant: str,
        *,
        state: str | None = None,
        subscription_id: str | None = None,
        limit: int = 100,
    ) -> list[tuple[Delivery, Notice]]:
        query = select(Delivery, Notice).join(Notice, Notice.id == Delivery.notice_id).where(Delivery.tenant == tenant)
        if state is not None:
            query = query.where(Delivery.state == state)
        if subscription_id is not None:
            query = query.where(Delivery.subscription_id == subscription_id)
        rows = await self.session.execute(query.order_by(Delivery.created_at.desc(), Delivery.id).limit(limit))
        return [(d, n) for d, n in rows.tuples()]

    async def attempts(self, delivery_id: str) -> list[DeliveryAttempt]:
        return list(
            await self.session.scalars(
                select(DeliveryAttempt)
                .where(DeliveryAttempt.delivery_id == delivery_id)
                .order_by(DeliveryAttempt.number)
            )
        )

    def log_attempt(self, attempt: DeliveryAttempt) -> None:
        self.session.add(attempt)

    async def move(self, delivery: Delivery, action: str, **values: Any) -> None:
        # ``attempts`` must still be what the worker read: a delivery another worker took over
        # after this one's lease ran out is not moved twice.
        await DELIVERIES.move(self.session, delivery, action, unchanged=("attempts",), **values)
