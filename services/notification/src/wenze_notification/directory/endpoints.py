from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response

from wenze.auth import Principal, require
from wenze.auth.capabilities import MATTER_SUBMIT, RULES_ADMIN
from wenze.http.audit import ClientAddress
from wenze.http.idempotency import Idempotency
from wenze_notification.directory.schemas import (
    ContactCreate,
    ContactRead,
    SubscriptionCreate,
    SubscriptionCreated,
    SubscriptionRead,
)
from wenze_notification.directory.service import DirectoryService

router = APIRouter(prefix="/v1")
Administrator = Annotated[Principal, Depends(require(RULES_ADMIN))]
Integrator = Annotated[Principal, Depends(require(MATTER_SUBMIT))]


async def directory_service(request: Request) -> DirectoryService:
    return request.app.state.directory


Service = Annotated[DirectoryService, Depends(directory_service)]


@router.get(
    "/contacts", response_model=list[ContactRead], tags=["directory"], summary="Where each party's notices are e-mailed"
)
async def list_contacts(service: Service, principal: Administrator) -> list[ContactRead]:
    return [ContactRead.model_validate(c) for c in await service.contacts(principal)]


@router.post(
    "/contacts",
    response_model=ContactRead,
    status_code=201,
    tags=["directory"],
    summary="E-mail a party's notices to one more address",
)
async def add_contact(
    data: ContactCreate, service: Service, principal: Administrator, idempotency: Idempotency, address: ClientAddress
) -> ContactRead:
    added = await service.add_contact(principal, data, idempotency, client_address=address)
    return ContactRead.model_validate(added)


@router.delete(
    "/contacts/{contact_id}", status_code=204, tags=["directory"], summary="Stop e-mailing a party at this address"
)
async def remove_contact(
    contact_id: str, service: Service, principal: Administrator, address: ClientAddress
) -> Response:
    await service.remove_contact(principal, contact_id, client_address=address)
    return Response(status_code=204)


@router.post(
    "/subscriptions",
    response_model=SubscriptionCreated,
    status_code=201,
    tags=["webhooks"],
    summary="Subscribe a webhook to notices; the answer shows its signing secret, this once",
)
async def subscribe(
    data: SubscriptionCreate, service: Service, principal: Integrator, idempotency: Idempotency, address: ClientAddress
) -> SubscriptionCreated:
    return SubscriptionCreated.model_validate(
        await service.subscribe(principal, data, idempotency, client_address=address)
    )


@router.get(
    "/subscriptions",
    response_model=list[SubscriptionRead],
    tags=["webhooks"],
    summary="The caller's webhook subscriptions",
)
async def list_subscriptions(service: Service, principal: Integrator) -> list[SubscriptionRead]:
    return [SubscriptionRead.model_validate(s) for s in await service.subscriptions(principal)]


@router.post(
    "/subscriptions/{subscription_id}/cancel",
    response_model=SubscriptionRead,
    tags=["webhooks"],
    summary="Stop a webhook subscription; deliveries already made still go out",
)
async def cancel_subscription(
    subscription_id: str, service: Service, principal: Integrator, address: ClientAddress
) -> SubscriptionRead:
    return SubscriptionRead.model_validate(await service.cancel(principal, subscription_id, client_address=address))
