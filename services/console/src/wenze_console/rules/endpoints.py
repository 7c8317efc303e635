from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from wenze.cli.client import ProblemError, Unreachable
from wenze_console import labels
from wenze_console.rules.service import explain
from wenze_console.web import tenant_page

router = APIRouter(prefix="/t/{tenant}")


@router.get("/rules", response_class=HTMLResponse, include_in_schema=False)
def rules(request: Request, tenant: str) -> Response:
    page = tenant_page(request, tenant)
    pack = page.pack
    # The reading in force is the tenant's choice on record, which routing keeps; without
    # routing the points still show, from the pack, with no reading in force named.
    points: list[dict[str, Any]] = [p.model_dump(mode="json") for p in pack.points]
    refused: list[str] = []
    try:
        with page.routing() as routing:
            points = routing.points()["points"]
    except ProblemError as error:
        refused = page.refusal(error)
    except Unreachable:
        refused = ["分办服务暂不可达：各要点的现行解读暂无法读取，下列为规则包所载内容"]
    return page.render(
        "rules.html",
        documents=pack.documents,
        decisions=pack.decisions(),
        deciding=pack.deciding_articles(),
        points=points,
        points_refused=refused,
        today=pack.today(),
        decision_label=labels.decision_label,
    )


@router.get("/rules/explain", response_class=HTMLResponse, include_in_schema=False)
def explain_decision(request: Request, tenant: str) -> Response:
    """Pick a decision, fill its inputs, see its outcome. A GET form: evaluating changes nothing,
    and the URL keeps the facts, so an explanation can be linked to."""
    page = tenant_page(request, tenant)
    view, status = explain(page, request.query_params)
    return page.render("explain.html", status_code=status, view=view)
