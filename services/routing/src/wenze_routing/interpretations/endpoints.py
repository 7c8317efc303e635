from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Request, Response, status

from wenze.auth import Principal, get_principal, require
from wenze.auth.capabilities import RULES_ADMIN
from wenze.http.audit import client_address
from wenze_routing.interpretations.schemas import PointRead, PointsRead, ReadingChoiceCreate, ReadingChoiceRead
from wenze_routing.interpretations.service import InterpretationService

router = APIRouter(prefix="/v1/rules/points", tags=["rules"])


async def interpretation_service(request: Request) -> InterpretationService:
    return request.app.state.interpretations


Service = Annotated[InterpretationService, Depends(interpretation_service)]
# Every user of a tenant may see which reading its commission follows; choosing takes rules:admin.
Caller = Annotated[Principal, Depends(get_principal)]
PointId = Annotated[str, Path(max_length=80, description="an interpretation point of the caller's tenant's pack")]
On = Annotated[
    dt.date | None, Query(description="the relevant date the reading in force is answered for; default today")
]


@router.get(
    "",
    response_model=PointsRead,
    summary="The interpretation points of the caller's tenant's pack, with the reading in force and every choice",
)
async def list_points(service: Service, principal: Caller, on: On = None) -> PointsRead:
    return await service.points(principal, on)


@router.get("/{point}", response_model=PointRead, summary="One interpretation point with its choices")
async def get_point(point: PointId, service: Service, principal: Caller, on: On = None) -> PointRead:
    return await service.point(principal, point, on)


@router.post(
    "/{point}/choices",
    response_model=ReadingChoiceRead,
    status_code=status.HTTP_201_CREATED,
    summary="Rules administrators: choose the reading the tenant follows for the point, from a date",
)
async def choose_reading(
    point: PointId,
    data: ReadingChoiceCreate,
    request: Request,
    response: Response,
    service: Service,
    principal: Annotated[Principal, Depends(require(RULES_ADMIN))],
) -> ReadingChoiceRead:
    chosen = await service.choose(principal, point, data, client_address=client_address(request))
    response.headers["Location"] = f"/v1/rules/points/{chosen.point}"
    return chosen
