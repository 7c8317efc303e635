from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Response, status

from wenze.auth import Principal, get_principal, require
from wenze.auth.capabilities import CALENDAR_ADMIN
from wenze.calendar import YearDefinition
from wenze_routing.calendar.schemas import CalendarYears, StoredYear
from wenze_routing.calendar.service import CalendarStore, calendar_store

router = APIRouter(prefix="/v1/calendar", tags=["calendar"])

Store = Annotated[CalendarStore, Depends(calendar_store)]
Year = Annotated[int, Path(ge=1900, le=9999, description="the calendar year")]


@router.get(
    "/years", response_model=CalendarYears, summary="Years with an official working-day calendar: bundled and loaded"
)
async def list_years(store: Store, principal: Annotated[Principal, Depends(get_principal)]) -> CalendarYears:
    return store.years()


@router.get(
    "/years/{year}", response_model=YearDefinition, summary="The holidays and make-up working days of one covered year"
)
async def get_year(year: Year, store: Store, principal: Annotated[Principal, Depends(get_principal)]) -> YearDefinition:
    return store.year(year)


@router.put(
    "/years/{year}",
    response_model=StoredYear,
    responses={201: {"model": StoredYear, "description": "the year was not loaded before"}},
    summary="Load the State Council's holiday notice of one year (调休)",
)
async def put_year(
    year: Year,
    definition: YearDefinition,
    response: Response,
    store: Store,
    principal: Annotated[Principal, Depends(require(CALENDAR_ADMIN))],
) -> StoredYear:
    stored = await store.store(year, definition, principal)
    if stored.created:
        response.status_code = status.HTTP_201_CREATED
    response.headers["Location"] = f"/v1/calendar/years/{year}"
    return stored
