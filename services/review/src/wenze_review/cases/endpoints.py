from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, status

from wenze.auth import Principal, require
from wenze.auth.capabilities import APPROVAL_SIGN, DECISION_MAKE, MATTER_READ
from wenze.http.audit import ClientAddress
from wenze.http.idempotency import Idempotency
from wenze_review.cases.schemas import (
    CaseApprovalCreate,
    CaseRead,
    DecisionCopyCreate,
    DecisionCreate,
    FindingsCreate,
    HearingCreate,
    RecommendationCreate,
)
from wenze_review.cases.service import CaseService

router = APIRouter(prefix="/v1", tags=["cases"])

# Each endpoint declares the capability its step needs; the office, the authority over the
# case's targets and the units are checked against the step (403 naming what it needs), once
# the caller is found to read the matter at all (404 otherwise).
Reader = Annotated[Principal, Depends(require(MATTER_READ))]
Approver = Annotated[Principal, Depends(require(APPROVAL_SIGN))]
Decider = Annotated[Principal, Depends(require(DECISION_MAKE))]


async def case_service(request: Request) -> CaseService:
    return request.app.state.cases


Service = Annotated[CaseService, Depends(case_service)]


@router.get(
    "/cases",
    response_model=list[CaseRead],
    summary="Cases concerning the caller's office (mine=false: every case it may read), optionally of one matter, "
    "oldest first",
)
async def list_cases(
    service: Service,
    principal: Reader,
    address: ClientAddress,
    matter_id: Annotated[str | None, Query(max_length=36)] = None,
    mine: Annotated[
        bool | None,
        Query(
            description="true: only cases of matters the caller's office is party to (the default, except when "
            "matter_id names a matter); false: every case the caller may read, its oversight and linked units included"
        ),
    ] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 100,
) -> list[CaseRead]:
    return await service.list_cases(principal, matter_id, limit, mine=mine, client_address=address)


@router.get("/cases/{case_id}", response_model=CaseRead)
async def get_case(case_id: str, service: Service, principal: Reader, address: ClientAddress) -> CaseRead:
    return await service.get(principal, case_id, client_address=address)


@router.post(
    "/cases/{case_id}/approvals",
    response_model=CaseRead,
    summary="Approval before the investigation starts (stage `start`) or before the decision (`decision`)",
)
async def approve_case(
    case_id: str,
    data: CaseApprovalCreate,
    service: Service,
    principal: Approver,
    idempotency: Idempotency,
    address: ClientAddress,
) -> CaseRead:
    return CaseRead.model_validate(await service.approve(principal, case_id, data, idempotency, client_address=address))


@router.post(
    "/investigations/{investigation_id}/findings",
    response_model=CaseRead,
    summary="The investigating office records its findings (and the targets it identified)",
)
async def record_findings(
    investigation_id: str,
    data: FindingsCreate,
    service: Service,
    principal: Reader,
    idempotency: Idempotency,
    address: ClientAddress,
) -> CaseRead:
    return CaseRead.model_validate(
        await service.record_findings(principal, investigation_id, data, idempotency, client_address=address)
    )


@router.post(
    "/cases/{case_id}/recommendations",
    response_model=CaseRead,
    summary="The handling office's preliminary recommendation (初步问责建议) for one target",
)
async def recommend(
    case_id: str,
    data: RecommendationCreate,
    service: Service,
    principal: Reader,
    idempotency: Idempotency,
    address: ClientAddress,
) -> CaseRead:
    return CaseRead.model_validate(
        await service.recommend(principal, case_id, data, idempotency, client_address=address)
    )


@router.post(
    "/cases/{case_id}/hearings",
    response_model=CaseRead,
    summary="The hearing of one target's statement and defence (陈述、申辩)",
)
async def hear(
    case_id: str,
    data: HearingCreate,
    service: Service,
    principal: Reader,
    idempotency: Idempotency,
    address: ClientAddress,
) -> CaseRead:
    return CaseRead.model_validate(await service.hear(principal, case_id, data, idempotency, client_address=address))


@router.post(
    "/cases/{case_id}/decision",
    response_model=CaseRead,
    status_code=status.HTTP_201_CREATED,
    summary="The written accountability decision (问责决定)",
)
async def decide(
    case_id: str,
    data: DecisionCreate,
    service: Service,
    principal: Decider,
    idempotency: Idempotency,
    address: ClientAddress,
) -> CaseRead:
    return CaseRead.model_validate(await service.decide(principal, case_id, data, idempotency, client_address=address))


@router.post(
    "/cases/{case_id}/decision/copies",
    response_model=CaseRead,
    summary="The deciding office records that it sent the decision materials where the rules say",
)
async def record_decision_copy(
    case_id: str,
    data: DecisionCopyCreate,
    service: Service,
    principal: Decider,
    idempotency: Idempotency,
    address: ClientAddress,
) -> CaseRead:
    return CaseRead.model_validate(
        await service.record_copy(principal, case_id, data, idempotency, client_address=address)
    )
