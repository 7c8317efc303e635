from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request

from wenze.auth import Principal, get_principal, require
from wenze.auth.capabilities import MATTER_READ
from wenze.http.idempotency import Idempotency
from wenze_review.deliberations.schemas import ApprovalCreate, DeliberationRead, EscalationCreate, SignatureCreate
from wenze_review.deliberations.service import DeliberationService

router = APIRouter(prefix="/v1", tags=["consultations and joint reviews"])

Caller = Annotated[Principal, Depends(get_principal)]


async def deliberation_service(request: Request) -> DeliberationService:
    return request.app.state.deliberations


Service = Annotated[DeliberationService, Depends(deliberation_service)]


# Office and capability are checked against the step itself (see access.authorise), so the
# acting endpoints take any authenticated caller and answer 403 naming what the step needs.
for kind, plural in (("consultation", "consultations"), ("joint_review", "joint-reviews")):

    def _routes(kind: str = kind, plural: str = plural) -> None:
        @router.get(
            f"/{plural}/{{deliberation_id}}",
            response_model=DeliberationRead,
            name=f"get_{kind}",
            summary=f"One {kind} with its signatures, approvals and escalation levels",
        )
        async def read(
            deliberation_id: str, service: Service, principal: Annotated[Principal, Depends(require(MATTER_READ))]
        ) -> DeliberationRead:
            return await service.get(principal, kind, deliberation_id)

        @router.post(
            f"/{plural}/{{deliberation_id}}/signatures",
            response_model=DeliberationRead,
            name=f"sign_{kind}",
            summary="A participant office records its opinion and signs",
        )
        async def sign(
            deliberation_id: str,
            data: SignatureCreate,
            service: Service,
            principal: Caller,
            idempotency: Idempotency,
        ) -> DeliberationRead:
            return DeliberationRead.model_validate(
                await service.sign(principal, kind, deliberation_id, data, idempotency)
            )

        @router.post(
            f"/{plural}/{{deliberation_id}}/approvals",
            response_model=DeliberationRead,
            name=f"approve_{kind}",
            summary="A leader or body named by the rules approves the agreed opinion",
        )
        async def approve(
            deliberation_id: str,
            data: ApprovalCreate,
            service: Service,
            principal: Caller,
            idempotency: Idempotency,
        ) -> DeliberationRead:
            return DeliberationRead.model_validate(
                await service.approve(principal, kind, deliberation_id, data, idempotency),
            )

        @router.post(
            f"/{plural}/{{deliberation_id}}/escalations",
            response_model=DeliberationRead,
            name=f"escalate_{kind}",
            summary="The current escalation level decides or finds no agreement",
        )
        async def escalate(
            deliberation_id: str,
            data: EscalationCreate,
            service: Service,
            principal: Caller,
            idempotency: Idempotency,
        ) -> DeliberationRead:
            return DeliberationRead.model_validate(
                await service.escalate(principal, kind, deliberation_id, data, idempotency),
            )

    _routes()
