from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Request, Response, status

from wenze.auth import Principal, authenticate, get_principal, require, require_platform
from wenze.auth.capabilities import CALENDAR_ADMIN
from wenze.calendar import LocalDays, YearDefinition
from wenze.http.audit import client_address
from wenze_routing.calendar.schemas import (
    CalendarYearRead,
    CalendarYears,
    LocalDaysRead,
    StoredLocalDays,
    StoredYear,
)
from wenze_routing.calendar.service import CalendarService

router = APIRouter(prefix="/v1/calendar", tags=["calendar"])


async def calendar_service(request: Request) -> CalendarService:
    return request.app.state.calendars


Service = Annotated[CalendarService, Depends(calendar_service)]
Year = Annotated[int, Path(ge=1900, le=9999, description="the calendar year")]
# A tenant's users see the national calendar with their tenant's local days; a platform
# operator sees the national calendar alone.
Caller = Annotated[Principal, Depends(authenticate)]


@router.get(
    "/years",
    response_model=CalendarYears,
    summary="Years deadlines can be counted in: bundled, seeded and loaded national years, and the tenant's local days",
)
async def list_years(service: Service, principal: Caller) -> CalendarYears:
    return await service.years(principal)


@router.get(
    "/years/{year}",
    response_model=CalendarYearRead,
    summary="One covered year: its national holidays and make-up working days, and the tenant's local days",
)
async def get_year(year: Year, service: Service, principal: Caller) -> CalendarYearRead:
    return await service.year(principal, year)


@router.put(
    "/years/{year}",
    response_model=StoredYear,
    responses={201: {"model": StoredYear, "description": "the year was not loaded before"}},
    summary="Platform operators: load the State Council's holiday notice of one year (调休) for every tenant",
)
async def put_year(
    year: Year,
    definition: YearDefinition,
    request: Request,
    response: Response,
    service: Service,
    principal: Annotated[Principal, Depends(require_platform(CALENDAR_ADMIN))],
) -> StoredYear:
    stored = await service.load_national(principal, year, definition, client_address=client_address(request))
    if stored.created:
        response.status_code = status.HTTP_201_CREATED
    response.headers["Location"] = f"/v1/calendar/years/{year}"
    return stored


@router.get(
    "/local-days/{year}",
    response_model=LocalDaysRead,
    summary="The caller's tenant's local working-day changes of one year",
)
async def get_local_days(
    year: Year, service: Service, principal: Annotated[Principal, Depends(get_principal)]
) -> LocalDaysRead:
    return await service.local(principal, year)


@router.put(
    "/local-days/{year}",
    response_model=StoredLocalDays,
    responses={201: {"model": StoredLocalDays, "description": "the tenant had no local days of the year before"}},
    summary="Declare the caller's tenant's local days off and working days of one year (its deadlines only)",
)
async def put_local_days(
    year: Year,
    days: LocalDays,
    request: Request,
    response: Response,
    service: Service,
    principal: Annotated[Principal, Depends(require(CALENDAR_ADMIN))],
) -> StoredLocalDays:
    stored = await service.declare_local(principal, year, days, client_address=client_address(request))
    if stored.created:
        response.status_code = status.HTTP_201_CREATED
    response.headers["Location"] = f"/v1/calendar/local-days/{year}"
    return stored
