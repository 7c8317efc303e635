from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from wenze.cli.client import ProblemError
from wenze_console.reports.schemas import (
    CHARTS,
    EXPORTS,
    KINDS,
    QueryRefused,
    ReportQuery,
    chart_request,
    export_format,
)
from wenze_console.reports.service import report_view
from wenze_console.web import query_refused, reporting_file, tenant_page

router = APIRouter(prefix="/t/{tenant}")


@router.get("/reports", response_class=HTMLResponse, include_in_schema=False)
def reports(request: Request, tenant: str) -> Response:
    page = tenant_page(request, tenant)
    try:
        query = ReportQuery.parse(request.query_params, page.pack.today())
    except QueryRefused as error:
        return query_refused(request, error)
    view = None
    refused: list[str] = []
    status = 200
    try:
        view = report_view(page, query)
    except ProblemError as error:
        if error.status >= 500:
            raise
        # Reporting's refusal (no report:read, a period it does not serve) is shown on the page,
        # its choice of report and period kept so another can be picked.
        refused, status = page.refusal(error), error.status
    chart_year, chart_month = query.chart_month()
    return page.render(
        "reports.html",
        status_code=status,
        query=query,
        kinds=KINDS,
        charts=CHARTS,
        exports=EXPORTS,
        view=view,
        refused=refused,
        chart_year=chart_year,
        chart_month=chart_month,
    )


@router.get("/reports/charts/{chart}", include_in_schema=False)
def chart(request: Request, tenant: str, chart: str) -> Response:
    """The chart reporting draws, fetched with the user's token: the browser holds none."""
    page = tenant_page(request, tenant)
    try:
        year, month, fmt = chart_request(chart, request.query_params)
    except QueryRefused as error:
        return query_refused(request, error)
    with page.reporting() as reporting:
        drawn = reporting.chart(chart, year, month, fmt)
    return Response(drawn.content, media_type=drawn.headers.get("content-type", "application/octet-stream"))


@router.get("/reports/export", include_in_schema=False)
def export(request: Request, tenant: str) -> Response:
    """A report's export as reporting writes it, under reporting's file name."""
    page = tenant_page(request, tenant)
    try:
        query = ReportQuery.parse(request.query_params, page.pack.today())
        fmt = export_format(request.query_params)
    except QueryRefused as error:
        return query_refused(request, error)
    with page.reporting() as reporting:
        exported = reporting.report_file(query.kind, query.params(), fmt)
    return reporting_file(exported)
