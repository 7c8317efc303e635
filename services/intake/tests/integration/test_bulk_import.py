"""Bulk import as a job: JSON Lines, CSV and XLSX, progress, per-row errors, summary."""

from __future__ import annotations

import asyncio
import csv
import datetime as dt
import io
import json
import uuid
from urllib.parse import quote

import httpx
import pytest
from openpyxl import Workbook
from sqlalchemy import text

from wenze.auth.capabilities import MATTER_ACCEPT, MATTER_BULK, MATTER_READ, MATTER_SUBMIT
from wenze.db import create_engine
from wenze.rules import get_pack

pytestmark = pytest.mark.integration
JT = "wenze-jintan"


def test_jsonl_import_with_bad_rows(ks_intake: httpx.Client, make_matter, wait_done) -> None:
    marker = uuid.uuid4().hex[:8]
    rows = [json.dumps(make_matter(summary=f"批量{marker}-{i}"), ensure_ascii=False) for i in range(120)]
    rows[10] = "{broken json"
    rows[20] = json.dumps(make_matter(source="nowhere", summary=f"批量{marker}-bad-source"), ensure_ascii=False)
    rows[30] = json.dumps(make_matter(summary="空\x00字符"), ensure_ascii=False)
    duplicate = json.loads(rows[40])
    rows.append(json.dumps(duplicate, ensure_ascii=False))  # same source reference as row 41
    response = ks_intake.post(
        "/v1/matter-imports",
        content="\n".join(rows).encode(),
        headers={"Content-Type": "application/x-ndjson", "X-Filename": "clues.jsonl"},
    )
    assert response.status_code == 202, response.text
    assert response.headers["Location"].endswith(response.json()["id"])
    job = wait_done(ks_intake, response.json()["id"])
    assert job["state"] == "completed", job
    assert job["total_rows"] == job["processed_rows"] == 121
    assert job["refused"] == 4 and job["registered"] == 117

    errors = ks_intake.get(f"/v1/matter-imports/{job['id']}/errors").json()["items"]
    by_row = {e["row"]: e["errors"] for e in errors}
    assert set(by_row) == {11, 21, 31, 121}
    assert by_row[21][0]["field"] == "source"
    assert by_row[31][0]["field"] == "summary"
    # Row 121 repeats row 41, which an earlier batch (of 50) already registered.
    assert by_row[121][0]["field"] == "source_reference"
    assert by_row[121][0]["existing_matter_id"]
    stored = ks_intake.get("/v1/matters", params={"q": f"批量{marker}", "limit": 200}).json()["items"]
    assert len(stored) == 117
    assert all(m["state"] == "received" for m in stored)


def test_the_file_name_travels_percent_encoded_and_one_that_cannot_be_shown_is_refused(
    ks_intake: httpx.Client, make_matter, wait_done
) -> None:
    body = json.dumps(make_matter(), ensure_ascii=False).encode()
    headers = {"Content-Type": "application/x-ndjson"}
    named = ks_intake.post(
        "/v1/matter-imports", content=body, headers={**headers, "X-Filename": quote("线索 100%.jsonl")}
    )
    assert named.status_code == 202, named.text
    assert wait_done(ks_intake, named.json()["id"])["filename"] == "线索 100%.jsonl"
    for hostile in ("clues%0A.jsonl", "clues%1B[31m.jsonl"):
        refused = ks_intake.post("/v1/matter-imports", content=body, headers={**headers, "X-Filename": hostile})
        assert refused.status_code == 422, refused.text
        assert refused.json()["errors"] == [
            {
                "field": "header.X-Filename",
                "reason": "the file name holds characters that cannot be shown",
                "code": "unprintable_filename",
            }
        ]


