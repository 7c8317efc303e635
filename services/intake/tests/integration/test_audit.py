"""Every change intake makes, and every read of a matter's content, is in the tenant's audit
chain with who, what and from where, and the chain verifies (ADR 0014)."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import time
import uuid

import httpx
import pytest
from sqlalchemy import text

from wenze.db import create_engine
from wenze.db.audit import chain_pending, verify_chains
from wenze.events import DecisionMade
from wenze.rules import get_pack

pytestmark = pytest.mark.integration

OFFICE = "party_conduct_office"
LISTED_IT = "action = 'matter.list' AND detail->'ids' @> jsonb_build_array(CAST(:id AS text))"
HERE = "127.0.0.1"


async def entries(database_url: str, where: str, **params: str) -> list[dict]:
    engine = create_engine(database_url, schema="intake")
    try:
        async with engine.connect() as conn:
            rows = await conn.execute(
                text(
                    "SELECT actor, office, action, object_kind, object_id, client_address, detail FROM audit_log "
                    f"WHERE tenant = 'kunshan' AND ({where}) ORDER BY id"
                ),
                params,
            )
            return [dict(row._mapping) for row in rows]
    finally:
        await engine.dispose()


async def chains(database_url: str) -> list:
    engine = create_engine(database_url, schema="intake")
    try:
        async with engine.connect() as conn:
            await chain_pending(engine)
            return await verify_chains(conn)
    finally:
        await engine.dispose()


def decision_made(matter: dict) -> DecisionMade:
    return DecisionMade(
        tenant="kunshan",
        matter_id=uuid.UUID(matter["id"]),
        decision_id=uuid.uuid4(),
        number=f"KS-DEC-2026-{uuid.uuid4().int % 100000:05d}",
        matter_number=matter["number"],
        decided_by="discipline_supervision_office",
        decided_on=dt.date.today(),
        announced_on=None,
        simplified_procedure=False,
        measures=[],
        citations=[],
    )


def test_every_change_and_every_read_of_a_matter_is_in_the_audit_log(
    ks_intake: httpx.Client, make_matter, database_url: str, publish, wait_for, wait_done
) -> None:
    marker = uuid.uuid4().hex[:8]
    content = f"情况说明{marker}".encode()
    stored = ks_intake.post("/v1/attachments", content=content, headers={"Content-Type": "application/octet-stream"})
    assert stored.status_code == 201, stored.text
    sha = stored.json()["sha256"]
    attachment = {"name": "说明.txt", "size": len(content), "sha256": sha, "media_type": "text/plain"}
    matter = ks_intake.post("/v1/matters", json=make_matter(summary=f"审计{marker}", attachments=[attachment])).json()
    assert ks_intake.get(f"/v1/matters/{matter['id']}").status_code == 200
    assert ks_intake.get(f"/v1/matters/{matter['id']}/timeline").status_code == 200
    assert ks_intake.get("/v1/matters", params={"q": f"审计{marker}"}).json()["items"][0]["id"] == matter["id"]
    accepted = ks_intake.post(
        f"/v1/matters/{matter['id']}/acceptance",
        json={"outcome": "accepted", "participants": ["周敏"], "study_date": get_pack("kunshan").today().isoformat()},
    )
    assert accepted.status_code == 200, accepted.text
    publish(decision_made(matter))
    job_id = ks_intake.post(
        "/v1/matter-imports",
        content="\n".join(
            [json.dumps(make_matter(summary=f"审计导入{marker}"), ensure_ascii=False), '{"source": "x"}']
        ).encode(),
        headers={"Content-Type": "application/x-ndjson"},
    ).json()["id"]
    assert wait_done(ks_intake, job_id)["state"] == "completed"

    url = database_url

    def learned() -> list[dict] | None:
        found = asyncio.run(entries(url, "object_id = :id", id=matter["id"]))
        return found if found[-1]["action"] == "matter.parties_learned" else None

    of_matter = wait_for(learned, "the deciding office to be recorded")
    assert [(e["action"], e["actor"], e["office"], e["client_address"]) for e in of_matter] == [
        ("matter.submit", "ks-intake", OFFICE, HERE),
        ("matter.read", "ks-intake", OFFICE, HERE),
        ("matter.timeline.read", "ks-intake", OFFICE, HERE),
        ("matter.accept", "ks-intake", OFFICE, HERE),
        ("matter.parties_learned", "system:intake", None, None),
    ]
    assert of_matter[0]["detail"] == {"number": matter["number"]}
    assert of_matter[3]["detail"] == {"number": matter["number"], "outcome": "accepted"}
    assert of_matter[4]["detail"]["offices"] == ["discipline_supervision_office"]

    [upload] = asyncio.run(entries(url, "action = 'attachment.upload' AND object_id = :sha", sha=sha))
    assert (upload["actor"], upload["office"], upload["client_address"]) == ("ks-intake", OFFICE, HERE)
    assert upload["detail"] == {"size": len(content)}

    [listing] = asyncio.run(entries(url, LISTED_IT, id=matter["id"]))
    assert listing["detail"]["filters"] == {"q": f"审计{marker}"} and listing["detail"]["count"] == 1

    job = asyncio.run(entries(url, "object_id = :id", id=job_id))
    assert [(e["action"], e["actor"]) for e in job] == [
        ("import_job.create", "ks-intake"),
        ("import_job.claim", "system:intake"),
        ("import_job.register", "ks-intake"),
        ("import_job.complete", "system:intake"),
    ]
    assert job[0]["client_address"] == HERE and job[2]["office"] == OFFICE
    [imported] = job[2]["detail"]["matters"]
    assert imported["number"].startswith("KS-") and imported["id"]
    assert job[3]["detail"] == {"registered": 1, "refused": 1}

    reports = asyncio.run(chains(url))
    assert reports and all(report.sound for report in reports), reports


async def chain_link_of_submission(database_url: str, matter_id: str) -> int | None:
    engine = create_engine(database_url, schema="intake")
    try:
        async with engine.connect() as conn:
            return (
                await conn.execute(
                    text(
                        "SELECT c.seq FROM audit_chain c JOIN audit_log e ON e.id = c.entry_id "
                        "WHERE e.tenant = 'kunshan' AND e.action = 'matter.submit' AND e.object_id = :id"
                    ),
                    {"id": matter_id},
                )
            ).scalar_one_or_none()
    finally:
        await engine.dispose()


def test_the_worker_links_a_submitted_matters_entry_into_the_chain_within_seconds(
    ks_intake: httpx.Client, make_matter, database_url: str, wait_for
) -> None:
    # Nothing here chains: the intake worker's chainer does, on its own.
    submitted = ks_intake.post("/v1/matters", json=make_matter())
    assert submitted.status_code == 201, submitted.text
    started = time.monotonic()
    seq = wait_for(lambda: asyncio.run(chain_link_of_submission(database_url, submitted.json()["id"])), "chain link")
    assert time.monotonic() - started < 5, "the chainer runs every second"
    assert isinstance(seq, int) and seq >= 1
