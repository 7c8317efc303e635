from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request

from wenze.auth import Principal, require
from wenze.auth.capabilities import MATTER_READ
from wenze_reporting.ledger.models import CODE_LENGTH
from wenze_reporting.progress.schemas import ProgressList, ProgressRead, Stage
from wenze_reporting.progress.service import ProgressService

router = APIRouter(prefix="/v1/matters", tags=["matter progress"])
# Progress is what the matter's readers see of it: the matter capability, not the reports'.
Reader = Annotated[Principal, Depends(require(MATTER_READ))]
# A work view shows one screen of matters; a longer list is paged.
PAGE_LIMIT = 200
# Deeper than this a work view is a search, which this list is not.
MAX_OFFSET = 10_000


async def progress_service(request: Request) -> ProgressService:
    return request.app.state.progress


Service = Annotated[ProgressService, Depends(progress_service)]


@router.get(
    "/progress",
    response_model=ProgressList,
    summary="Matters the caller may read with where each is now, most recently moved first",
)
async def matters_progress(
    service: Service,
    principal: Reader,
    office: Annotated[
        str | None,
        Query(min_length=1, max_length=CODE_LENGTH, description="only matters this office holds now (its code)"),
    ] = None,
    stage: Annotated[Stage | None, Query(description="only matters in this stage")] = None,
    limit: Annotated[int, Query(ge=1, le=PAGE_LIMIT, description=f"page size, at most {PAGE_LIMIT}")] = 50,
    offset: Annotated[int, Query(ge=0, le=MAX_OFFSET, description="matters to skip")] = 0,
) -> ProgressList:
    return await service.matters(principal, office=office, stage=stage, limit=limit, offset=offset)


@router.get(
    "/{matter_id}/progress",
    response_model=ProgressRead,
    summary="Where the matter is now across every service, and its timeline from all of them",
)
async def matter_progress(matter_id: str, service: Service, principal: Reader) -> ProgressRead:
    return await service.matter(principal, matter_id)
