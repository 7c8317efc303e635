from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request

from wenze.auth import Principal, require
from wenze.auth.capabilities import APPROVAL_SIGN, MATTER_READ
from wenze.http.audit import ClientAddress
from wenze.http.idempotency import Idempotency
from wenze_review.deliberations.schemas import ApprovalCreate, DeliberationRead, EscalationCreate, SignatureCreate
from wenze_review.deliberations.service import KINDS, DeliberationService

router = APIRouter(prefix="/v1", tags=["consultations and joint reviews"])

Reader = Annotated[Principal, Depends(require(MATTER_READ))]
Approver = Annotated[Principal, Depends(require(APPROVAL_SIGN))]


async def deliberation_service(request: Request) -> DeliberationService:
    return request.app.state.deliberations


Service = Annotated[DeliberationService, Depends(deliberation_service)]


# Each endpoint declares the capability its step needs; the office, the authority over the
# targets and the units are checked against the step itself (403 naming what it needs), once
# the caller is found to read the matter at all (404 otherwise).
for kind, plural in (("consultation", "consultations"), ("joint_review", "joint-reviews")):

    def _routes(kind: str = kind, plural: str = plural) -> None:
        # Annotations are evaluated in the module's namespace: the kind's dependency is a default.
        signer = Depends(require(KINDS[kind].sign_capability))

        @router.get(
            f"/{plural}/{{deliberation_id}}",
            response_model=DeliberationRead,
            name=f"get_{kind}",
            summary=f"One {kind} with its signatures, approvals and escalation levels",
        )
        async def read(
            deliberation_id: str, service: Service, principal: Reader, address: ClientAddress
        ) -> DeliberationRead:
            return await service.get(principal, kind, deliberation_id, client_address=address)

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
            idempotency: Idempotency,
            address: ClientAddress,
            principal: Principal = signer,
        ) -> DeliberationRead:
            return DeliberationRead.model_validate(
                await service.sign(principal, kind, deliberation_id, data, idempotency, client_address=address)
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
            principal: Approver,
            idempotency: Idempotency,
            address: ClientAddress,
        ) -> DeliberationRead:
            return DeliberationRead.model_validate(
                await service.approve(principal, kind, deliberation_id, data, idempotency, client_address=address),
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
            principal: Approver,
            idempotency: Idempotency,
            address: ClientAddress,
        ) -> DeliberationRead:
            return DeliberationRead.model_validate(
                await service.escalate(principal, kind, deliberation_id, data, idempotency, client_address=address),
            )

    _routes()
