"""The reporting API over HTTP, as its callers meet it: capabilities, tenants, bad input as
problem details, exports and charts, and the case library's marks."""

from __future__ import annotations

import io
from collections.abc import AsyncIterator, Callable, Iterator

import httpx
import pytest
from openpyxl import load_workbook

from wenze.db import UnitOfWorkFactory, create_engine
from wenze.db.migrations import upgrade
from wenze.events import DecisionMade
from wenze_devtools.testing.infra import ServiceProcess, fresh_database
from wenze_reporting.app import MIGRATIONS
from wenze_reporting.repositories import make_repositories
from wenze_reporting.services import Services, build_services

from .conftest import apply_all
from .dataset import generate

pytestmark = pytest.mark.integration

PROBLEM = "application/problem+json"


@pytest.fixture(scope="module")
def api_database() -> Iterator[str]:
    with fresh_database() as url:
        yield url


@pytest.fixture(scope="module")
async def loaded(api_database: str) -> AsyncIterator[tuple[Services, list[DecisionMade]]]:
    await upgrade(MIGRATIONS, api_database, "reporting")
    engine = create_engine(api_database, schema="reporting")
    services = build_services(UnitOfWorkFactory(engine, make_repositories))
    events, _ = generate(400, seed=17)
    await apply_all(services, events)
    yield services, [e for e in events if isinstance(e, DecisionMade)]
    await engine.dispose()


@pytest.fixture(scope="module")
def api(service_factory, api_database: str, loaded) -> ServiceProcess:
    return service_factory("reporting", database=api_database)


@pytest.fixture(scope="module")
def client_for(api: ServiceProcess, token: Callable[..., str]) -> Iterator[Callable[[str, str], httpx.Client]]:
    clients: list[httpx.Client] = []

    def make(realm: str, username: str) -> httpx.Client:
        client = httpx.Client(
            base_url=api.url, timeout=60, headers={"Authorization": f"Bearer {token(realm, username)}"}
        )
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.close()


def test_reports_need_the_reporting_capability(client_for) -> None:
    response = client_for("wenze-kunshan", "ks-trial").get("/v1/reports/month-end", params={"year": 2026, "month": 3})
    assert response.status_code == 403
    assert response.headers["content-type"].startswith(PROBLEM)
    assert "report:read" in response.text


def test_the_month_end_summary_in_every_format(client_for) -> None:
    client = client_for("wenze-kunshan", "ks-intake")
    params = {"year": 2026, "month": 3}
    body = client.get("/v1/reports/month-end", params=params).json()
    assert body["stamp"]["tenant"] == "kunshan" and body["stamp"]["rule_pack_version"].startswith("sha256:")
    assert body["figures"]["totals"]["received"] > 0
    csv = client.get("/v1/reports/month-end", params={**params, "format": "csv"})
    assert csv.status_code == 200 and csv.headers["content-type"].startswith("text/csv")
    assert "attachment" in csv.headers["content-disposition"]
    xlsx = client.get("/v1/reports/month-end", params={**params, "format": "xlsx"})
    workbook = load_workbook(io.BytesIO(xlsx.content))
    totals = workbook["总体情况"]
    assert [c.value for c in totals[4]][1:3] == ["收到问责事项", body["figures"]["totals"]["received"]]
    for chart in ("monthly-trend", "measures-by-level", "backlog-by-office"):
        png = client.get(f"/v1/reports/charts/{chart}", params=params)
        assert png.status_code == 200 and png.headers["content-type"] == "image/png"
        svg = client.get(f"/v1/reports/charts/{chart}", params={**params, "format": "svg"})
        assert svg.headers["content-type"].startswith("image/svg+xml")


def test_an_empty_month_is_a_valid_report(client_for) -> None:
    response = client_for("wenze-hubei", "hb-responsibility-office").get(
        "/v1/reports/monthly", params={"year": 2030, "month": 2}
    )
    assert response.status_code == 200
    assert response.json()["figures"]["totals"]["received"] == 0


@pytest.mark.parametrize(
    ("path", "params", "field"),
    [
        ("/v1/reports/month-end", {"year": 2026, "month": 13}, "month"),
        ("/v1/reports/half-year", {"year": 2026, "half": 3}, "half"),
        ("/v1/reports/statistics", {"start": "2026-06-30", "end": "2026-01-01"}, "end"),
        ("/v1/reports/charts/pie", {"year": 2026, "month": 3}, "chart"),
    ],
)
def test_bad_input_is_a_problem_naming_the_field(client_for, path: str, params: dict, field: str) -> None:
    response = client_for("wenze-kunshan", "ks-intake").get(path, params=params)
    assert 400 <= response.status_code < 500
    assert response.headers["content-type"].startswith(PROBLEM)
    assert field in response.text


def test_marking_a_typical_case_and_drafting_its_notice(client_for, loaded) -> None:
    _, decisions = loaded
    decision = next(d for d in decisions if d.tenant == "kunshan")
    client = client_for("wenze-kunshan", "ks-intake")
    path = f"/v1/case-library/{decision.decision_id}/typical"
    marked = client.post(path, json={"reason": "典型"})
    assert marked.status_code == 200 and marked.json()["state"] == "typical"
    assert client.post(path, json={"reason": "典型"}).json()["state"] == "typical"
    period = {"year": decision.decided_on.year, "month": decision.decided_on.month}
    notice = client.get("/v1/case-library/notice", params=period).json()
    assert notice["cases"] >= 1 and "典型案例" in notice["title"]
    anonymised = client.get("/v1/case-library/anonymised", params=period).json()
    assert all(decision.matter_number not in case["summary"] for case in anonymised["cases"])
    assert client.post(f"{path}/withdraw").json()["state"] == "withdrawn"
    again = client.post(f"{path}/withdraw")
    assert again.status_code == 409 and again.headers["content-type"].startswith(PROBLEM)
    # Marking needs the curating capability: a supervision office reads but does not curate.
    assert client_for("wenze-kunshan", "ks-supervision-1").post(path, json={"reason": "x"}).status_code == 403


def test_another_tenants_case_is_not_found(client_for, loaded) -> None:
    _, decisions = loaded
    kunshan = next(d for d in decisions if d.tenant == "kunshan")
    hubei = client_for("wenze-hubei", "hb-responsibility-office")
    response = hubei.post(f"/v1/case-library/{kunshan.decision_id}/typical", json={"reason": "x"})
    assert response.status_code == 404 and response.json()["type"].endswith("case-not-found")
    assert hubei.post("/v1/case-library/not-a-uuid/typical", json={"reason": "x"}).status_code == 404
