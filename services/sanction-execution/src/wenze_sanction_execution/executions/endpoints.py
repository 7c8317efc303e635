from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Request

from wenze.auth import Principal, require
from wenze.auth.capabilities import MATTER_READ
from wenze.http.audit import client_address
from wenze.http.idempotency import Idempotency
from wenze_sanction_execution.executions.models import ExecutionState
from wenze_sanction_execution.executions.schemas import ExecutionRead, OpenDeadlineRead, StepCompletion
from wenze_sanction_execution.executions.service import ExecutionService

router = APIRouter(prefix="/v1", tags=["executions"])


async def execution_service(request: Request) -> ExecutionService:
    return request.app.state.executions


Service = Annotated[ExecutionService, Depends(execution_service)]
Reader = Annotated[Principal, Depends(require(MATTER_READ))]
StepCode = Annotated[str, Path(max_length=60, pattern=r"^[a-z][a-z0-9_]*$")]


@router.get("/executions", response_model=list[ExecutionRead], summary="Executions the caller's office may read")
async def list_executions(
    request: Request,
    service: Service,
    principal: Reader,
    decision_id: Annotated[str | None, Query(max_length=36)] = None,
    matter_id: Annotated[
        str | None, Query(max_length=36, description="the executions of every decision on this matter")
    ] = None,
    person_id: Annotated[str | None, Query(max_length=36)] = None,
    state: ExecutionState | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> list[ExecutionRead]:
    return await service.list_executions(
        principal,
        decision_id=decision_id,
        matter_id=matter_id,
        person_id=person_id,
        state=state,
        limit=limit,
        client_address=client_address(request),
    )


@router.get(
    "/executions/{execution_id}", response_model=ExecutionRead, summary="One execution with its steps and deadlines"
)
async def get_execution(execution_id: str, request: Request, service: Service, principal: Reader) -> ExecutionRead:
    return await service.get(principal, execution_id, client_address=client_address(request))


@router.post(
    "/executions/{execution_id}/steps/{step}/completion",
    response_model=ExecutionRead,
    summary="Record a step of the execution as done; the last step carries the execution out",
)
async def complete_step(
    execution_id: str,
    step: StepCode,
    data: StepCompletion,
    request: Request,
    service: Service,
    principal: Reader,
    idempotency: Idempotency,
) -> ExecutionRead:
    done = await service.complete_step(
        principal, execution_id, step, data, idempotency, client_address=client_address(request)
    )
    return ExecutionRead.model_validate(done)


@router.get(
    "/offices/{office}/deadlines",
    response_model=list[OpenDeadlineRead],
    summary="An office's open deadlines, soonest first, with a traffic light (green, yellow, red)",
)
async def open_deadlines(
    office: Annotated[str, Path(max_length=60)],
    request: Request,
    service: Service,
    principal: Reader,
    limit: Annotated[int, Query(ge=1, le=1000)] = 200,
) -> list[OpenDeadlineRead]:
    return await service.open_deadlines(principal, office, limit, client_address=client_address(request))
