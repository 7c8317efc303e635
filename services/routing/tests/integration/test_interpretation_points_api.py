"""A tenant's choice among the readings of its interpretation points, over real HTTP: listed
for every user, chosen by a rules administrator from a date, applied to evaluations whose
relevant date is on or after it, audited and published."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from sqlalchemy import text

from wenze.db import create_engine
from wenze.db.audit import chain_pending, verify_chains
from wenze.rules import get_pack
from wenze_devtools.testing.infra import NatsServer, ServiceProcess, fresh_database

pytestmark = pytest.mark.integration

APPEAL = {"received_on": None, "cadre_level": "leader"}


@pytest.fixture(scope="module")
def database() -> Iterator[str]:
    with fresh_database() as url:
        yield url


@pytest.fixture(scope="module")
def api(service_factory, database: str, own_nats: NatsServer) -> Iterator[ServiceProcess]:
    process = service_factory("routing", database=database, nats_url=own_nats.url)
    yield process
    process.stop()


@pytest.fixture(scope="module")
def admin(api: ServiceProcess, client_for) -> httpx.Client:
    return client_for(api, "wenze-zhenxiong", "zx-intake", roles=["rules:admin"])


@pytest.fixture(scope="module")
def reader(api: ServiceProcess, client_for) -> httpx.Client:
    return client_for(api, "wenze-zhenxiong", "zx-intake", roles=["matter:read"])


@pytest.fixture(scope="module")
def hubei(api: ServiceProcess, client_for) -> httpx.Client:
    return client_for(api, "wenze-hubei", "hb-responsibility-office", roles=["rules:admin"])


def problem(response: httpx.Response, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    body: dict[str, Any] = response.json()
    return body


def appeal(client: httpx.Client, on: dt.date) -> dict[str, Any]:
    response = client.post(
        "/v1/rules/decisions/appeal_deadline/evaluate",
        json={"facts": {**APPEAL, "received_on": on.isoformat()}, "on": on.isoformat()},
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def test_every_user_lists_the_points_with_the_default_in_force(reader: httpx.Client) -> None:
    listed = reader.get("/v1/rules/points", params={"on": "2026-03-02"}).json()
    assert listed["tenant"] == "zhenxiong"
    ids = [p["id"] for p in listed["points"]]
    assert ids == [p.id for p in get_pack("zhenxiong").points]
    stay = next(p for p in listed["points"] if p["id"] == "appeal_suspends_execution")
    assert stay["in_force"] == {
        "reading": "no_stay",
        "label": "申诉期间不停止执行",
        "default": True,
        "since": None,
        "version": None,
    }
    assert stay["affects"] == ["appeal_deadline"] and stay["articles"][0]["lines"] == "77"
    assert listed["readings"]["appeal_suspends_execution"] == "no_stay"


def test_choosing_needs_rules_admin(reader: httpx.Client) -> None:
    today = get_pack("zhenxiong").today()
    body = {"reading": "stay", "effective_from": today.isoformat(), "reason": "委务会研究决定"}
    assert (
        problem(reader.post("/v1/rules/points/appeal_suspends_execution/choices", json=body), 403)["capability"]
        == "rules:admin"
    )


@pytest.mark.parametrize(
    ("point", "body", "status", "field", "says"),
    [
        ("appeal_suspends_execution", {"reading": "sometimes"}, 422, "body.reading", "it has: no_stay, stay"),
        ("appeal_suspends_execution", {"effective_from": "2020-01-01"}, 422, "body.effective_from", "before today"),
        ("appeal_suspends_execution", {"reason": ""}, 422, "body.reason", ""),
        ("no_such_point", {}, 404, None, "has no interpretation point 'no_such_point'"),
    ],
)
def test_a_choice_the_pack_cannot_follow_is_refused_with_its_field(
    admin: httpx.Client, point: str, body: dict[str, Any], status: int, field: str | None, says: str
) -> None:
    today = get_pack("zhenxiong").today()
    sent = {"reading": "stay", "effective_from": today.isoformat(), "reason": "委务会研究决定", **body}
    refused = problem(admin.post(f"/v1/rules/points/{point}/choices", json=sent), status)
    if field is not None:
        assert any(e["field"] == field and says in e["reason"] for e in refused["errors"]), refused
    else:
        assert says in refused["detail"]
    listed = admin.get("/v1/rules/points/appeal_suspends_execution").json()
    assert listed["choices"] == [], "nothing is recorded by a refused choice"


async def test_a_choice_applies_from_its_date_and_is_on_the_record(
    admin: httpx.Client, hubei: httpx.Client, database: str
) -> None:
    today = get_pack("zhenxiong").today()
    effective = today + dt.timedelta(days=10)
    before, after = effective - dt.timedelta(days=1), effective

    chosen = admin.post(
        "/v1/rules/points/appeal_suspends_execution/choices",
        json={"reading": "stay", "effective_from": effective.isoformat(), "reason": "委务会2026年第12次会议决定"},
    )
    assert chosen.status_code == 201, chosen.text
    assert chosen.headers["location"] == "/v1/rules/points/appeal_suspends_execution"
    assert {k: chosen.json()[k] for k in ("point", "version", "reading", "chosen_by")} == {
        "point": "appeal_suspends_execution",
        "version": 1,
        "reading": "stay",
        "chosen_by": "zx-intake",
    }

    # A matter whose relevant date is before the choice keeps the reading it had.
    earlier = appeal(admin, before)
    assert earlier["outcome"]["suspends_execution"] is False
    [held] = [i for i in earlier["interpretations"] if i["point"] == "appeal_suspends_execution"]
    assert (held["reading"], held["default"]) == ("no_stay", True)
    later = appeal(admin, after)
    assert later["outcome"]["suspends_execution"] is True
    [applied] = [i for i in later["interpretations"] if i["point"] == "appeal_suspends_execution"]
    assert (applied["reading"], applied["default"]) == ("stay", False)
    assert "镇雄县纪检监察干部工作责任追究办法（试行） 十六" in [c["text"] for c in applied["citations"]]

    point = admin.get("/v1/rules/points/appeal_suspends_execution", params={"on": after.isoformat()}).json()
    assert point["in_force"] == {
        "reading": "stay",
        "label": "申诉期间暂停执行",
        "default": False,
        "since": effective.isoformat(),
        "version": 1,
    }
    assert admin.get("/v1/rules/points/appeal_suspends_execution").json()["in_force"]["reading"] == "no_stay"

    # A second choice is a second version; the first stays on the record.
    back = admin.post(
        "/v1/rules/points/appeal_suspends_execution/choices",
        json={"reading": "no_stay", "effective_from": (effective + dt.timedelta(days=5)).isoformat(), "reason": "复议"},
    )
    assert back.status_code == 201 and back.json()["version"] == 2
    history = admin.get("/v1/rules/points/appeal_suspends_execution").json()["choices"]
    assert [(c["version"], c["reading"]) for c in history] == [(1, "stay"), (2, "no_stay")]
    assert appeal(admin, effective + dt.timedelta(days=5))["outcome"]["suspends_execution"] is False

    # Another tenant's points are its own: Hubei still reads its default.
    assert hubei.get("/v1/rules/points/dual_investigation_year").json()["choices"] == []

    engine = create_engine(database, schema="routing")
    try:
        async with engine.connect() as conn:
            audited = (
                await conn.execute(
                    text(
                        "SELECT actor, action, object_kind, object_id, detail FROM audit_log "
                        "WHERE tenant = 'zhenxiong' AND action = 'rules.choose_reading' ORDER BY id"
                    )
                )
            ).all()
            published = (
                await conn.execute(
                    text("SELECT subject, payload FROM outbox WHERE subject LIKE 'routing.zhenxiong.interpretation.%'")
                )
            ).all()
            await chain_pending(engine)
            chains = {report.tenant: report for report in await verify_chains(conn)}
    finally:
        await engine.dispose()
    assert [(a.actor, a.object_kind, a.object_id) for a in audited] == [
        ("zx-intake", "interpretation_point", "appeal_suspends_execution")
    ] * 2
    first = audited[0].detail if isinstance(audited[0].detail, dict) else json.loads(audited[0].detail)
    assert {k: first[k] for k in ("reading", "effective_from", "version", "replaces")} == {
        "reading": "stay",
        "effective_from": effective.isoformat(),
        "version": 1,
        "replaces": "no_stay",
    }
    assert chains["zhenxiong"].sound, chains
    events = sorted((json.loads(p.payload) for p in published), key=lambda e: e["choice_version"])
    assert {p.subject for p in published} == {"routing.zhenxiong.interpretation.chosen.v1"}
    assert [(e["point"], e["reading"], e["effective_from"], e["choice_version"]) for e in events] == [
        ("appeal_suspends_execution", "stay", effective.isoformat(), 1),
        ("appeal_suspends_execution", "no_stay", (effective + dt.timedelta(days=5)).isoformat(), 2),
    ]
