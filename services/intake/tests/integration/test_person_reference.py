"""A person target's identity number: checked, turned into the person's reference, never kept."""

from __future__ import annotations

import asyncio
import base64
import csv
import io
import json
import time
import uuid
from pathlib import Path

import httpx
import pytest
from sqlalchemy import text

from wenze.db import create_engine
from wenze.db.idempotency import RequestFingerprints, plain_digest
from wenze.persons import DEVELOPMENT_KEY, PersonReferences
from wenze.rules import get_pack
from wenze_devtools.testing.infra import ServiceProcess

pytestmark = pytest.mark.integration

# Valid under GB 11643 (the second is the standard's own example, check character X).
NUMBER = "320583198506150030"
OTHER_NUMBER = "11010519491231002X"
REFERENCES = PersonReferences(DEVELOPMENT_KEY)


async def rows_holding(database_url: str, needle: str) -> dict[str, int]:
    """How many rows of each of intake's tables hold ``needle`` anywhere in their text."""
    engine = create_engine(database_url, schema="intake")
    try:
        async with engine.connect() as conn:
            tables = (
                await conn.execute(
                    text("SELECT table_name FROM information_schema.tables WHERE table_schema = 'intake'")
                )
            ).scalars()
            found = {}
            for table in list(tables):
                count = await conn.scalar(
                    text(f'SELECT count(*) FROM intake."{table}" AS r WHERE r::text LIKE :pattern'),
                    {"pattern": f"%{needle}%"},
                )
                if count:
                    found[table] = count
            return found
    finally:
        await engine.dispose()


def test_a_submitted_identity_number_becomes_the_persons_reference_and_is_not_kept(
    ks_intake: httpx.Client, make_matter, make_person, database_url: str, wait_for
) -> None:
    body = make_matter(
        targets=[
            make_person("王芳", identity_number=NUMBER),
            make_person("王芳", identity_number=OTHER_NUMBER.lower()),
            make_person("李强"),
        ]
    )
    response = ks_intake.post("/v1/matters", json=body)
    assert response.status_code == 201, response.text
    assert NUMBER not in response.text and OTHER_NUMBER not in response.text
    targets = response.json()["targets"]
    expected = REFERENCES.reference("kunshan", NUMBER)
    # Two namesakes of one unit are two persons; a target without a number has no reference.
    assert [t["person_ref"] for t in targets] == [expected, REFERENCES.reference("kunshan", OTHER_NUMBER), None]
    assert REFERENCES.reference("jintan", NUMBER) != expected

    # The reference goes out on matter.received; the number is in none of intake's tables.
    holding = wait_for(lambda: asyncio.run(rows_holding(database_url, expected)).get("outbox"), "the event")
    assert holding == 1
    assert asyncio.run(rows_holding(database_url, NUMBER)) == {}
    assert asyncio.run(rows_holding(database_url, OTHER_NUMBER[:17])) == {}


@pytest.mark.parametrize(
    ("number", "reason"),
    [
        ("320583198506150031", "does not match the check digit"),
        ("32058319850615003", "it has 17 characters, one has 18"),
        ("320583198513150030", "not a date of birth"),
    ],
)
def test_a_bad_identity_number_is_a_422_naming_the_target_field(
    ks_intake: httpx.Client, make_matter, make_person, number: str, reason: str
) -> None:
    response = ks_intake.post(
        "/v1/matters", json=make_matter(targets=[make_person(), make_person("王芳", identity_number=number)])
    )
    assert response.status_code == 422, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    [error] = response.json()["errors"]
    assert error["field"] == "body.targets.1.person.identity_number"
    assert reason in error["reason"]
    assert number not in response.text


