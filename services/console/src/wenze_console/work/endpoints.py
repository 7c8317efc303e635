from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from wenze.cli.client import ProblemError
from wenze_console.web import TenantPage, check_csrf, tenant_page
from wenze_console.work.service import WORK_PAGE_SIZE, work_queue

router = APIRouter(prefix="/t/{tenant}")

# As far as review pages its work queue (its offsets stop at a million).
LAST_PAGE = 1_000_000 // WORK_PAGE_SIZE


@router.get("/work", response_class=HTMLResponse, include_in_schema=False)
async def my_work(
    request: Request, tenant: str, number: Annotated[int, Query(alias="page", ge=1, le=LAST_PAGE)] = 1
) -> Response:
    page = await run_in_threadpool(tenant_page, request, tenant)
    return page.render("work.html", queue=await work_queue(page, number), refused=None)


def _claim(page: TenantPage, task_id: str) -> None:
    with page.review() as review:
        review.claim(task_id)


def _reassign(page: TenantPage, task_id: str, username: str) -> None:
    with page.review() as review:
        review.reassign(task_id, username)


@router.post("/tasks/{task_id}/claim", dependencies=[Depends(check_csrf)], include_in_schema=False)
async def claim(request: Request, tenant: str, task_id: str) -> Response:
    page = await run_in_threadpool(tenant_page, request, tenant)
    try:
        await run_in_threadpool(_claim, page, task_id)
    except ProblemError as exc:
        queue = await work_queue(page)
        return page.render("work.html", queue=queue, refused=page.refusal(exc), status_code=exc.status)
    return RedirectResponse(page.url("/work"), status_code=303)


@router.post("/tasks/{task_id}/reassign", dependencies=[Depends(check_csrf)], include_in_schema=False)
async def reassign(
    request: Request, tenant: str, task_id: str, username: Annotated[str, Form(max_length=100)] = ""
) -> Response:
    page = await run_in_threadpool(tenant_page, request, tenant)
    try:
        await run_in_threadpool(_reassign, page, task_id, username.strip())
    except ProblemError as exc:
        queue = await work_queue(page)
        return page.render("work.html", queue=queue, refused=page.refusal(exc), status_code=exc.status)
    return RedirectResponse(page.url("/work"), status_code=303)
