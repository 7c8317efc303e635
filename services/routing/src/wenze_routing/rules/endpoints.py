from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path

from wenze.auth import Principal, get_principal
from wenze_routing.calendar.endpoints import calendar_service
from wenze_routing.calendar.service import CalendarService
from wenze_routing.interpretations.endpoints import interpretation_service
from wenze_routing.interpretations.service import InterpretationService
from wenze_routing.rules.schemas import (
    ArticleRead,
    DecisionInfo,
    DecisionRead,
    DocumentSummary,
    EvaluationCreate,
    EvaluationRead,
    TenantPack,
)
from wenze_routing.rules.service import RulesService

router = APIRouter(prefix="/v1/rules", tags=["rules"])

# Reading rules needs no capability: every user of a tenant works under its rules. The
# tenant is the token's, so a caller only ever reads its own tenant's pack.
Caller = Annotated[Principal, Depends(get_principal)]
Service = Annotated[RulesService, Depends(RulesService)]
DecisionName = Annotated[str, Path(max_length=200, description="a decision of the caller's tenant's pack")]


@router.get("/tenants", response_model=list[TenantPack], summary="Every tenant's rule pack: title and documents")
async def list_tenant_packs(service: Service, principal: Caller) -> list[TenantPack]:
    return service.tenants()


@router.get(
    "/documents",
    response_model=list[DocumentSummary],
    summary="The caller's tenant's rule documents with their periods of force",
)
async def list_documents(service: Service, principal: Caller) -> list[DocumentSummary]:
    return service.documents(principal.tenant)


@router.get(
    "/documents/{document}/articles",
    response_model=list[ArticleRead],
    summary="A document's article index, with where each article's text stands",
)
async def list_articles(
    document: Annotated[str, Path(max_length=200, description="document id or number, URL-encoded")],
    service: Service,
    principal: Caller,
) -> list[ArticleRead]:
    return service.articles(principal.tenant, document)


@router.get(
    "/decisions",
    response_model=list[DecisionInfo],
    summary="The caller's tenant's decisions with their inputs and outputs",
)
async def list_decisions(service: Service, principal: Caller) -> list[DecisionInfo]:
    return service.decisions(principal.tenant)


@router.get(
    "/decisions/{name}",
    response_model=DecisionRead,
    summary="One decision: inputs with allowed codes, outputs, tables and cited rules",
)
async def get_decision(name: DecisionName, service: Service, principal: Caller) -> DecisionRead:
    return service.decision(principal.tenant, name)


@router.post(
    "/decisions/{name}/evaluate",
    response_model=EvaluationRead,
    summary="Evaluate a decision for the given facts, with the rules and articles behind it",
)
async def evaluate_decision(
    name: DecisionName,
    data: EvaluationCreate,
    service: Service,
    calendars: Annotated[CalendarService, Depends(calendar_service)],
    interpretations: Annotated[InterpretationService, Depends(interpretation_service)],
    principal: Caller,
) -> EvaluationRead:
    # The tenant's own calendar (the national one with its local days) and the readings its
    # administrator chose for the relevant date.
    on = data.on or service.pack(principal.tenant).today()
    readings = await interpretations.readings_on(principal.tenant, on)
    calendar = await calendars.tenant_calendar(principal.tenant)
    return service.evaluate(principal.tenant, name, data.model_copy(update={"on": on}), calendar, readings)
