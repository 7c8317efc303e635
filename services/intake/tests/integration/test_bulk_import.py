"""Bulk import as a job: JSON Lines, CSV and XLSX, progress, per-row errors, summary."""

from __future__ import annotations

import csv
import io
import json
import uuid

import httpx
import pytest
from openpyxl import Workbook

pytestmark = pytest.mark.integration


def test_jsonl_import_with_bad_rows(ks_intake: httpx.Client, make_matter, finished_import) -> None:
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
    job = finished_import(ks_intake, response.json()["id"])
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


def test_batches_written_side_by_side_keep_file_order_and_catch_repeats(
    ks_intake: httpx.Client, make_matter, finished_import
) -> None:
    """Batches of 50: the next batch's transaction opens before the one before commits, yet a
    repeat of a row of that uncommitted batch is caught, and numbers follow the file."""
    marker = uuid.uuid4().hex[:8]
    bodies = [make_matter(summary=f"并行{marker}-{i:03d}") for i in range(150)]
    bodies[59] = dict(bodies[44])  # row 60 repeats row 45, one batch earlier
    reason = "同一来函的第二名干部"
    bodies[109] = {**bodies[69], "duplicate_override": {"reason": reason}}  # row 110 repeats row 70 on purpose
    content = "\n".join(json.dumps(b, ensure_ascii=False) for b in bodies).encode()
    response = ks_intake.post("/v1/matter-imports", content=content, headers={"Content-Type": "application/x-ndjson"})
    assert response.status_code == 202, response.text
    job = finished_import(ks_intake, response.json()["id"])
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


def test_import_row_repeating_a_registered_matter(ks_intake: httpx.Client, make_matter, finished_import) -> None:
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
    job = finished_import(ks_intake, response.json()["id"])
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


def test_csv_and_xlsx_imports(ks_intake: httpx.Client, finished_import) -> None:
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
    job = finished_import(ks_intake, job["id"])
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
    job = finished_import(ks_intake, job["id"])
    assert (job["registered"], job["refused"]) == (12, 0), job
    stored = ks_intake.get("/v1/matters", params={"q": f"工作簿{marker}", "limit": 200}).json()["items"]
    assert len(stored) == 12 and all(m["key_supervised"] for m in stored)


def test_unsupported_format_is_415(ks_intake: httpx.Client) -> None:
    response = ks_intake.post("/v1/matter-imports", content=b"%PDF-1.4", headers={"Content-Type": "application/pdf"})
    assert response.status_code == 415
    assert response.json()["errors"][0]["field"] == "header.Content-Type"


def test_unknown_job_is_404(ks_intake: httpx.Client) -> None:
    assert ks_intake.get(f"/v1/matter-imports/{uuid.uuid4()}").status_code == 404
