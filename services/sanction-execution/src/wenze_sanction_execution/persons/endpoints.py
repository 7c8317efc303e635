from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request

from wenze.auth import Principal, require
from wenze.auth.capabilities import MATTER_READ
from wenze.http.audit import client_address
from wenze_sanction_execution.persons.models import Purpose
from wenze_sanction_execution.persons.schemas import (
    EligibilityQuery,
    EligibilityRead,
    HistoryRead,
    PersonRead,
    PersonSearch,
)
from wenze_sanction_execution.persons.service import PersonService

router = APIRouter(prefix="/v1", tags=["persons"])


async def person_service(request: Request) -> PersonService:
    return request.app.state.persons


Service = Annotated[PersonService, Depends(person_service)]
Reader = Annotated[Principal, Depends(require(MATTER_READ))]


@router.get("/persons", response_model=list[PersonRead], summary="Persons decisions concern, by name and unit")
async def search_persons(
    request: Request,
    service: Service,
    principal: Reader,
    name: Annotated[str | None, Query(max_length=200)] = None,
    unit: Annotated[str | None, Query(max_length=200)] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> list[PersonRead]:
    return await service.search(
        principal, PersonSearch(name=name, unit=unit, limit=limit), client_address=client_address(request)
    )


# The identity number travels in a body, never in a URL, which proxies and browsers keep.
@router.post(
    "/persons/search",
    response_model=list[PersonRead],
    summary="Persons decisions concern, by identity number, id, or name and unit",
)
async def search_persons_by(
    query: PersonSearch, request: Request, service: Service, principal: Reader
) -> list[PersonRead]:
    return await service.search(principal, query, client_address=client_address(request))


@router.post(
    "/persons/eligibility",
    response_model=EligibilityRead,
    response_model_by_alias=True,
    summary="May the person (by identity number or id) be promoted, appointed or given honours on a date",
)
async def eligibility_of(
    query: EligibilityQuery, request: Request, service: Service, principal: Reader
) -> EligibilityRead:
    return await service.eligibility_of(principal, query, client_address=client_address(request))


@router.get(
    "/persons/{person_id}/eligibility",
    response_model=EligibilityRead,
    response_model_by_alias=True,
    summary="May the person be promoted, appointed or given honours on a date; if not, why and until when",
)
async def eligibility(
    person_id: str,
    request: Request,
    service: Service,
    principal: Reader,
    date: Annotated[dt.date, Query(description="the day of the promotion, appointment or award")],
    purpose: Annotated[Purpose, Query(alias="for")],
) -> EligibilityRead:
    return await service.eligibility(principal, person_id, date, purpose, client_address=client_address(request))


@router.get(
    "/persons/{person_id}/history",
    response_model=HistoryRead,
    summary="The person's accountability record: every decided measure, for recidivism factors",
)
async def history(person_id: str, request: Request, service: Service, principal: Reader) -> HistoryRead:
    return await service.history(principal, person_id, client_address=client_address(request))
