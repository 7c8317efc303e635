from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response

from wenze.auth import Principal, require
from wenze.auth.capabilities import CASE_LIBRARY_CURATE, REPORT_READ
from wenze.http.idempotency import Idempotency
from wenze_reporting.library.schemas import AnonymisedExport, CaseLibrary, MarkCreate, MarkRead, NoticeDraft
from wenze_reporting.library.service import LibraryService
from wenze_reporting.reports import exports
from wenze_reporting.reports.endpoints import ClientAddress, Month, Year

router = APIRouter(prefix="/v1/case-library", tags=["case library"])
Reader = Annotated[Principal, Depends(require(REPORT_READ))]
Curator = Annotated[Principal, Depends(require(CASE_LIBRARY_CURATE))]


async def library_service(request: Request) -> LibraryService:
    return request.app.state.library


Service = Annotated[LibraryService, Depends(library_service)]


@router.get("", response_model=CaseLibrary, summary="The month's decided cases, typical ones marked")
async def cases(
    service: Service,
    principal: Reader,
    year: Year,
    month: Month,
    typical: Annotated[bool, Query(description="only the cases marked typical")] = False,
) -> CaseLibrary:
    return await service.cases(principal, year, month, typical_only=typical)


@router.post(
    "/{decision_id}/typical",
    response_model=MarkRead,
    summary="Mark a decided case typical (典型案例), for the public notice",
)
async def mark_typical(
    decision_id: str,
    data: MarkCreate,
    service: Service,
    principal: Curator,
    idempotency: Idempotency,
    address: ClientAddress,
) -> MarkRead:
    body = await service.mark_typical(principal, decision_id, data.reason, idempotency, client_address=address)
    return MarkRead.model_validate(body)


@router.post("/{decision_id}/typical/withdraw", response_model=MarkRead, summary="Withdraw a case's typical mark")
async def withdraw_typical(
    decision_id: str, service: Service, principal: Curator, idempotency: Idempotency, address: ClientAddress
) -> MarkRead:
    return MarkRead.model_validate(await service.withdraw(principal, decision_id, idempotency, client_address=address))


@router.get(
    "/notice",
    response_model=NoticeDraft,
    summary="A draft public notice naming the month's typical cases (典型案例通报), for an editor to complete",
)
async def notice(service: Service, principal: Curator, year: Year, month: Month) -> NoticeDraft:
    return await service.notice(principal, year, month)


@router.get(
    "/anonymised",
    response_model=AnonymisedExport,
    summary="The month's cases without names, posts, units or numbers, for training (json or csv)",
)
async def anonymised(
    service: Service,
    principal: Reader,
    year: Year,
    month: Month,
    format: Annotated[str, Query(pattern="^(json|csv)$", description="json (default) or csv")] = "json",
) -> Response:
    export = await service.anonymised(principal, year, month)
    if format == "csv":
        return Response(
            exports.to_csv(export),
            media_type=exports.MEDIA_TYPES["csv"],
            headers={"Content-Disposition": f'attachment; filename="{principal.tenant}-cases-{year}-{month:02d}.csv"'},
        )
    return Response(exports.to_json(export), media_type=exports.MEDIA_TYPES["json"])
