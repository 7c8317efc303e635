from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from wenze_console.web import tenant_page

router = APIRouter(prefix="/t/{tenant}")


@router.get("/deadlines", response_class=HTMLResponse, include_in_schema=False)
def deadlines(request: Request, tenant: str) -> Response:
    page = tenant_page(request, tenant)
    found = []
    if page.login.office:
        with page.execution() as execution:
            found = execution.deadlines(page.login.office)
    return page.render("deadlines.html", deadlines=found)
