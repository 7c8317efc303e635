from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, Request

from wenze.auth import Principal, get_principal, require
from wenze.auth.capabilities import MATTER_READ
from wenze.http.audit import ClientAddress
from wenze.http.idempotency import Idempotency
from wenze_review.work.schemas import ReassignCreate, TaskRead, TimelineEntryRead, WorkQueuePage
from wenze_review.work.service import WorkService

router = APIRouter(prefix="/v1", tags=["work queues and timelines"])
Reader = Annotated[Principal, Depends(require(MATTER_READ))]


async def work_service(request: Request) -> WorkService:
    return request.app.state.work


Service = Annotated[WorkService, Depends(work_service)]


async def note_caller(principal: Annotated[Principal, Depends(get_principal)], service: Service) -> None:
    """Every request to review records the office its verified caller acts for (see WorkService.note_member)."""
    await service.note_member(principal)


@router.get(
    "/tasks",
    response_model=list[TaskRead],
    summary="The caller's office's tasks across the matters the caller may read",
)
async def list_tasks(
    service: Service,
    principal: Reader,
    address: ClientAddress,
    state: Annotated[Literal["open", "done", "cancelled"] | None, Query()] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 200,
) -> list[TaskRead]:
    return await service.tasks(principal, state, limit, client_address=address)


# Beyond any office's open tasks; bounded so that the database is never asked for an offset
# it cannot hold.
MAX_OFFSET = 1_000_000


@router.get(
    "/work-queue",
    response_model=WorkQueuePage,
    summary="A page of the caller's office's open tasks, soonest due first, each with its matter's number, "
    "summary and targets, and how many there are in all",
)
async def work_queue(
    service: Service,
    principal: Reader,
    address: ClientAddress,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Annotated[int, Query(ge=0, le=MAX_OFFSET)] = 0,
    matter_id: Annotated[str | None, Query(max_length=36, description="only the tasks on this matter")] = None,
) -> WorkQueuePage:
    return await service.work_queue(principal, limit, offset, matter_id=matter_id, client_address=address)


@router.post(
    "/tasks/{task_id}/claim",
    response_model=TaskRead,
    summary="Take an open task of one's office that nobody holds (409 `task-held` naming its holder otherwise)",
)
async def claim_task(
    task_id: str, service: Service, principal: Reader, idempotency: Idempotency, address: ClientAddress
) -> TaskRead:
    return TaskRead.model_validate(await service.claim(principal, task_id, idempotency, client_address=address))


@router.post(
    "/tasks/{task_id}/reassign",
    response_model=TaskRead,
    summary="Hand an open task to a known user of its office who holds the task's capability",
)
async def reassign_task(
    task_id: str,
    data: ReassignCreate,
    service: Service,
    principal: Reader,
    idempotency: Idempotency,
    address: ClientAddress,
) -> TaskRead:
    return TaskRead.model_validate(
        await service.reassign(principal, task_id, data.username, idempotency, client_address=address)
    )


@router.get(
    "/cases/{case_id}/timeline",
    response_model=list[TimelineEntryRead],
    summary="Every action on the case, with who, office, when and the articles that required it",
)
async def case_timeline(
    case_id: str, service: Service, principal: Reader, address: ClientAddress
) -> list[TimelineEntryRead]:
    return await service.case_timeline(principal, case_id, client_address=address)


@router.get(
    "/matters/{matter_id}/timeline",
    response_model=list[TimelineEntryRead],
    summary="Every review action on the matter: consultations, cases, joint reviews, decisions",
)
async def matter_timeline(
    matter_id: str, service: Service, principal: Reader, address: ClientAddress
) -> list[TimelineEntryRead]:
    return await service.matter_timeline(principal, matter_id, client_address=address)