def test_an_import_with_the_packs_chinese_heading_takes_the_identity_number(
    ks_intake: httpx.Client, wait_done, database_url: str
) -> None:
    labels = get_pack("kunshan").vocabulary["matter_fields"]
    columns = ["source", "source_reference", "summary", "facts", "target_kind", "target_name", "target_unit"]
    columns += ["target_cadre_level", "target_identity_number"]
    assert labels["target_identity_number"] == "公民身份号码"
    marker = uuid.uuid4().hex[:8]
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow([labels[c] for c in columns])
    row = ["city_government", f"ID-{marker}-{{n}}", f"身份{marker}-{{n}}", "事实", "person", "{name}", "玉山镇"]
    writer.writerow([cell.format(n=1, name="赵敏") for cell in row] + ["not_city_managed", NUMBER.lower()])
    writer.writerow([cell.format(n=2, name="钱进") for cell in row] + ["not_city_managed", "320583198506150031"])
    response = ks_intake.post(
        "/v1/matter-imports", content=buffer.getvalue().encode("gbk"), headers={"Content-Type": "text/csv"}
    )
    assert response.status_code == 202, response.text
    job = wait_done(ks_intake, response.json()["id"])
    assert (job["state"], job["registered"], job["refused"]) == ("completed", 1, 1), job
    [refused] = ks_intake.get(f"/v1/matter-imports/{job['id']}/errors").json()["items"]
    assert refused["row"] == 2
    assert refused["errors"][0]["field"] == "targets.0.person.identity_number"
    assert "check digit" in refused["errors"][0]["reason"]
    [stored] = ks_intake.get("/v1/matters", params={"q": f"身份{marker}-1"}).json()["items"]
    assert stored["targets"][0]["person_ref"] == REFERENCES.reference("kunshan", NUMBER)
    assert asyncio.run(rows_holding(database_url, "320583198506150031")) == {}
    assert asyncio.run(rows_holding(database_url, NUMBER)) == {}


def test_an_imports_file_is_deleted_once_the_job_has_ended_and_its_answers_stay(
    intake: ServiceProcess, ks_intake: httpx.Client, wait_done
) -> None:
    """The uploaded file holds the numbers as typed; once the job has completed nothing of it
    is left on intake's volume, and the job, its refused rows and a repeat of the upload with
    its Idempotency-Key answer as before."""
    uploads = Path(intake.env["WENZE_DATA_DIR"]) / "intake-imports"
    marker = uuid.uuid4().hex[:8]
    columns = ["source", "source_reference", "summary", "facts", "target_kind", "target_name", "target_cadre_level"]
    row = ["city_government", f"删-{marker}-{{n}}", f"删除{marker}", "事实", "person", "{name}", "not_city_managed"]
    buffer = io.StringIO()
    csv.writer(buffer).writerows(
        [
            [*columns, "target_identity_number"],
            [*(cell.format(n=1, name="孙丽") for cell in row), OTHER_NUMBER],
            [*(cell.format(n=2, name="周正") for cell in row), "11010519491231002Y"],
        ]
    )
    content = buffer.getvalue().encode()
    headers = {"Content-Type": "text/csv", "Idempotency-Key": f"import-file-{marker}"}

    started = ks_intake.post("/v1/matter-imports", content=content, headers=headers)
    assert started.status_code == 202, started.text
    job_id = started.json()["id"]
    file = uploads / f"{job_id}.csv"
    job = wait_done(ks_intake, job_id)
    assert (job["state"], job["registered"], job["refused"]) == ("completed", 1, 1), job
    # Deleted by the job's process just after it recorded the completion.
    deadline = time.monotonic() + 10
    while file.exists():
        assert time.monotonic() < deadline, "the completed job's file is still there"
        time.sleep(0.05)
    assert not any(OTHER_NUMBER.encode() in f.read_bytes() for f in uploads.iterdir() if f.is_file())

    assert ks_intake.get(f"/v1/matter-imports/{job_id}").json() == job
    [refused] = ks_intake.get(f"/v1/matter-imports/{job_id}/errors").json()["items"]
    assert (refused["row"], refused["errors"][0]["field"]) == (2, "targets.0.person.identity_number")
    again = ks_intake.post("/v1/matter-imports", content=content, headers=headers)
    assert again.status_code == 202, again.text
    assert again.headers["Idempotency-Replayed"] == "true"
    assert again.json() == started.json()
    assert not file.exists(), "a repeated upload stores nothing"
    assert ks_intake.get(f"/v1/matter-imports/{job_id}").json() == job


