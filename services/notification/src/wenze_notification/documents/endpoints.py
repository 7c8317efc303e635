from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, Request, Response

from wenze.auth import Principal, require
from wenze.auth.capabilities import MATTER_READ
from wenze.http.audit import ClientAddress
from wenze_notification.documents.schemas import DocumentCreate, DocumentRead
from wenze_notification.documents.service import DocumentService

router = APIRouter(prefix="/v1", tags=["documents"])
Reader = Annotated[Principal, Depends(require(MATTER_READ))]
MEDIA_TYPES = {
    "pdf": "application/pdf",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
}


async def document_service(request: Request) -> DocumentService:
    return request.app.state.documents


Service = Annotated[DocumentService, Depends(document_service)]


@router.post(
    "/matters/{matter_id}/documents",
    response_model=DocumentRead,
    status_code=201,
    summary="Issue a form of the pack for the matter (分办单, 会商表, 会审表, 组织处理建议函), numbered once",
)
async def issue_document(
    matter_id: str, data: DocumentCreate, service: Service, principal: Reader, address: ClientAddress
) -> DocumentRead:
    return DocumentRead.model_validate(
        await service.issue(principal, matter_id, data.kind, data.target, client_address=address)
    )


@router.get(
    "/matters/{matter_id}/documents", response_model=list[DocumentRead], summary="The documents issued for the matter"
)
async def list_documents(matter_id: str, service: Service, principal: Reader) -> list[DocumentRead]:
    return [DocumentRead.model_validate(d) for d in await service.of_matter(principal, matter_id)]


@router.get(
    "/matters/{matter_id}/documents/{kind}.{fmt}",
    response_class=Response,
    responses={200: {"content": {t: {} for t in MEDIA_TYPES.values()}}},
    summary="An issued document rendered as PDF or DOCX",
)
async def render_document(
    matter_id: str,
    kind: str,
    fmt: Literal["pdf", "docx"],
    service: Service,
    principal: Reader,
    target: Annotated[str | None, Query(max_length=100)] = None,
) -> Response:
    content = await service.rendered(principal, matter_id, kind, target or "", fmt)
    return Response(
        content,
        media_type=MEDIA_TYPES[fmt],
        headers={"Content-Disposition": f'attachment; filename="{kind}.{fmt}"'},
    )
