"""Acceptance (受理): decided once, however many requests race for it, on a real intake API
process over either database it runs on (the embedded default, SQLite, where ``FOR UPDATE``
locks nothing, and PostgreSQL); retried safely with an ``Idempotency-Key``."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import uuid
from collections.abc import Iterator
from dataclasses import dataclass

import httpx
import pytest
from sqlalchemy import text

from wenze.db import create_engine
from wenze.db.audit import chain_pending, verify_chains
from wenze.rules import get_pack
from wenze_devtools.testing.infra import NatsServer, ServiceProcess

pytestmark = pytest.mark.integration

ATTEMPTS = 20


@dataclass
class IntakeOn:
    """An intake API process and the database it writes to."""

    api: ServiceProcess
    database_url: str


@pytest.fixture(scope="module")
def sqlite_intake(service_factory, tmp_path_factory: pytest.TempPathFactory, own_nats: NatsServer) -> IntakeOn:
    url = f"sqlite:///{tmp_path_factory.mktemp('sqlite-intake') / 'intake.db'}"
    return IntakeOn(service_factory("intake", database=url, nats_url=own_nats.url, run_import_jobs="false"), url)


@pytest.fixture(params=["sqlite", "postgresql"])
def intake_on(request: pytest.FixtureRequest, database_url: str) -> Iterator[IntakeOn]:
    if request.param == "sqlite":
        yield request.getfixturevalue("sqlite_intake")
    else:
        yield IntakeOn(request.getfixturevalue("intake"), database_url)


async def outbox_events(database_url: str, matter_id: str) -> list[tuple[str, dict]]:
    """(subject, payload) of every event the intake database holds for ``matter_id``."""
    engine = create_engine(database_url, schema="intake")
    try:
        async with engine.connect() as conn:
            rows = (await conn.execute(text("SELECT subject, payload FROM outbox"))).all()
    finally:
        await engine.dispose()
    events = [(subject, json.loads(payload)) for subject, payload in rows]
    return [(subject, payload) for subject, payload in events if payload["matter_id"] == matter_id]


def decision(index: int, study_date: str) -> dict:
    """Alternately an acceptance and a refusal (不予受理), so that two winners would disagree."""
    if index % 2:
        return {
            "outcome": "not_accepted",
            "reason": "不属于问责范围",
            "participants": ["周敏"],
            "study_date": study_date,
        }
    return {"outcome": "accepted", "participants": ["周敏", "陈立"], "study_date": study_date}


async def test_concurrent_acceptances_decide_a_matter_exactly_once(intake_on: IntakeOn, token, make_matter) -> None:
    headers = {"Authorization": f"Bearer {token('wenze-kunshan', 'ks-intake')}"}
    limits = httpx.Limits(max_connections=ATTEMPTS)
    async with httpx.AsyncClient(base_url=intake_on.api.url, headers=headers, timeout=60, limits=limits) as http:
        created = await http.post("/v1/matters", json=make_matter())
        assert created.status_code == 201, created.text
        matter_id = created.json()["id"]
        study_date = get_pack("kunshan").today().isoformat()

        answers = await asyncio.gather(
            *(http.post(f"/v1/matters/{matter_id}/acceptance", json=decision(i, study_date)) for i in range(ATTEMPTS))
        )

        statuses = sorted(a.status_code for a in answers)
        assert statuses == [200] + [409] * (ATTEMPTS - 1), [a.text for a in answers if a.status_code != 409]
        for refused in (a for a in answers if a.status_code == 409):
            assert refused.headers["content-type"].startswith("application/problem+json")
            assert refused.json()["type"].endswith("/matter-not-awaiting-acceptance"), refused.text
        [winner] = [a.json() for a in answers if a.status_code == 200]

        final = (await http.get(f"/v1/matters/{matter_id}")).json()
        timeline = (await http.get(f"/v1/matters/{matter_id}/timeline")).json()

    assert final["state"] == winner["state"] == winner["acceptance"]["outcome"]
    decided = [e for e in timeline if e["action"] == "acceptance_decided"]
    assert [e["state"] for e in decided] == [final["state"]]

    events = [(s, p) for s, p in await outbox_events(intake_on.database_url, matter_id) if ".received." not in s]
    assert len(events) == 1, events
    [(subject, payload)] = events
    if final["state"] == "accepted":
        assert subject == "intake.kunshan.matter.accepted.v1"
        assert payload["participants"] == ["周敏", "陈立"]
    else:
        assert subject == "intake.kunshan.matter.rejected.v1"
        assert payload["outcome"] == final["state"] == "not_accepted"


def test_study_date_is_checked_against_the_tenants_today(ks_intake: httpx.Client, make_matter) -> None:
    created = ks_intake.post("/v1/matters", json=make_matter()).json()
    tomorrow = get_pack("kunshan").today() + dt.timedelta(days=1)
    response = ks_intake.post(
        f"/v1/matters/{created['id']}/acceptance",
        json={"outcome": "accepted", "participants": ["周敏"], "study_date": tomorrow.isoformat()},
    )
    assert response.status_code == 422, response.text
    assert response.json()["errors"][0]["field"] == "body.study_date"


def test_acceptance_retried_with_its_idempotency_key_answers_as_the_first_time(
    ks_intake: httpx.Client, make_matter
) -> None:
    created = ks_intake.post("/v1/matters", json=make_matter()).json()
    key = {"Idempotency-Key": f"accept-{uuid.uuid4()}"}
    body = decision(0, get_pack("kunshan").today().isoformat())
    first = ks_intake.post(f"/v1/matters/{created['id']}/acceptance", json=body, headers=key)
    retried = ks_intake.post(f"/v1/matters/{created['id']}/acceptance", json=body, headers=key)
    assert first.status_code == retried.status_code == 200, retried.text
    assert retried.headers.get("Idempotency-Replayed") == "true"
    assert retried.json() == first.json()

    other = ks_intake.post(f"/v1/matters/{created['id']}/acceptance", json=decision(1, body["study_date"]), headers=key)
    assert other.status_code == 409
    assert other.json()["type"].endswith("/idempotency-key-reused")
    timeline = ks_intake.get(f"/v1/matters/{created['id']}/timeline").json()
    assert [e["action"] for e in timeline] == ["received", "acceptance_decided"]


async def test_submission_acceptance_and_reading_a_matter_are_in_the_audit_log(
    intake_on: IntakeOn, token, make_matter
) -> None:
    headers = {"Authorization": f"Bearer {token('wenze-kunshan', 'ks-intake')}"}
    async with httpx.AsyncClient(base_url=intake_on.api.url, headers=headers, timeout=60) as http:
        submitted = (await http.post("/v1/matters", json=make_matter())).json()
        matter_id = submitted["id"]
        accepted = await http.post(
            f"/v1/matters/{matter_id}/acceptance", json=decision(0, get_pack("kunshan").today().isoformat())
        )
        assert accepted.status_code == 200, accepted.text
        assert (await http.get(f"/v1/matters/{matter_id}")).status_code == 200

    engine = create_engine(intake_on.database_url, schema="intake")
    try:
        async with engine.connect() as conn:
            entries = (
                await conn.execute(
                    text(
                        "SELECT action, actor, client_address, detail FROM audit_log WHERE object_id = :id ORDER BY id"
                    ),
                    {"id": matter_id},
                )
            ).all()
            await chain_pending(engine, "kunshan")
            [chain] = await verify_chains(conn, "kunshan")
    finally:
        await engine.dispose()
    assert [tuple(e)[:3] for e in entries] == [
        ("matter.submit", "ks-intake", "127.0.0.1"),
        ("matter.accept", "ks-intake", "127.0.0.1"),
        ("matter.read", "ks-intake", "127.0.0.1"),
    ]
    # The submission's entry is written with the matter (on PostgreSQL by the numbering
    # statement itself) and names the number it was given.
    detail = entries[0].detail
    assert (json.loads(detail) if isinstance(detail, str) else detail) == {"number": submitted["number"]}
    assert chain.sound, chain
