"""Loading official calendar years over real HTTP: who may, what is refused, where it is
stored, and that deadlines computed by the same process count the loaded year at once."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
import yaml

from wenze.calendar import WorkingCalendar
from wenze_devtools.testing.infra import ServiceProcess

pytestmark = pytest.mark.integration

# The 2027 New Year: 1 January (Friday) off, no make-up day; a made-up Spring Festival week
# with one make-up Sunday keeps the example small but exercises both lists.
YEAR_2027 = {
    "year": 2027,
    "source": "国务院办公厅关于2027年部分节假日安排的通知",
    "holidays": [
        {"date": "2027-01-01", "name": "元旦"},
        {"date": "2027-02-08", "name": "春节"},
        {"date": "2027-02-09", "name": "春节"},
    ],
    "makeup_working_days": [{"date": "2027-02-07", "name": "春节"}],
}
# Three working days after 30 December 2026: 31 Dec, (1 Jan off, weekend), 4 Jan, 5 Jan.
COPY_FACTS = {"target_class": "major", "target_kind": "person", "decided_forms": ["form_2"], "decided_on": "2026-12-30"}


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("routing-calendar")


@pytest.fixture(scope="module")
def api(service_factory, data_dir: Path) -> ServiceProcess:
    # Its own data dir (WENZE_ROUTING_DATA_DIR, which wins over the session's WENZE_DATA_DIR):
    # the years loaded here must not leak into other tests' processes. Upper case because
    # the factory's own `data_dir` keyword is the shared one.
    return service_factory("routing", DATA_DIR=str(data_dir))


@pytest.fixture(scope="module")
def admin(api: ServiceProcess, client_for) -> httpx.Client:
    return client_for(api, "wenze-kunshan", "ks-intake", roles=["calendar:admin"])


@pytest.fixture(scope="module")
def reader(api: ServiceProcess, client_for) -> httpx.Client:
    return client_for(api, "wenze-kunshan", "ks-case-management", roles=["matter:read"])


def copy_due(client: httpx.Client) -> httpx.Response:
    return client.post("/v1/rules/decisions/implementation/evaluate", json={"facts": COPY_FACTS, "on": "2026-12-30"})


def problem(response: httpx.Response, status: int, slug: str) -> dict:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    body = response.json()
    assert body["type"] == f"https://wenze.dev/problems/{slug}", body
    return body


def test_listing_needs_a_token_and_shows_the_library(api: ServiceProcess, reader: httpx.Client) -> None:
    problem(httpx.get(f"{api.url}/v1/calendar/years", timeout=10), 401, "unauthenticated")
    years = reader.get("/v1/calendar/years").json()
    library = WorkingCalendar().library_years
    assert years["library"] == {"first": library.start, "last": library.stop - 1}
    assert years["covered"] == list(library)
    assert years["loaded"] == []
    problem(reader.get("/v1/calendar/years/2027"), 404, "calendar-year-not-covered")


def test_loading_needs_calendar_admin(api: ServiceProcess, reader: httpx.Client) -> None:
    problem(httpx.put(f"{api.url}/v1/calendar/years/2027", json=YEAR_2027, timeout=10), 401, "unauthenticated")
    body = problem(reader.put("/v1/calendar/years/2027", json=YEAR_2027), 403, "missing-capability")
    assert body["capability"] == "calendar:admin"


@pytest.mark.parametrize(
    "year,body,field,reason",
    [
        (2027, {**YEAR_2027, "holidays": [{"date": "2027-02-30", "name": "春节"}]}, "body.holidays.0.date", "date"),
        (2027, {**YEAR_2027, "holidays": [{"date": "2027-01-01"}]}, "body.holidays.0.name", "Field required"),
        (2027, {**YEAR_2027, "holiday": []}, "body.holiday", "Extra inputs"),
        (2027, {**YEAR_2027, "makeup_working_days": ["2027-01-04"]}, "body", "Saturday or Sunday"),
        (2027, {**YEAR_2027, "holidays": [{"date": "2028-01-01", "name": "元旦"}]}, "body", "dates outside 2027"),
        (2028, YEAR_2027, "body.year", "the path names 2028"),
        # 2026 is in the bundled data; a definition disagreeing with it must say it replaces it.
        (2026, {"year": 2026, "holidays": [{"date": "2026-03-02", "name": "植树"}]}, "body", "replaces_library"),
    ],
)
def test_invalid_years_are_422_naming_the_field(
    admin: httpx.Client, data_dir: Path, year: int, body: dict, field: str, reason: str
) -> None:
    response = admin.put(f"/v1/calendar/years/{year}", json=body)
    errors = problem(response, 422, "validation-failed")["errors"]
    assert errors[0]["field"] == field, errors
    assert reason in errors[0]["reason"]
    # Nothing was stored.
    assert admin.get("/v1/calendar/years").json()["loaded"] == []
    assert not (data_dir / "calendar").exists() or not list((data_dir / "calendar").iterdir())


def test_path_year_out_of_range(admin: httpx.Client) -> None:
    errors = problem(admin.put("/v1/calendar/years/1800", json=YEAR_2027), 422, "validation-failed")["errors"]
    assert errors[0]["field"] == "path.year"


def test_loaded_year_is_stored_listed_and_used_for_deadlines(
    admin: httpx.Client, reader: httpx.Client, data_dir: Path
) -> None:
    missing = problem(copy_due(reader), 422, "calendar-year-missing")
    assert missing["year"] == 2027

    response = admin.put("/v1/calendar/years/2027", json=YEAR_2027)
    assert response.status_code == 201, response.text
    assert response.headers["Location"] == "/v1/calendar/years/2027"
    stored = response.json()
    assert stored["created"] is True
    assert stored["loaded"] == {
        "year": 2027,
        "source": YEAR_2027["source"],
        "replaces_library": False,
        "holidays": 3,
        "makeup_working_days": 1,
        "file": "2027.yaml",
    }

    # Stored in the format wenze.calendar reads, where it reads it.
    written = yaml.safe_load((data_dir / "calendar" / "2027.yaml").read_text(encoding="utf-8"))
    assert written["year"] == 2027 and len(written["holidays"]) == 3
    assert WorkingCalendar.from_directory(data_dir / "calendar").loaded_years == (2027,)

    years = reader.get("/v1/calendar/years").json()
    assert years["covered"][-1] == 2027
    assert [y["year"] for y in years["loaded"]] == [2027]
    assert reader.get("/v1/calendar/years/2027").json()["makeup_working_days"] == [
        {"date": "2027-02-07", "name": "春节"}
    ]

    # The same process computes the deadline now, counting 1 January as a holiday.
    result = copy_due(reader)
    assert result.status_code == 200, result.text
    assert result.json()["outcome"]["copy_due"]["due"] == "2027-01-05"


def test_loading_a_year_again_replaces_it(admin: httpx.Client, reader: httpx.Client, data_dir: Path) -> None:
    # Without the 1 January holiday the third working day is 4 January.
    without_new_year = {**YEAR_2027, "holidays": YEAR_2027["holidays"][1:]}
    response = admin.put("/v1/calendar/years/2027", json=without_new_year)
    assert response.status_code == 200, response.text
    assert response.json()["created"] is False
    assert copy_due(reader).json()["outcome"]["copy_due"]["due"] == "2027-01-04"
    assert sorted(p.name for p in (data_dir / "calendar").iterdir()) == ["2027.yaml"]
    admin.put("/v1/calendar/years/2027", json=YEAR_2027).raise_for_status()


def test_library_year_is_readable(reader: httpx.Client) -> None:
    year = reader.get("/v1/calendar/years/2026").json()
    assert year["year"] == 2026
    assert {"date": "2026-10-01", "name": "国庆节"} in year["holidays"]


def test_a_restarted_process_still_knows_the_loaded_year(
    service_factory, data_dir: Path, client_for, admin: httpx.Client
) -> None:
    assert admin.get("/v1/calendar/years").json()["loaded"][0]["year"] == 2027
    restarted = service_factory("routing", DATA_DIR=str(data_dir))
    try:
        client = client_for(restarted, "wenze-kunshan", "ks-case-management", roles=[])
        assert [y["year"] for y in client.get("/v1/calendar/years").json()["loaded"]] == [2027]
        assert copy_due(client).json()["outcome"]["copy_due"]["due"] == "2027-01-05"
    finally:
        restarted.stop()
