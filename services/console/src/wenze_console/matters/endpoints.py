from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData

from wenze.cli.client import ProblemError
from wenze.cli.steps import step_of
from wenze_console.matters.schemas import IDENTIFIED_ROWS, step_body
from wenze_console.matters.service import MatterView, matter_view, perform_step
from wenze_console.web import TenantPage, check_csrf, tenant_page

router = APIRouter(prefix="/t/{tenant}")


@router.get("/matters/{reference}", response_class=HTMLResponse, include_in_schema=False)
async def matter_page(request: Request, tenant: str, reference: str) -> Response:
    page = await run_in_threadpool(tenant_page, request, tenant)
    view = await matter_view(page, reference)
    return render_matter_page(page, view, refused={}, given={})


@router.post("/matters/{reference}/tasks/{task_id}", dependencies=[Depends(check_csrf)], include_in_schema=False)
async def take_step(request: Request, tenant: str, reference: str, task_id: str) -> Response:
    form = await request.form()
    page = await run_in_threadpool(tenant_page, request, tenant)
    view = await matter_view(page, reference)
    return await run_in_threadpool(_take_step, page, view, task_id, form)


def render_matter_page(page: TenantPage, view: MatterView, *, status_code: int = 200, **context: object) -> Response:
    """The matter page, with its step forms."""
    return page.render(
        "matter.html", view=view, step_of=step_of, identified_rows=IDENTIFIED_ROWS, status_code=status_code, **context
    )


def _take_step(page: TenantPage, view: MatterView, task_id: str, form: FormData) -> Response:
    task = next((t for t in view.tasks if t["id"] == task_id), None)
    step = step_of(task["kind"]) if task else None
    if task is None or step is None:
        refused = {task_id: ["该待办已办结或不属于本部门。"]}
        return render_matter_page(page, view, refused=refused, given={}, status_code=409)
    body = step_body(step.name, form, len(view.matter.get("targets") or []))
    try:
        perform_step(page, view.matter["id"], task_id, body)
    except ProblemError as exc:
        return render_matter_page(
            page,
            view,
            refused={task_id: page.refusal(exc)},
            given={task_id: dict(form)},
            ticked={task_id: {key: form.getlist(key) for key in form}},
            status_code=exc.status if 400 <= exc.status < 500 else 502,
        )
    return RedirectResponse(page.url(f"/matters/{view.matter['number']}"), status_code=303)
