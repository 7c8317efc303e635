"""The working-day calendar over real HTTP: national years only from platform operators, stored
where every replica reads them; local days of a tenant for that tenant's deadlines alone."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from sqlalchemy import text

from wenze.calendar import WorkingCalendar
from wenze.db import create_engine
from wenze.db.audit import chain_pending, verify_chains
from wenze_devtools.testing.infra import NatsServer, ServiceProcess, fresh_database

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
# Kunshan copies a decision within three working days. From 30 December 2026: 31 Dec,
# (1 Jan off, weekend), 4 Jan, 5 Jan. From Monday 21 December 2026: 22, 23, 24 December.
COPY_FACTS = {"target_class": "major", "target_kind": "person", "decided_forms": ["form_2"]}
# What Hubei's administrator once loaded as "2026" for every tenant: one made-up holiday
# replacing the whole national year.
HUBEI_2026 = {"year": 2026, "replaces_library": True, "holidays": [{"date": "2026-12-22", "name": "湖北假日"}]}
HUBEI_DAY_OFF = {"year": 2026, "days_off": [{"date": "2026-12-22", "name": "湖北地方假日"}]}


@pytest.fixture(scope="module")
def database() -> Iterator[str]:
    # National years are the platform's, so they must not leak into other modules' processes.
    with fresh_database() as url:
        yield url


def _started(process: ServiceProcess) -> Iterator[ServiceProcess]:
    yield process
    process.stop()


@pytest.fixture(scope="module")
def api(service_factory, database: str, own_nats: NatsServer) -> Iterator[ServiceProcess]:
    yield from _started(service_factory("routing", database=database, nats_url=own_nats.url))


@pytest.fixture(scope="module")
def replica(service_factory, database: str, own_nats: NatsServer, api: ServiceProcess) -> Iterator[ServiceProcess]:
    """A second process of the service on the same database, as a second replica would be."""
    yield from _started(service_factory("routing", database=database, nats_url=own_nats.url))


@pytest.fixture(scope="module")
def operator(api: ServiceProcess, client_for) -> httpx.Client:
    return client_for(api, "wenze-platform", "platform-ops")


@pytest.fixture(scope="module")
def kunshan_admin(api: ServiceProcess, client_for) -> httpx.Client:
    return client_for(api, "wenze-kunshan", "ks-intake", roles=["calendar:admin"])


@pytest.fixture(scope="module")
def hubei_admin(api: ServiceProcess, client_for) -> httpx.Client:
    return client_for(api, "wenze-hubei", "hb-responsibility-office", roles=["calendar:admin"])


@pytest.fixture(scope="module")
def reader(api: ServiceProcess, client_for) -> httpx.Client:
    return client_for(api, "wenze-kunshan", "ks-case-management", roles=["matter:read"])


def copy_due(client: httpx.Client, decided_on: str) -> httpx.Response:
    return client.post(
        "/v1/rules/decisions/implementation/evaluate",
        json={"facts": {**COPY_FACTS, "decided_on": decided_on}, "on": decided_on},
    )


def due(client: httpx.Client, decided_on: str) -> str:
    response = copy_due(client, decided_on)
    assert response.status_code == 200, response.text
    return response.json()["outcome"]["copy_due"]["due"]


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
    assert years["national"] == [] and years["local"] == []
    problem(reader.get("/v1/calendar/years/2027"), 404, "calendar-year-not-covered")


def test_a_tenant_administrator_cannot_change_the_national_calendar(
    hubei_admin: httpx.Client, kunshan_admin: httpx.Client, reader: httpx.Client
) -> None:
    assert due(reader, "2026-12-21") == "2026-12-24"
    for admin in (hubei_admin, kunshan_admin):
        body = problem(admin.put("/v1/calendar/years/2026", json=HUBEI_2026), 403, "platform-operator-required")
        assert "platform operator" in body["detail"]
        problem(admin.put("/v1/calendar/years/2027", json=YEAR_2027), 403, "platform-operator-required")
    # Kunshan still counts the national 2026, and nothing was loaded.
    assert due(reader, "2026-12-21") == "2026-12-24"
    assert reader.get("/v1/calendar/years").json()["national"] == []
    assert reader.get("/v1/calendar/years/2026").json()["national"]["replaces_library"] is False


def test_loading_needs_a_platform_operator_with_calendar_admin(api: ServiceProcess, client_for) -> None:
    problem(httpx.put(f"{api.url}/v1/calendar/years/2027", json=YEAR_2027, timeout=10), 401, "unauthenticated")
    without = client_for(api, "wenze-platform", "platform-ops", roles=[])
    body = problem(without.put("/v1/calendar/years/2027", json=YEAR_2027), 403, "missing-capability")
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
    operator: httpx.Client, reader: httpx.Client, year: int, body: dict, field: str, reason: str
) -> None:
    response = operator.put(f"/v1/calendar/years/{year}", json=body)
    errors = problem(response, 422, "validation-failed")["errors"]
    assert errors[0]["field"] == field, errors
    assert reason in errors[0]["reason"]
    assert reader.get("/v1/calendar/years").json()["national"] == []


@pytest.mark.parametrize(
    "body,field",
    [
        ({**YEAR_2027, "holidays": [{"date": "2027-01-01", "name": "元\u0000旦"}]}, "body.holidays.0.name"),
        ({**YEAR_2027, "holidays": [{"date": "2027-01-01", "name": "元旦\u001b[31m"}]}, "body.holidays.0.name"),
        ({**YEAR_2027, "holidays": [{"date": "2027-01-01", "name": "元" * 101}]}, "body.holidays.0.name"),
        (
            {**YEAR_2027, "makeup_working_days": [{"date": "2027-02-07", "name": "春\u0000节"}]},
            "body.makeup_working_days.0.name",
        ),
        ({**YEAR_2027, "source": "通知\u0000"}, "body.source"),
    ],
)
def test_day_names_with_control_characters_or_too_long_are_422(
    operator: httpx.Client, reader: httpx.Client, body: dict, field: str
) -> None:
    errors = problem(operator.put("/v1/calendar/years/2027", json=body), 422, "validation-failed")["errors"]
    assert errors[0]["field"] == field, errors
    assert "\u0000" not in str(errors)
    assert reader.get("/v1/calendar/years").json()["national"] == []


def test_path_year_out_of_range(operator: httpx.Client) -> None:
    errors = problem(operator.put("/v1/calendar/years/1800", json=YEAR_2027), 422, "validation-failed")["errors"]
    assert errors[0]["field"] == "path.year"


def test_a_loaded_national_year_counts_at_once_in_every_replica(
    operator: httpx.Client, reader: httpx.Client, replica: ServiceProcess, client_for
) -> None:
    on_replica = client_for(replica, "wenze-hubei", "hb-responsibility-office", roles=[])
    kunshan_on_replica = client_for(replica, "wenze-kunshan", "ks-case-management", roles=[])
    for client in (reader, kunshan_on_replica):
        assert problem(copy_due(client, "2026-12-30"), 422, "calendar-year-missing")["year"] == 2027

    response = operator.put("/v1/calendar/years/2027", json=YEAR_2027)
    assert response.status_code == 201, response.text
    assert response.headers["Location"] == "/v1/calendar/years/2027"
    stored = response.json()
    assert stored["created"] is True
    loaded = stored["loaded"]
    assert loaded["loaded_by"] == "platform-ops" and loaded["loaded_at"]
    assert {k: loaded[k] for k in ("year", "source", "replaces_library", "holidays", "makeup_working_days")} == {
        "year": 2027,
        "source": YEAR_2027["source"],
        "replaces_library": False,
        "holidays": 3,
        "makeup_working_days": 1,
    }

    # The other process reads it from the database, with no restart and no shared files.
    for client in (reader, kunshan_on_replica):
        assert due(client, "2026-12-30") == "2027-01-05"
    years = on_replica.get("/v1/calendar/years").json()
    assert years["covered"][-1] == 2027
    assert [(y["year"], y["loaded_by"]) for y in years["national"]] == [(2027, "platform-ops")]
    year = on_replica.get("/v1/calendar/years/2027").json()
    assert year["national"]["makeup_working_days"] == [{"date": "2027-02-07", "name": "春节"}]
    assert year["local"] is None


def test_loading_a_year_again_replaces_it(operator: httpx.Client, reader: httpx.Client) -> None:
    # Without the 1 January holiday the third working day is 4 January.
    without_new_year = {**YEAR_2027, "holidays": YEAR_2027["holidays"][1:]}
    response = operator.put("/v1/calendar/years/2027", json=without_new_year)
    assert response.status_code == 200, response.text
    assert response.json()["created"] is False
    assert due(reader, "2026-12-30") == "2027-01-04"
    operator.put("/v1/calendar/years/2027", json=YEAR_2027).raise_for_status()
    assert due(reader, "2026-12-30") == "2027-01-05"


def test_a_platform_token_reaches_no_tenant_data(operator: httpx.Client) -> None:
    for response in (
        operator.get("/v1/slips"),
        operator.get("/v1/rules/documents"),
        copy_due(operator, "2026-12-21"),
        operator.get("/v1/calendar/local-days/2026"),
        operator.put("/v1/calendar/local-days/2026", json=HUBEI_DAY_OFF),
    ):
        problem(response, 403, "tenant-user-required")
    # The national calendar it sees carries no tenant's local days.
    assert operator.get("/v1/calendar/years").json()["local"] == []


def test_local_days_move_only_their_own_tenants_deadlines(
    hubei_admin: httpx.Client, kunshan_admin: httpx.Client, reader: httpx.Client
) -> None:
    response = hubei_admin.put("/v1/calendar/local-days/2026", json=HUBEI_DAY_OFF)
    assert response.status_code == 201, response.text
    assert response.headers["Location"] == "/v1/calendar/local-days/2026"
    local = response.json()["local"]
    assert local["days_off"] == HUBEI_DAY_OFF["days_off"] and local["declared_by"] == "hb-responsibility-office"

    # Hubei counts its day off; Kunshan neither counts it nor sees it.
    hubei_year = hubei_admin.get("/v1/calendar/years/2026").json()
    assert hubei_year["local"]["days_off"] == HUBEI_DAY_OFF["days_off"]
    assert [y["year"] for y in hubei_admin.get("/v1/calendar/years").json()["local"]] == [2026]
    assert due(reader, "2026-12-21") == "2026-12-24"
    assert reader.get("/v1/calendar/years/2026").json()["local"] is None
    assert reader.get("/v1/calendar/years").json()["local"] == []
    problem(reader.get("/v1/calendar/local-days/2026"), 404, "local-days-not-found")

    # Kunshan's own local day off moves Kunshan's deadline.
    kunshan_day_off = {"year": 2026, "days_off": [{"date": "2026-12-23", "name": "昆山地方假日"}]}
    assert kunshan_admin.put("/v1/calendar/local-days/2026", json=kunshan_day_off).status_code == 201
    assert due(reader, "2026-12-21") == "2026-12-25"
    assert reader.get("/v1/calendar/local-days/2026").json()["days_off"] == kunshan_day_off["days_off"]
    assert hubei_admin.get("/v1/calendar/local-days/2026").json()["days_off"] == HUBEI_DAY_OFF["days_off"]

    # Declaring the year again replaces the tenant's local days of it.
    again = kunshan_admin.put("/v1/calendar/local-days/2026", json={"year": 2026})
    assert again.status_code == 200 and again.json()["created"] is False
    assert due(reader, "2026-12-21") == "2026-12-24"


@pytest.mark.parametrize(
    "year,body,field,reason",
    [
        (2026, {"year": 2025}, "body.year", "the path names 2026"),
        (2030, {"year": 2030, "days_off": [{"date": "2030-03-05", "name": "县庆"}]}, "path.year", "national"),
        (2026, {"year": 2026, "days_off": [{"date": "2026-10-01", "name": "县庆"}]}, "body.days_off.0.date", "国庆节"),
        (
            2026,
            {"year": 2026, "working_days": [{"date": "2026-12-22", "name": "值班"}]},
            "body.working_days.0.date",
            "national working day already",
        ),
        (2026, {"year": 2026, "days_off": [{"date": "2026-12-22", "name": "县\u0000庆"}]}, "body.days_off.0.name", ""),
        (2026, {"year": 2026, "days_off": [{"date": "2026-12-22"}]}, "body.days_off.0.name", "Field required"),
    ],
)
def test_invalid_local_days_are_422_naming_the_field(
    hubei_admin: httpx.Client, year: int, body: dict, field: str, reason: str
) -> None:
    before = hubei_admin.get("/v1/calendar/years").json()["local"]
    errors = problem(hubei_admin.put(f"/v1/calendar/local-days/{year}", json=body), 422, "validation-failed")
    assert errors["errors"][0]["field"] == field, errors
    assert reason in errors["errors"][0]["reason"]
    assert hubei_admin.get("/v1/calendar/years").json()["local"] == before


def test_declaring_local_days_needs_calendar_admin(reader: httpx.Client) -> None:
    body = problem(reader.put("/v1/calendar/local-days/2026", json=HUBEI_DAY_OFF), 403, "missing-capability")
    assert body["capability"] == "calendar:admin"


async def test_loading_and_declaring_are_in_the_audit_log(
    operator: httpx.Client, kunshan_admin: httpx.Client, database: str
) -> None:
    operator.put("/v1/calendar/years/2027", json=YEAR_2027).raise_for_status()
    kunshan_admin.put("/v1/calendar/local-days/2026", json={"year": 2026}).raise_for_status()

    engine = create_engine(database, schema="routing")
    try:
        async with engine.connect() as conn:
            last = {}
            for tenant in ("platform", "kunshan"):
                last[tenant] = (
                    await conn.execute(
                        text(
                            "SELECT actor, office, action, object_kind, object_id, client_address FROM audit_log "
                            "WHERE tenant = :tenant ORDER BY id DESC LIMIT 1"
                        ),
                        {"tenant": tenant},
                    )
                ).one()
            await chain_pending(engine)
            chains = {report.tenant: report for report in await verify_chains(conn)}
    finally:
        await engine.dispose()
    # A national year counts for every tenant: it is on the platform's own chain.
    assert tuple(last["platform"]) == (
        "platform-ops",
        None,
        "calendar.load_national_year",
        "calendar_year",
        "2027",
        "127.0.0.1",
    )
    assert tuple(last["kunshan"]) == (
        "ks-intake",
        "party_conduct_office",
        "calendar.declare_local_days",
        "local_days",
        "2026",
        "127.0.0.1",
    )
    assert chains["platform"].sound and chains["kunshan"].sound, chains
