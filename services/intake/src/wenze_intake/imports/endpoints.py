from __future__ import annotations

from typing import Annotated
from urllib.parse import unquote

from fastapi import APIRouter, Depends, Header, Query, Request, Response, status

from wenze.auth import Principal, require
from wenze.auth.capabilities import MATTER_ACCEPT, MATTER_BULK, MATTER_READ
from wenze.http.idempotency import UploadIdempotency
from wenze.problems import invalid
from wenze_intake.audit import Caller
from wenze_intake.imports.schemas import (
    ImportAcceptanceCreate,
    ImportAcceptanceRead,
    ImportJobRead,
    ImportRowErrorPage,
)
from wenze_intake.imports.service import ImportService

router = APIRouter(prefix="/v1/matter-imports", tags=["bulk import"])


async def import_service(request: Request) -> ImportService:
    return request.app.state.imports


Service = Annotated[ImportService, Depends(import_service)]


def file_name(
    encoded: Annotated[
        str | None,
        Header(
            alias="X-Filename",
            max_length=255,
            description="the file's name, percent-encoded UTF-8 (a header is ASCII on the wire)",
        ),
    ] = None,
) -> str | None:
    """The uploaded file's name as its owner named it (线索.csv, not %E7%BA%BF%E7%B4%A2.csv)."""
    if encoded is None:
        return None
    name = unquote(encoded, errors="replace")
    if not name.isprintable():
        raise invalid(
            "header.X-Filename", "the file name holds characters that cannot be shown", code="unprintable_filename"
        )
    return name


@router.post(
    "",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=ImportJobRead,
    summary="Start a bulk import (JSON Lines, CSV or XLSX as the raw request body); honours Idempotency-Key",
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "application/x-ndjson": {"schema": {"type": "string"}},
                "text/csv": {"schema": {"type": "string"}},
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": {
                    "schema": {"type": "string", "format": "binary"}
                },
            },
        }
    },
)
async def start_import(
    request: Request,
    response: Response,
    service: Service,
    principal: Annotated[Principal, Depends(require(MATTER_BULK))],
    idempotency: UploadIdempotency,
    filename: Annotated[str | None, Depends(file_name)],
) -> ImportJobRead:
    content_type = request.headers.get("content-type")
    job = await service.create(Caller.of(principal, request), request.stream(), content_type, filename, idempotency)
    response.headers["Location"] = f"/v1/matter-imports/{job.id}"
    return job


@router.get(
    "/{job_id}",
    response_model=ImportJobRead,
    summary="Progress and summary of an import started by the caller's office (an integrator: by itself)",
)
async def get_import(
    job_id: str, service: Service, principal: Annotated[Principal, Depends(require(MATTER_READ))]
) -> ImportJobRead:
    return await service.get(principal, job_id)


@router.get("/{job_id}/errors", response_model=ImportRowErrorPage, summary="Rows that were refused, and why")
async def import_errors(
    job_id: str,
    service: Service,
    principal: Annotated[Principal, Depends(require(MATTER_READ))],
    after: Annotated[int, Query(ge=0, le=2**31 - 1, description="row number to continue after")] = 0,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> ImportRowErrorPage:
    return await service.row_errors(principal, job_id, after, limit)


@router.post(
    "/{job_id}/acceptance",
    response_model=ImportAcceptanceRead,
    summary="Accept (受理) every matter of a completed import that awaits acceptance and is within your authority",
)
async def accept_import(
    job_id: str,
    data: ImportAcceptanceCreate,
    request: Request,
    service: Service,
    principal: Annotated[Principal, Depends(require(MATTER_ACCEPT))],
) -> ImportAcceptanceRead:
    return await service.accept_matters(Caller.of(principal, request), job_id, data)