def token_subject(client: httpx.Client) -> str:
    """The ``sub`` of the client's token: a part of every request's fingerprint."""
    claims = client.headers["Authorization"].removeprefix("Bearer ").split(".")[1]
    return json.loads(base64.urlsafe_b64decode(claims + "=" * (-len(claims) % 4)))["sub"]


async def stored_fingerprint(database_url: str, key: str) -> str:
    engine = create_engine(database_url, schema="intake")
    try:
        async with engine.connect() as conn:
            return await conn.scalar(
                text("SELECT fingerprint FROM intake.idempotency_keys WHERE key = :key"), {"key": key}
            )
    finally:
        await engine.dispose()


async def store_plain_fingerprint(database_url: str, key: str, fingerprint: str, body: dict) -> None:
    """An Idempotency-Key's record as stored before fingerprints were keyed."""
    engine = create_engine(database_url, schema="intake")
    try:
        async with engine.begin() as conn:
            await conn.execute(
                text(
                    "INSERT INTO intake.idempotency_keys (tenant, key, fingerprint, status_code, body, created_at) "
                    "VALUES ('kunshan', :key, :fingerprint, 201, CAST(:body AS jsonb), now())"
                ),
                {"key": key, "fingerprint": fingerprint, "body": json.dumps(body)},
            )
    finally:
        await engine.dispose()


def test_an_idempotency_keys_fingerprint_of_a_body_with_a_number_is_keyed(
    ks_intake: httpx.Client, make_matter, make_person, database_url: str
) -> None:
    """The fingerprint of a body holding an identity number is an HMAC under the deployment's
    key (here the development key), not a plain digest anyone could match against guesses."""
    key = f"numbered-{uuid.uuid4()}"
    content = json.dumps(make_matter(targets=[make_person("吴刚", identity_number=NUMBER)])).encode()
    headers = {"Idempotency-Key": key, "Content-Type": "application/json"}

    first = ks_intake.post("/v1/matters", content=content, headers=headers)
    assert first.status_code == 201, first.text

    parts = (token_subject(ks_intake), "POST", "/v1/matters", content)
    stored = asyncio.run(stored_fingerprint(database_url, key))
    assert stored == RequestFingerprints(DEVELOPMENT_KEY).of(*parts)
    assert stored != plain_digest(*parts)
    again = ks_intake.post("/v1/matters", content=content, headers=headers)
    assert (again.status_code, again.headers.get("Idempotency-Replayed")) == (201, "true")
    assert again.json() == first.json()


def test_a_key_stored_with_a_plain_fingerprint_before_still_replays_its_answer(
    ks_intake: httpx.Client, make_matter, database_url: str
) -> None:
    key = f"before-keyed-{uuid.uuid4()}"
    content = json.dumps(make_matter()).encode()
    headers = {"Idempotency-Key": key, "Content-Type": "application/json"}
    # The first request, made then: its matter registered and its answer stored with the key.
    first = ks_intake.post("/v1/matters", content=content, headers={"Content-Type": "application/json"})
    assert first.status_code == 201, first.text
    answer = first.json()
    plain = plain_digest(token_subject(ks_intake), "POST", "/v1/matters", content)
    asyncio.run(store_plain_fingerprint(database_url, key, plain, answer))

    again = ks_intake.post("/v1/matters", content=content, headers=headers)
    assert (again.status_code, again.headers.get("Idempotency-Replayed")) == (201, "true"), again.text
    assert again.json() == answer
    other = ks_intake.post("/v1/matters", content=json.dumps(make_matter()).encode(), headers=headers)
    assert other.status_code == 409 and other.json()["type"].endswith("/idempotency-key-reused")
