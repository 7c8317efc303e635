from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response, status

from wenze.auth import Principal, require
from wenze.auth.capabilities import MATTER_ACCEPT, MATTER_READ, MATTER_SUBMIT
from wenze.http.idempotency import Idempotency
from wenze_intake.audit import Caller
from wenze_intake.matters.schemas import (
    AcceptanceCreate,
    MatterCreate,
    MatterFilters,
    MatterPage,
    MatterRead,
    TimelineEntryRead,
)
from wenze_intake.matters.service import MatterService

router = APIRouter(prefix="/v1", tags=["matters"])


async def matter_service(request: Request) -> MatterService:
    return request.app.state.matters


Service = Annotated[MatterService, Depends(matter_service)]


@router.get("/sources", summary="Intake sources of the caller's tenant, with the article each rests on")
async def list_sources(service: Service, principal: Annotated[Principal, Depends(require(MATTER_READ))]) -> list[dict]:
    return [s.model_dump(mode="json") for s in service.sources(principal)]


@router.post(
    "/matters", status_code=status.HTTP_201_CREATED, response_model=MatterRead, summary="Submit one matter (问责事项)"
)
async def submit_matter(
    data: MatterCreate,
    request: Request,
    response: Response,
    service: Service,
    principal: Annotated[Principal, Depends(require(MATTER_SUBMIT))],
    idempotency: Idempotency,
) -> MatterRead:
    matter = await service.submit(Caller.of(principal, request), data, idempotency)
    response.headers["Location"] = f"/v1/matters/{matter.id}"
    return matter


@router.get(
    "/matters",
    response_model=MatterPage,
    summary="List the matters the caller may read, with filters and cursor pagination",
)
async def list_matters(
    request: Request,
    service: Service,
    principal: Annotated[Principal, Depends(require(MATTER_READ))],
    filters: Annotated[MatterFilters, Query()],
    cursor: Annotated[str | None, Query(max_length=200)] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> MatterPage:
    return await service.list_matters(Caller.of(principal, request), filters, cursor, limit)


@router.get("/matters/{matter_id}", response_model=MatterRead, summary="One matter the caller may read")
async def get_matter(
    matter_id: str,
    request: Request,
    service: Service,
    principal: Annotated[Principal, Depends(require(MATTER_READ))],
) -> MatterRead:
    return await service.get(Caller.of(principal, request), matter_id)


@router.get(
    "/matters/{matter_id}/timeline",
    response_model=list[TimelineEntryRead],
    summary="Every state change of the matter, with who and when",
)
async def matter_timeline(
    matter_id: str,
    request: Request,
    service: Service,
    principal: Annotated[Principal, Depends(require(MATTER_READ))],
) -> list[TimelineEntryRead]:
    return await service.timeline(Caller.of(principal, request), matter_id)


@router.post(
    "/matters/{matter_id}/acceptance",
    response_model=MatterRead,
    summary="Record the accepting office's collective-study outcome (受理); honours Idempotency-Key",
)
async def decide_acceptance(
    matter_id: str,
    data: AcceptanceCreate,
    request: Request,
    service: Service,
    principal: Annotated[Principal, Depends(require(MATTER_ACCEPT))],
    idempotency: Idempotency,
) -> MatterRead:
    return await service.decide_acceptance(Caller.of(principal, request), matter_id, data, idempotency)
