from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from wenze_notification.directory.models import SUBSCRIPTIONS, Contact, Subscription, SubscriptionState


class DirectoryRepository:
    """Contacts (where a party's notices are e-mailed) and integrators' webhook subscriptions."""

    def __init__(self, session: AsyncSession):
        self.session = session

    async def contacts(self, tenant: str, parties: Iterable[str] | None = None) -> list[Contact]:
        query = select(Contact).where(Contact.tenant == tenant)
        if parties is not None:
            query = query.where(Contact.party.in_(list(parties)))
        return list(await self.session.scalars(query.order_by(Contact.party, Contact.email)))

    async def contact(self, tenant: str, contact_id: str) -> Contact | None:
        return await self.session.scalar(select(Contact).where(Contact.tenant == tenant, Contact.id == contact_id))

    def add_contact(self, contact: Contact) -> None:
        self.session.add(contact)

    async def remove_contact(self, contact: Contact) -> None:
        await self.session.execute(delete(Contact).where(Contact.id == contact.id, Contact.tenant == contact.tenant))

    def add_subscription(self, subscription: Subscription) -> None:
        self.session.add(subscription)

    async def subscriptions_of(self, tenant: str, owner: str) -> list[Subscription]:
        return list(
            await self.session.scalars(
                select(Subscription)
                .where(Subscription.tenant == tenant, Subscription.owner == owner)
                .order_by(Subscription.created_at)
            )
        )

    async def subscription_of(self, tenant: str, owner: str, subscription_id: str) -> Subscription | None:
        return await self.session.scalar(
            select(Subscription).where(
                Subscription.tenant == tenant, Subscription.owner == owner, Subscription.id == subscription_id
            )
        )

    async def active_subscriptions(self, tenant: str) -> list[Subscription]:
        return list(
            await self.session.scalars(
                select(Subscription).where(
                    Subscription.tenant == tenant, Subscription.state == SubscriptionState.ACTIVE
                )
            )
        )

    async def cancel(self, subscription: Subscription) -> None:
        await SUBSCRIPTIONS.move(self.session, subscription, "cancel")
