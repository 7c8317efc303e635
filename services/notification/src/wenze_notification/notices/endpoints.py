from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, Request

from wenze.auth import Principal, get_principal
from wenze.http.audit import ClientAddress
from wenze_notification.notices.schemas import NoticeRead
from wenze_notification.notices.service import NoticeService

router = APIRouter(prefix="/v1", tags=["inbox"])
Caller = Annotated[Principal, Depends(get_principal)]


async def notice_service(request: Request) -> NoticeService:
    return request.app.state.notices


Service = Annotated[NoticeService, Depends(notice_service)]


@router.get(
    "/notices",
    response_model=list[NoticeRead],
    summary="The caller's inbox: notices to the caller's office (`box=office`), to the caller (`personal`), or both",
)
async def list_notices(
    service: Service,
    principal: Caller,
    box: Annotated[Literal["office", "personal", "all"], Query()] = "all",
    state: Annotated[Literal["unread", "read"] | None, Query()] = None,
    notice: Annotated[str | None, Query(max_length=60, pattern=r"^[a-z][a-z0-9_]*$")] = None,
    matter_id: Annotated[str | None, Query(max_length=36)] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> list[NoticeRead]:
    rows = await service.inbox(principal, box, state=state, notice=notice, matter_id=matter_id, limit=limit)
    return [NoticeRead.model_validate(n) for n in rows]


@router.get("/notices/{notice_id}", response_model=NoticeRead, summary="One notice of the caller's inbox")
async def get_notice(notice_id: str, service: Service, principal: Caller) -> NoticeRead:
    return NoticeRead.model_validate(await service.get(principal, notice_id))


@router.post("/notices/{notice_id}/read", response_model=NoticeRead, summary="Mark a notice of the caller's inbox read")
async def read_notice(notice_id: str, service: Service, principal: Caller, address: ClientAddress) -> NoticeRead:
    return NoticeRead.model_validate(await service.mark(principal, notice_id, "read", client_address=address))


@router.post(
    "/notices/{notice_id}/unread", response_model=NoticeRead, summary="Mark a notice of the caller's inbox unread again"
)
async def unread_notice(notice_id: str, service: Service, principal: Caller, address: ClientAddress) -> NoticeRead:
    return NoticeRead.model_validate(await service.mark(principal, notice_id, "unread", client_address=address))
