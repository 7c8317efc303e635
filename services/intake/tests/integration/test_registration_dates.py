"""The dates a submitter gives cannot reach into the future, and never choose the number."""

from __future__ import annotations

import datetime as dt
import json
import uuid

import httpx
import pytest

from wenze.rules import get_pack

pytestmark = pytest.mark.integration


def tenants_today() -> dt.date:
    return get_pack("kunshan").today()


@pytest.mark.parametrize("relevant_date", ["9999-12-31", "tomorrow"])
def test_relevant_date_after_the_tenants_today_is_refused(
    ks_intake: httpx.Client, make_matter, relevant_date: str
) -> None:
    if relevant_date == "tomorrow":
        relevant_date = (tenants_today() + dt.timedelta(days=1)).isoformat()
    marker = f"未来日期{uuid.uuid4().hex[:8]}"
    response = ks_intake.post("/v1/matters", json=make_matter(summary=marker, relevant_date=relevant_date))
    assert response.status_code == 422, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    [error] = response.json()["errors"]
    assert error["field"] == "body.relevant_date"
    assert relevant_date in error["reason"] and "future" in error["reason"]
    assert ks_intake.get("/v1/matters", params={"q": marker}).json()["items"] == []


def test_relevant_date_of_today_is_accepted(ks_intake: httpx.Client, make_matter) -> None:
    today = tenants_today().isoformat()
    response = ks_intake.post("/v1/matters", json=make_matter(relevant_date=today))
    assert response.status_code == 201, response.text
    assert response.json()["relevant_date"] == today


def test_registration_number_takes_its_year_from_the_day_of_registration(ks_intake: httpx.Client, make_matter) -> None:
    registered = tenants_today()
    relevant = dt.date(registered.year - 3, 6, 1)
    response = ks_intake.post("/v1/matters", json=make_matter(relevant_date=relevant.isoformat()))
    assert response.status_code == 201, response.text
    matter = response.json()
    assert matter["relevant_date"] == relevant.isoformat()
    assert matter["number"].startswith(f"KS-{registered.year}-"), matter["number"]


def test_import_row_with_a_future_relevant_date_is_refused(ks_intake: httpx.Client, make_matter, wait_done) -> None:
    marker = uuid.uuid4().hex[:8]
    future = (tenants_today() + dt.timedelta(days=1)).isoformat()
    rows = [make_matter(summary=f"导入日期{marker}-{i}") for i in range(3)]
    rows[1]["relevant_date"] = future
    response = ks_intake.post(
        "/v1/matter-imports",
        content="\n".join(json.dumps(r, ensure_ascii=False) for r in rows).encode(),
        headers={"Content-Type": "application/x-ndjson"},
    )
    assert response.status_code == 202, response.text
    job_id = response.json()["id"]
    job = wait_done(ks_intake, job_id)
    assert (job["state"], job["registered"], job["refused"]) == ("completed", 2, 1), job
    [error] = ks_intake.get(f"/v1/matter-imports/{job_id}/errors").json()["items"]
    assert error["row"] == 2
    assert error["errors"][0]["field"] == "relevant_date" and future in error["errors"][0]["reason"]
    stored = ks_intake.get("/v1/matters", params={"q": f"导入日期{marker}"}).json()["items"]
    assert sorted(m["summary"] for m in stored) == [f"导入日期{marker}-0", f"导入日期{marker}-2"]