def test_batches_keep_file_order_and_catch_repeats_of_earlier_batches(
    ks_intake: httpx.Client, make_matter, wait_done
) -> None:
    """Batches of 50, each staged and registered by one statement: a repeat of a row of an
    earlier batch is caught by its join, an overridden one names the matter it repeats, and
    numbers are gap-free in the order of the file."""
    marker = uuid.uuid4().hex[:8]
    bodies = [make_matter(summary=f"并行{marker}-{i:03d}") for i in range(150)]
    bodies[59] = dict(bodies[44])  # row 60 repeats row 45, one batch earlier
    reason = "同一来函的第二名干部"
    bodies[109] = {**bodies[69], "duplicate_override": {"reason": reason}}  # row 110 repeats row 70 on purpose
    content = "\n".join(json.dumps(b, ensure_ascii=False) for b in bodies).encode()
    response = ks_intake.post("/v1/matter-imports", content=content, headers={"Content-Type": "application/x-ndjson"})
    assert response.status_code == 202, response.text
    job = wait_done(ks_intake, response.json()["id"])
    assert (job["state"], job["registered"], job["refused"]) == ("completed", 149, 1), job

    stored = ks_intake.get("/v1/matters", params={"q": f"并行{marker}", "limit": 200}).json()["items"]
    assert len(stored) == 149
    by_summary: dict[str, list[dict]] = {}
    for m in stored:
        by_summary.setdefault(m["summary"], []).append(m)
    [row_45] = by_summary[bodies[44]["summary"]]
    errors = ks_intake.get(f"/v1/matter-imports/{job['id']}/errors").json()["items"]
    assert [e["row"] for e in errors] == [60]
    assert errors[0]["errors"][0]["existing_matter_id"] == row_45["id"]

    def seq(m: dict) -> int:  # KS-2026-00042 → 42
        return int(m["number"].rsplit("-", 1)[1])

    original, repeat = sorted(by_summary[bodies[69]["summary"]], key=seq)
    assert repeat["duplicate_of"] == original["id"] and repeat["duplicate_override_reason"] == reason

    # Numbers are gap-free and in the order of the rows in the file.
    def row_of(m: dict) -> int:
        return 109 if m["duplicate_of"] else int(m["summary"].rsplit("-", 1)[1])

    seqs = [seq(m) for m in sorted(stored, key=row_of)]
    assert seqs == sorted(seqs) and seqs[-1] - seqs[0] == len(seqs) - 1


def test_import_row_repeating_a_registered_matter(ks_intake: httpx.Client, make_matter, wait_done) -> None:
    """Rows are staged before their batch's transaction; the duplicate lookup still happens in
    it, refusing a repeat and recording what an overridden repeat duplicates."""
    body = make_matter()
    first = ks_intake.post("/v1/matters", json=body).json()
    reason = "同一来函涉及两名干部，分别立项"
    rows = [
        json.dumps(body, ensure_ascii=False),
        json.dumps({**body, "duplicate_override": {"reason": reason}}, ensure_ascii=False),
    ]
    response = ks_intake.post(
        "/v1/matter-imports",
        content="\n".join(rows).encode(),
        headers={"Content-Type": "application/x-ndjson", "X-Filename": "repeat.jsonl"},
    )
    assert response.status_code == 202, response.text
    job = wait_done(ks_intake, response.json()["id"])
    assert job["state"] == "completed" and job["registered"] == 1 and job["refused"] == 1, job
    errors = ks_intake.get(f"/v1/matter-imports/{job['id']}/errors").json()["items"]
    assert [e["row"] for e in errors] == [1]
    assert errors[0]["errors"][0]["existing_matter_id"] == first["id"]
    stored = [
        m
        for m in ks_intake.get("/v1/matters", params={"limit": 200}).json()["items"]
        if m["source_reference"] == body["source_reference"] and m["id"] != first["id"]
    ]
    assert len(stored) == 1
    assert stored[0]["duplicate_of"] == first["id"] and stored[0]["duplicate_override_reason"] == reason
    timeline = ks_intake.get(f"/v1/matters/{stored[0]['id']}/timeline").json()
    assert timeline[0]["detail"]["duplicate_of"] == first["id"]
    assert timeline[0]["detail"]["duplicate_override_reason"] == reason
    assert timeline[0]["detail"]["number"] == stored[0]["number"]


