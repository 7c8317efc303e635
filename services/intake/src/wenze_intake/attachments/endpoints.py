from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request, status
from pydantic import BaseModel

from wenze.auth import Principal, require
from wenze.auth.capabilities import MATTER_SUBMIT
from wenze.problems import PayloadTooLarge

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
    store = request.app.state.attachments
    limit = request.app.state.settings.max_attachment_bytes
    try:
        sha, size = await store.put(principal.tenant, request.stream(), limit)
    except OverflowError:
        raise PayloadTooLarge(f"attachments are limited to {limit} bytes") from None
    return AttachmentStored(sha256=sha, size=size)
