from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request

from wenze.auth import Principal, require
from wenze.auth.capabilities import DECISION_MAKE, MATTER_READ
from wenze.http.audit import client_address
from wenze.http.idempotency import Idempotency
from wenze_sanction_execution.appeals.schemas import AppealCreate, AppealOutcome, AppealRead
from wenze_sanction_execution.appeals.service import AppealService

router = APIRouter(prefix="/v1", tags=["appeals"])


async def appeal_service(request: Request) -> AppealService:
    return request.app.state.appeals


Service = Annotated[AppealService, Depends(appeal_service)]
Reader = Annotated[Principal, Depends(require(MATTER_READ))]


@router.post(
    "/appeals",
    response_model=AppealRead,
    status_code=201,
    summary="Record an appeal (申诉) lodged within the pack's window; late ones are refused with the last day",
)
async def file_appeal(
    data: AppealCreate, request: Request, service: Service, principal: Reader, idempotency: Idempotency
) -> AppealRead:
    return AppealRead.model_validate(
        await service.file(principal, data, idempotency, client_address=client_address(request))
    )


@router.get("/appeals/{appeal_id}", response_model=AppealRead, summary="One appeal")
async def get_appeal(appeal_id: str, request: Request, service: Service, principal: Reader) -> AppealRead:
    return await service.get(principal, appeal_id, client_address=client_address(request))


@router.post(
    "/appeals/{appeal_id}/outcome",
    response_model=AppealRead,
    summary="Record the outcome of an appeal: upheld, varied (with the measures now imposed) or revoked",
)
async def decide_appeal(
    appeal_id: str,
    data: AppealOutcome,
    request: Request,
    service: Service,
    principal: Annotated[Principal, Depends(require(DECISION_MAKE))],
    idempotency: Idempotency,
) -> AppealRead:
    return AppealRead.model_validate(
        await service.decide(principal, appeal_id, data, idempotency, client_address=client_address(request))
    )