def test_csv_and_xlsx_imports(ks_intake: httpx.Client, wait_done) -> None:
    marker = uuid.uuid4().hex[:8]
    header = [
        "source",
        "source_reference",
        "summary",
        "facts",
        "proposed_form",
        "key_supervised",
        "target_kind",
        "target_name",
        "target_cadre_level",
        "target_sector",
        "target_party_member",
    ]
    records = [
        [
            "city_government",
            f"CSV-{marker}-{i}",
            f"表格{marker}-{i}",
            "事实描述",
            "form_1",
            "否",
            "person",
            f"李{i}",
            "not_city_managed",
            "district_town",
            "是",
        ]
        for i in range(30)
    ]
    records[5][7] = ""  # a person without a name
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(header)
    writer.writerows(records)
    job = ks_intake.post(
        "/v1/matter-imports", content=buffer.getvalue().encode("utf-8-sig"), headers={"Content-Type": "text/csv"}
    ).json()
    job = wait_done(ks_intake, job["id"])
    assert (job["registered"], job["refused"]) == (29, 1)
    errors = ks_intake.get(f"/v1/matter-imports/{job['id']}/errors").json()["items"]
    assert errors[0]["row"] == 6 and errors[0]["errors"][0]["field"].startswith("targets.0")

    workbook = Workbook()
    sheet = workbook.active
    sheet.append(header)
    for i in range(12):
        sheet.append(
            [
                "city_government",
                f"XLSX-{marker}-{i}",
                f"工作簿{marker}-{i}",
                "事实",
                "form_2",
                "是",
                "person",
                f"王{i}",
                "city_managed",
                "city_department",
                "是",
            ]
        )
    data = io.BytesIO()
    workbook.save(data)
    job = ks_intake.post(
        "/v1/matter-imports",
        content=data.getvalue(),
        headers={"Content-Type": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"},
    ).json()
    job = wait_done(ks_intake, job["id"])
    assert (job["registered"], job["refused"]) == (12, 0), job
    stored = ks_intake.get("/v1/matters", params={"q": f"工作簿{marker}", "limit": 200}).json()["items"]
    assert len(stored) == 12 and all(m["key_supervised"] for m in stored)


def test_unsupported_format_is_415(ks_intake: httpx.Client) -> None:
    response = ks_intake.post("/v1/matter-imports", content=b"%PDF-1.4", headers={"Content-Type": "application/pdf"})
    assert response.status_code == 415
    assert response.json()["errors"][0]["field"] == "header.Content-Type"


def test_unknown_job_is_404(ks_intake: httpx.Client) -> None:
    assert ks_intake.get(f"/v1/matter-imports/{uuid.uuid4()}").status_code == 404


def _import(client: httpx.Client, bodies: list[dict], wait_done) -> dict:
    content = "\n".join(json.dumps(b, ensure_ascii=False) for b in bodies).encode()
    response = client.post("/v1/matter-imports", content=content, headers={"Content-Type": "application/x-ndjson"})
    assert response.status_code == 202, response.text
    return wait_done(client, response.json()["id"])


def test_a_whole_import_is_accepted_by_one_command(
    ks_intake: httpx.Client, make_matter, wait_done, database_url: str
) -> None:
    marker = uuid.uuid4().hex[:8]
    job = _import(ks_intake, [make_matter(summary=f"整批{marker}-{i:03d}") for i in range(120)], wait_done)
    assert job["registered"] == 120
    today = get_pack("kunshan").today()
    body = {"participants": ["周敏", "陈立"], "study_date": today.isoformat()}

    future = ks_intake.post(
        f"/v1/matter-imports/{job['id']}/acceptance",
        json={**body, "study_date": (today + dt.timedelta(days=1)).isoformat()},
    )
    assert future.status_code == 422 and future.json()["errors"][0]["field"] == "body.study_date", future.text
    unknown = ks_intake.post(f"/v1/matter-imports/{uuid.uuid4()}/acceptance", json=body)
    assert unknown.status_code == 404, unknown.text

    answer = ks_intake.post(f"/v1/matter-imports/{job['id']}/acceptance", json=body)
    assert answer.status_code == 200, answer.text
    assert answer.json() == {"job_id": job["id"], "accepted": 120, "awaiting": 0}
    # Nothing is accepted twice.
    assert ks_intake.post(f"/v1/matter-imports/{job['id']}/acceptance", json=body).json()["accepted"] == 0

    stored = ks_intake.get("/v1/matters", params={"q": f"整批{marker}", "limit": 200}).json()["items"]
    assert len(stored) == 120 and {m["state"] for m in stored} == {"accepted"}
    assert stored[0]["acceptance"]["participants"] == ["周敏", "陈立"]
    timeline = ks_intake.get(f"/v1/matters/{stored[0]['id']}/timeline").json()
    assert [e["action"] for e in timeline] == ["received", "acceptance_decided"]

    subjects = asyncio.run(_accepted_events(database_url, [m["id"] for m in stored]))
    assert subjects == dict.fromkeys((m["id"] for m in stored), 1)


async def _accepted_events(database_url: str, matter_ids: list[str]) -> dict[str, int]:
    engine = create_engine(database_url, schema="intake")
    try:
        async with engine.connect() as conn:
            rows = (
                await conn.execute(
                    text("SELECT payload FROM outbox WHERE subject = 'intake.kunshan.matter.accepted.v1'")
                )
            ).all()
    finally:
        await engine.dispose()
    counts: dict[str, int] = {}
    for (payload,) in rows:
        matter_id = json.loads(payload)["matter_id"]
        if matter_id in matter_ids:
            counts[matter_id] = counts.get(matter_id, 0) + 1
    return counts


def test_accepting_an_import_accepts_only_what_the_office_may_accept(client_as, make_matter, wait_done) -> None:
    """The checks of a single acceptance hold for each matter: a target beyond the office's
    authority stays awaiting acceptance, for an office that may accept it."""
    marker = uuid.uuid4().hex[:8]

    def jintan_matter(level: str) -> dict:
        return make_matter(
            source="unit_self_found",
            summary=f"整批受理{marker}-{level}",
            targets=[{"kind": "person", "name": "李强", "unit": "区教育局", "cadre_level": level}],
            proposed_form=None,
        )

    unit = client_as(JT, "jt-unit-education", roles=[MATTER_READ, MATTER_SUBMIT, MATTER_BULK, MATTER_ACCEPT])
    job = _import(unit, [jintan_matter("staff"), jintan_matter("section_leader")], wait_done)
    assert job["registered"] == 2
    body = {"participants": ["王芳"], "study_date": get_pack("jintan").today().isoformat()}
    by_unit = unit.post(f"/v1/matter-imports/{job['id']}/acceptance", json=body)
    assert by_unit.status_code == 200, by_unit.text
    assert (by_unit.json()["accepted"], by_unit.json()["awaiting"]) == (1, 1)

    reader = client_as(JT, "jt-unit-education", roles=[MATTER_READ])
    refused = reader.post(f"/v1/matter-imports/{job['id']}/acceptance", json=body)
    assert refused.status_code == 403, refused.text

    conduct_office = client_as(JT, "jt-conduct-office")
    by_office = conduct_office.post(f"/v1/matter-imports/{job['id']}/acceptance", json=body)
    assert by_office.status_code == 200, by_office.text
    assert (by_office.json()["accepted"], by_office.json()["awaiting"]) == (1, 0)
    states = {
        m["targets"][0]["cadre_level"]: m["state"]
        for m in conduct_office.get("/v1/matters", params={"q": f"整批受理{marker}"}).json()["items"]
    }
    assert states == {"staff": "accepted", "section_leader": "accepted"}


def test_an_excel_csv_in_gbk_with_chinese_headings_imports_through_the_worker(
    ks_intake: httpx.Client, wait_done
) -> None:
    """The file a clerk saves from Excel on a Chinese Windows, uploaded as is."""
    labels = get_pack("kunshan").vocabulary["matter_fields"]
    columns = ["source", "source_reference", "summary", "facts", "relevant_date", "target_kind", "target_name"]
    columns.append("target_cadre_level")
    marker = uuid.uuid4().hex[:8]
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow([labels[c] for c in columns])
    for n in range(1, 13):
        writer.writerow(
            [
                *("city_government", f"GBK-{marker}-{n}", f"国标{marker}-{n}", "事实", "2026/11/2"),
                *("person", f"周{n}", "not_city_managed"),
            ]
        )
    # Row 13 repeats row 3's reference.
    repeat = ["city_government", f"GBK-{marker}-3", f"国标{marker}-13", "事实", "2026年11月2日"]
    writer.writerow([*repeat, "person", "周", "not_city_managed"])
    response = ks_intake.post(
        "/v1/matter-imports",
        content=buffer.getvalue().encode("gbk"),
        headers={"Content-Type": "text/csv", "X-Filename": "clues-from-excel.csv"},
    )
    assert response.status_code == 202, response.text
    job = wait_done(ks_intake, response.json()["id"])
    assert (job["state"], job["total_rows"], job["registered"], job["refused"]) == ("completed", 13, 12, 1), job
    [refused] = ks_intake.get(f"/v1/matter-imports/{job['id']}/errors").json()["items"]
    assert refused["row"] == 13
    assert refused["errors"][0]["reason"] == "repeats row 3 of this file"
    stored = ks_intake.get("/v1/matters", params={"q": f"国标{marker}-3"}).json()["items"]
    assert [m["id"] for m in stored if m["summary"] == f"国标{marker}-3"] == [
        refused["errors"][0]["existing_matter_id"]
    ]
    assert {m["relevant_date"] for m in stored} == {"2026-11-02"}
