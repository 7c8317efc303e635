from __future__ import annotations

from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData

from wenze.cli.client import ProblemError
from wenze_console.library.schemas import EXPORT_FORMATS, LibraryQuery, export_format, mark_reason
from wenze_console.library.service import library_view, mark_typical, refusal_words, withdraw_typical
from wenze_console.reports.schemas import QueryRefused
from wenze_console.web import TenantPage, check_csrf, query_refused, reporting_file, tenant_page

router = APIRouter(prefix="/t/{tenant}")


def _page(
    page: TenantPage,
    query: LibraryQuery,
    *,
    refused: dict[str, list[str]] | None = None,
    given: dict[str, str] | None = None,
    status: int = 200,
) -> Response:
    """The month's page; after a refused change, the refusal above that case's form, which keeps
    what was entered."""
    view = library_view(page, query)
    return page.render(
        "library.html",
        status_code=view.status if view.status != 200 else status,
        query=query,
        view=view,
        exports=EXPORT_FORMATS,
        refused=refused or {},
        given=given or {},
    )


@router.get("/cases", response_class=HTMLResponse, include_in_schema=False)
def cases(request: Request, tenant: str) -> Response:
    page = tenant_page(request, tenant)
    try:
        query = LibraryQuery.parse(request.query_params, page.pack.today())
    except QueryRefused as error:
        return query_refused(request, error)
    return _page(page, query)


@router.get("/cases/anonymised", include_in_schema=False)
def anonymised(request: Request, tenant: str) -> Response:
    """The anonymised export as reporting writes it, fetched with the user's token."""
    page = tenant_page(request, tenant)
    try:
        query = LibraryQuery.parse(request.query_params, page.pack.today())
        fmt = export_format(request.query_params)
    except QueryRefused as error:
        return query_refused(request, error)
    with page.reporting() as reporting:
        exported = reporting.anonymised_cases(query.year, query.month, fmt)
    return reporting_file(exported, f"{tenant}-cases-{query.year}-{query.month:02d}.{fmt}")


def reason_given(form: FormData) -> str:
    return str(form.get("reason") or "")


@router.post("/cases/{decision_id}/typical", dependencies=[Depends(check_csrf)], include_in_schema=False)
async def mark(request: Request, tenant: str, decision_id: str) -> Response:
    form = await request.form()
    return await run_in_threadpool(_change, request, tenant, decision_id, form, True)


@router.post("/cases/{decision_id}/withdraw", dependencies=[Depends(check_csrf)], include_in_schema=False)
async def withdraw(request: Request, tenant: str, decision_id: str) -> Response:
    form = await request.form()
    return await run_in_threadpool(_change, request, tenant, decision_id, form, False)


def _change(request: Request, tenant: str, decision_id: str, form: FormData, typical: bool) -> Response:
    page = tenant_page(request, tenant)
    try:
        query = LibraryQuery.parse(form, page.pack.today())
    except QueryRefused as error:
        return query_refused(request, error)
    key = str(form.get("idempotency_key") or "")
    try:
        if typical:
            mark_typical(page, decision_id, mark_reason(form), key)
        else:
            withdraw_typical(page, decision_id, key)
    except QueryRefused as error:
        words = [f"{error.field}：{error.reason}"]
        return _page(page, query, refused={decision_id: words}, given={decision_id: reason_given(form)}, status=422)
    except ProblemError as error:
        if error.status >= 500:
            raise
        words = refusal_words(error, page.pack)
        return _page(
            page, query, refused={decision_id: words}, given={decision_id: reason_given(form)}, status=error.status
        )
    return RedirectResponse(page.url(f"/cases?{urlencode(query.params())}"), status_code=303)
