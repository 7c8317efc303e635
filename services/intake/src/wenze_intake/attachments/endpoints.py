from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request, status
from pydantic import BaseModel

from wenze.auth import Principal, require
from wenze.auth.capabilities import MATTER_SUBMIT
from wenze.problems import PayloadTooLarge
from wenze_intake.attachments.service import AttachmentService
from wenze_intake.audit import Caller

router = APIRouter(prefix="/v1/attachments", tags=["attachments"])


class AttachmentStored(BaseModel):
    sha256: str
    size: int


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    response_model=AttachmentStored,
    summary="Upload an attachment's content (raw body); reference it by sha256 in a matter of the same tenant",
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"application/octet-stream": {"schema": {"type": "string", "format": "binary"}}},
        }
    },
)
async def upload_attachment(
    request: Request, principal: Annotated[Principal, Depends(require(MATTER_SUBMIT))]
) -> AttachmentStored:
    service: AttachmentService = request.app.state.attachments
    try:
        sha, size = await service.upload(Caller.of(principal, request), request.stream())
    except OverflowError:
        raise PayloadTooLarge(f"attachments are limited to {service.max_bytes} bytes") from None
    return AttachmentStored(sha256=sha, size=size)
