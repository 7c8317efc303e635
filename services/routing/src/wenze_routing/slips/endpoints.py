from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request

from wenze.auth import Principal, require
from wenze.auth.capabilities import MATTER_READ, ROUTING_OVERRIDE
from wenze.http.audit import client_address
from wenze.http.idempotency import Idempotency
from wenze_routing.slips.models import SlipState
from wenze_routing.slips.schemas import OverrideCreate, SlipEventRead, SlipRead
from wenze_routing.slips.service import RoutingService

router = APIRouter(prefix="/v1", tags=["routing slips"])


async def routing_service(request: Request) -> RoutingService:
    return request.app.state.routing


Service = Annotated[RoutingService, Depends(routing_service)]
# Reading needs matter:read; which slips a reader sees follows its office and authority
# (wenze.auth.access): a slip it may not read is not found.
Reader = Annotated[Principal, Depends(require(MATTER_READ))]


@router.get(
    "/slips",
    response_model=list[SlipRead],
    summary="Routing slips concerning the caller's office (mine=false: every slip it may read), oldest first",
)
async def list_slips(
    request: Request,
    service: Service,
    principal: Reader,
    matter_id: Annotated[str | None, Query(max_length=36)] = None,
    state: SlipState | None = None,
    mine: Annotated[
        bool | None,
        Query(
            description="true: only slips naming the caller's office (and, for an office holding routing:override, "
            "those awaiting a handler); the default, except when matter_id names a matter; false: every slip the "
            "caller may read"
        ),
    ] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> list[SlipRead]:
    return await service.list_slips(
        principal, matter_id, state, limit, mine=mine, client_address=client_address(request)
    )


@router.get("/slips/{slip_id}", response_model=SlipRead, summary="One routing slip with its explanation")
async def get_slip(slip_id: str, request: Request, service: Service, principal: Reader) -> SlipRead:
    return await service.get(principal, slip_id, client_address=client_address(request))


@router.get(
    "/slips/{slip_id}/timeline",
    response_model=list[SlipEventRead],
    summary="Every change of the slip: who, when, and the articles behind it",
)
async def slip_timeline(slip_id: str, request: Request, service: Service, principal: Reader) -> list[SlipEventRead]:
    return await service.timeline(principal, slip_id, client_address=client_address(request))


@router.post(
    "/slips/{slip_id}/override",
    response_model=SlipRead,
    summary="Set the handler against the rules' outcome, with a written reason",
)
async def override_slip(
    slip_id: str,
    data: OverrideCreate,
    request: Request,
    service: Service,
    principal: Annotated[Principal, Depends(require(ROUTING_OVERRIDE))],
    idempotency: Idempotency,
) -> SlipRead:
    overridden = await service.override(
        principal, slip_id, data.handler, data.reason, idempotency, client_address=client_address(request)
    )
    return SlipRead.model_validate(overridden)
