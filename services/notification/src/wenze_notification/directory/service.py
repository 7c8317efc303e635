"""The directory: where each party's notices are e-mailed (kept by the tenant's administrators)
and the integrators' webhook subscriptions (each kept by the integrator that made it)."""

from __future__ import annotations

import secrets
from typing import Any

from wenze.auth.principal import Principal
from wenze.db.base import utcnow
from wenze.db.idempotency import IdempotentRequest, run_once
from wenze.ids import new_id
from wenze_notification.audit import audit
from wenze_notification.directory.models import Contact, Subscription, SubscriptionState
from wenze_notification.directory.schemas import ContactCreate, ContactRead, SubscriptionCreate, SubscriptionRead
from wenze_notification.errors import ContactExists, ContactNotFound, SubscriptionNotFound, found
from wenze_notification.repositories import NotificationUnitOfWork, NotificationUnitOfWorkFactory, kept


class DirectoryService:
    def __init__(self, uow: NotificationUnitOfWorkFactory) -> None:
        self.uow = uow

    async def contacts(self, principal: Principal) -> list[Contact]:
        async with self.uow() as uow:
            return kept(uow, await uow.repos.directory.contacts(principal.tenant))

    async def add_contact(
        self,
        principal: Principal,
        data: ContactCreate,
        idempotency: IdempotentRequest | None,
        *,
        client_address: str | None,
    ) -> dict[str, Any]:
        async def act(uow: NotificationUnitOfWork) -> dict[str, Any]:
            known = await uow.repos.directory.contacts(principal.tenant, [data.party])
            if any(c.email == data.email for c in known):
                raise ContactExists(f"{data.email} is already a contact of {data.party}")
            contact = Contact(id=new_id(), tenant=principal.tenant, created_at=utcnow(), **data.model_dump())
            uow.repos.directory.add_contact(contact)
            await uow.repos.audit.append(
                principal.tenant,
                [audit(principal, client_address, "contact.add", "contact", contact.id, party=contact.party)],
            )
            return ContactRead.model_validate(contact).model_dump(mode="json")

        return await run_once(self.uow, idempotency, act, status_code=201)

    async def remove_contact(self, principal: Principal, contact_id: str, *, client_address: str | None) -> None:
        async with self.uow() as uow:
            contact = await found(
                contact_id,
                ContactNotFound,
                "contact",
                lambda: uow.repos.directory.contact(principal.tenant, contact_id),
            )
            await uow.repos.directory.remove_contact(contact)
            await uow.repos.audit.append(
                principal.tenant,
                [audit(principal, client_address, "contact.remove", "contact", contact.id, party=contact.party)],
            )
            await uow.commit()

    async def subscribe(
        self,
        principal: Principal,
        data: SubscriptionCreate,
        idempotency: IdempotentRequest | None,
        *,
        client_address: str | None,
    ) -> dict[str, Any]:
        """The new subscription with its secret: the one answer that shows it (a retry with the
        same ``Idempotency-Key`` gets the same answer)."""

        async def act(uow: NotificationUnitOfWork) -> dict[str, Any]:
            subscription = Subscription(
                id=new_id(),
                tenant=principal.tenant,
                owner=principal.username,
                url=str(data.url),
                notices=list(data.notices),
                parties=list(data.parties),
                secret=secrets.token_urlsafe(32),
                state=SubscriptionState.ACTIVE,
                created_at=utcnow(),
            )
            uow.repos.directory.add_subscription(subscription)
            await uow.repos.audit.append(
                principal.tenant,
                [audit(principal, client_address, "subscription.create", "subscription", subscription.id)],
            )
            read = SubscriptionRead.model_validate(subscription).model_dump(mode="json")
            return {**read, "secret": subscription.secret}

        return await run_once(self.uow, idempotency, act, status_code=201)

    async def subscriptions(self, principal: Principal) -> list[Subscription]:
        async with self.uow() as uow:
            return kept(uow, await uow.repos.directory.subscriptions_of(principal.tenant, principal.username))

    async def cancel(self, principal: Principal, subscription_id: str, *, client_address: str | None) -> Subscription:
        async with self.uow() as uow:
            subscription = await found(
                subscription_id,
                SubscriptionNotFound,
                "subscription",
                lambda: uow.repos.directory.subscription_of(principal.tenant, principal.username, subscription_id),
            )
            await uow.repos.directory.cancel(subscription)
            await uow.repos.audit.append(
                principal.tenant,
                [audit(principal, client_address, "subscription.cancel", "subscription", subscription.id)],
            )
            await uow.commit()
            return kept(uow, subscription)
