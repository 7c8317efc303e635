from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, Request

from wenze.auth import Principal, require
from wenze.auth.capabilities import MATTER_SUBMIT, RULES_ADMIN
from wenze.http.audit import ClientAddress
from wenze_notification.deliveries.schemas import AttemptRead, DeliveryLogRead, DeliveryRead
from wenze_notification.deliveries.service import DeliveryService

router = APIRouter(prefix="/v1", tags=["deliveries"])
Operator = Annotated[Principal, Depends(require(RULES_ADMIN))]
Integrator = Annotated[Principal, Depends(require(MATTER_SUBMIT))]


async def delivery_service(request: Request) -> DeliveryService:
    return request.app.state.deliveries


Service = Annotated[DeliveryService, Depends(delivery_service)]


@router.get(
    "/deliveries",
    response_model=list[DeliveryRead],
    summary="The tenant's deliveries, newest first; `state=dead` is the dead-letter list",
)
async def list_deliveries(
    service: Service,
    principal: Operator,
    state: Annotated[Literal["pending", "delivered", "dead"] | None, Query()] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> list[DeliveryRead]:
    return [DeliveryRead.of(d, n) for d, n in await service.listed(principal, state, limit)]


@router.get("/deliveries/{delivery_id}/attempts", response_model=DeliveryLogRead, summary="Every attempt of a delivery")
async def delivery_attempts(delivery_id: str, service: Service, principal: Operator) -> DeliveryLogRead:
    delivery, attempts = await service.attempts(principal, delivery_id)
    return DeliveryLogRead(
        delivery_id=delivery.id, state=delivery.state, attempts=[AttemptRead.model_validate(a) for a in attempts]
    )


@router.post(
    "/deliveries/{delivery_id}/redrive",
    response_model=DeliveryRead,
    summary="Send a dead-lettered delivery again (same idempotency key, a fresh round of attempts)",
)
async def redrive(delivery_id: str, service: Service, principal: Operator, address: ClientAddress) -> DeliveryRead:
    return DeliveryRead.of(*await service.redrive(principal, delivery_id, client_address=address))


@router.get(
    "/subscriptions/{subscription_id}/deliveries",
    response_model=list[DeliveryRead],
    tags=["webhooks"],
    summary="The delivery log of one of the caller's webhook subscriptions",
)
async def subscription_deliveries(
    subscription_id: str,
    service: Service,
    principal: Integrator,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> list[DeliveryRead]:
    return [DeliveryRead.of(d, n) for d, n in await service.subscription_log(principal, subscription_id, limit)]
