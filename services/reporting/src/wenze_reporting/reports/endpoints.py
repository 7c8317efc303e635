from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response
from pydantic import BaseModel

from wenze.auth import Principal, require
from wenze.auth.capabilities import REPORT_READ
from wenze.http.audit import ClientAddress
from wenze.problems import invalid
from wenze_reporting.reports import charts, exports
from wenze_reporting.reports.periods import FIRST_YEAR, LAST_YEAR, half_year, month_start
from wenze_reporting.reports.schemas import (
    ChartFormat,
    ChartName,
    ExportFormat,
    HalfYearReport,
    PeriodReport,
    StatisticsReport,
)
from wenze_reporting.reports.service import ReportService

router = APIRouter(prefix="/v1/reports", tags=["reports"])
Reader = Annotated[Principal, Depends(require(REPORT_READ))]
Year = Annotated[int, Query(ge=FIRST_YEAR, le=LAST_YEAR, description="calendar year")]
Month = Annotated[int, Query(ge=1, le=12, description="month, 1 to 12")]
Half = Annotated[int, Query(ge=1, le=2, description="1: January to June; 2: July to December")]
Format = Annotated[ExportFormat, Query(description="json (default), csv or xlsx")]
# The longest period one statistics request may cover: ten years of daily counts.
LONGEST_PERIOD_DAYS = 3660


async def report_service(request: Request) -> ReportService:
    return request.app.state.reports


Service = Annotated[ReportService, Depends(report_service)]


def exported(report: BaseModel, fmt: ExportFormat, name: str) -> Response:
    body = {"json": exports.to_json, "csv": exports.to_csv, "xlsx": exports.to_xlsx}[fmt](report)
    headers = {"Content-Disposition": f'attachment; filename="{name}.{fmt}"'} if fmt != "json" else {}
    return Response(body, media_type=exports.MEDIA_TYPES[fmt], headers=headers)


@router.get(
    "/monthly",
    response_model=PeriodReport,
    summary="The monthly figures (月报) up to the pack's cut-off, per source, form, measure, level, office and unit",
)
async def monthly(
    service: Service, principal: Reader, address: ClientAddress, year: Year, month: Month, format: Format = "json"
) -> Response:
    report = await service.monthly(principal, year, month, client_address=address)
    return exported(report, format, f"{principal.tenant}-monthly-{year}-{month:02d}")


@router.get("/month-end", response_model=PeriodReport, summary="The month-end summary over the calendar month")
async def month_end(
    service: Service, principal: Reader, address: ClientAddress, year: Year, month: Month, format: Format = "json"
) -> Response:
    report = await service.month_end(principal, year, month, client_address=address)
    return exported(report, format, f"{principal.tenant}-month-end-{year}-{month:02d}")


@router.get(
    "/half-year",
    response_model=HalfYearReport,
    summary="The half-year analysis: trend against the previous half-year, missed deadlines, backlogs by office",
)
async def half_year_analysis(
    service: Service, principal: Reader, address: ClientAddress, year: Year, half: Half, format: Format = "json"
) -> Response:
    report = await service.half_year(principal, year, half, client_address=address)
    return exported(report, format, f"{principal.tenant}-half-year-{year}-h{half}")


@router.get(
    "/statistics",
    response_model=StatisticsReport,
    summary=(
        "Matters decided, persons and organisations held accountable, sanctions against "
        "organisational measures, by cadre level"
    ),
)
async def statistics(
    service: Service,
    principal: Reader,
    address: ClientAddress,
    start: Annotated[dt.date, Query(description="first day of the period")],
    end: Annotated[dt.date, Query(description="last day of the period")],
    format: Format = "json",
) -> Response:
    if end < start:
        raise invalid("end", "must not be before start", code="end_before_start")
    if (end - start).days > LONGEST_PERIOD_DAYS:
        raise invalid("end", f"the period may span at most {LONGEST_PERIOD_DAYS} days", code="period_too_long")
    if not (FIRST_YEAR <= start.year and end.year <= LAST_YEAR):
        raise invalid("start", f"the period must lie between {FIRST_YEAR} and {LAST_YEAR}", code="period_out_of_range")
    report = await service.statistics(principal, start, end, client_address=address)
    return exported(report, format, f"{principal.tenant}-statistics-{start}-{end}")


@router.get(
    "/charts/{chart}",
    summary=(
        "A chart (PNG or SVG): monthly-trend (the 12 months up to year/month), measures-by-level "
        "and backlog-by-office (the half-year holding year/month)"
    ),
    responses={200: {"content": {"image/png": {}, "image/svg+xml": {}}}},
)
async def chart(
    chart: ChartName,
    service: Service,
    principal: Reader,
    address: ClientAddress,
    year: Year,
    month: Month,
    format: Annotated[ChartFormat, Query(description="png (default) or svg")] = "png",
) -> Response:
    month_start(year, month)
    half = 1 if month <= 6 else 2
    if chart == "monthly-trend":
        body = charts.monthly_trend(await service.monthly_trend(principal, year, month), format)
    elif chart == "measures-by-level":
        period = half_year(year, half)
        report = await service.statistics(principal, period.start, period.end, client_address=address)
        body = charts.measures_by_level(report, format)
    else:
        body = charts.backlog_by_office(await service.half_year(principal, year, half, client_address=address), format)
    return Response(body, media_type=charts.MEDIA_TYPES[format])
