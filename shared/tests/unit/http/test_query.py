from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

import httpx
import pytest
from fastapi import Depends, FastAPI, Query
from pydantic import BaseModel

from wenze.http.problems import install_problem_handlers
from wenze.http.query import refuse_unknown_query_parameters


class Filters(BaseModel):
    state: str | None = None
    received_from: str | None = None


def paging(limit: Annotated[int, Query(ge=1)] = 10) -> int:
    return limit


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    app = FastAPI(dependencies=[Depends(refuse_unknown_query_parameters)])
    install_problem_handlers(app)

    @app.get("/matters")
    async def matters(
        filters: Annotated[Filters, Query()], limit: Annotated[int, Depends(paging)], cursor: str | None = None
    ) -> dict[str, object]:
        return {"state": filters.state, "limit": limit, "cursor": cursor}

    @app.get("/cases")
    async def cases(matter_id: str | None = None) -> dict[str, object]:
        return {"matter_id": matter_id}

    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://svc.test") as c:
        yield c


async def test_declared_parameters_pass(client: httpx.AsyncClient) -> None:
    response = await client.get("/matters", params={"state": "accepted", "limit": 5, "cursor": "x"})
    assert response.json() == {"state": "accepted", "limit": 5, "cursor": "x"}


async def test_an_unknown_filter_is_refused_and_named(client: httpx.AsyncClient) -> None:
    response = await client.get("/cases", params={"state": "investigating"})
    assert response.status_code == 422
    problem = response.json()
    assert problem["errors"] == [
        {
            "field": "query.state",
            "reason": "not a parameter of this request; it accepts: matter_id",
            "code": "unknown_query_parameter",
        }
    ]
    assert problem["detail"].count("query.state") == 1


async def test_the_accepted_list_includes_model_and_dependency_parameters(client: httpx.AsyncClient) -> None:
    problem = (await client.get("/matters", params={"sate": "accepted"})).json()
    assert problem["errors"][0]["reason"].endswith("cursor, limit, received_from, state")


async def test_a_hostile_parameter_name_is_not_echoed_in_full(client: httpx.AsyncClient) -> None:
    problem = (await client.get("/cases", params={"x" * 5000: "1"})).json()
    assert len(problem["errors"][0]["field"]) <= len("query.") + 64
