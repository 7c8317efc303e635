from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData, UploadFile

from wenze.cli.client import ProblemError
from wenze_console.intake import service
from wenze_console.intake.schemas import acceptance_body, matter_body
from wenze_console.matters.endpoints import render_matter_page
from wenze_console.matters.service import matter_view
from wenze_console.web import check_csrf, row_error_words, tenant_page

router = APIRouter(prefix="/t/{tenant}")


@router.get("/intake", response_class=HTMLResponse, include_in_schema=False)
def intake_page(request: Request, tenant: str) -> Response:
    page = tenant_page(request, tenant)
    return page.render("intake.html", sources=service.sources(page), refused=[], given={}, job=None)


@router.post("/intake", dependencies=[Depends(check_csrf)], include_in_schema=False)
async def submit_matter(request: Request, tenant: str) -> Response:
    form = await request.form()
    return await run_in_threadpool(_submit, request, tenant, form)


def _submit(request: Request, tenant: str, form: FormData) -> Response:
    page = tenant_page(request, tenant)
    try:
        matter = service.submit(page, matter_body(form))
    except ProblemError as exc:
        return page.render(
            "intake.html",
            sources=service.sources(page),
            refused=page.refusal(exc),
            given=dict(form),
            job=None,
            status_code=exc.status if 400 <= exc.status < 500 else 502,
        )
    return RedirectResponse(page.url(f"/matters/{matter['number']}"), status_code=303)


@router.post("/matters/{reference}/acceptance", dependencies=[Depends(check_csrf)], include_in_schema=False)
async def accept_matter(request: Request, tenant: str, reference: str) -> Response:
    form = await request.form()
    page = await run_in_threadpool(tenant_page, request, tenant)
    try:
        await run_in_threadpool(service.accept, page, reference, acceptance_body(form))
    except ProblemError as exc:
        return render_matter_page(
            page,
            await matter_view(page, reference),
            refused={"acceptance": page.refusal(exc)},
            given={"acceptance": dict(form)},
            status_code=exc.status if 400 <= exc.status < 500 else 502,
        )
    return RedirectResponse(page.url(f"/matters/{reference}"), status_code=303)


@router.post("/imports", dependencies=[Depends(check_csrf)], include_in_schema=False)
async def upload_import(request: Request, tenant: str) -> Response:
    form = await request.form()
    return await run_in_threadpool(_upload, request, tenant, form)


def _upload(request: Request, tenant: str, form: FormData) -> Response:
    page = tenant_page(request, tenant)
    upload = form.get("file")
    refused: list[str] = []
    if not isinstance(upload, UploadFile) or not upload.filename:
        refused = ["请选择要导入的文件（.csv、.xlsx 或 .jsonl）。"]
    else:
        media_type = service.import_media_type(upload.filename)
        if media_type is None:
            refused = [f"文件“{upload.filename}”的类型不支持：请上传 .csv、.xlsx 或 .jsonl 文件。"]
    if refused:
        return page.render(
            "intake.html", sources=service.sources(page), refused=refused, given={}, job=None, status_code=422
        )
    assert isinstance(upload, UploadFile) and upload.filename and media_type
    try:
        job = service.start_import(page, upload.file, media_type, upload.filename)
    except ProblemError as exc:
        return page.render(
            "intake.html",
            sources=service.sources(page),
            refused=page.refusal(exc),
            given={},
            job=None,
            status_code=exc.status if 400 <= exc.status < 500 else 502,
        )
    return RedirectResponse(page.url(f"/imports/{job['id']}"), status_code=303)


@router.get("/imports/{job_id}", response_class=HTMLResponse, include_in_schema=False)
def import_page(request: Request, tenant: str, job_id: str) -> Response:
    page = tenant_page(request, tenant)
    job, refused_rows = service.import_progress(page, job_id)
    template = "import_progress.html" if request.headers.get("HX-Request") else "import.html"
    return page.render(
        template,
        job=job,
        refused_rows=refused_rows,
        row_error=lambda error: row_error_words(error, page.pack),
        filename=job.get("filename") or "",
    )
