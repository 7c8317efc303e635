"""Intake over real HTTP, PostgreSQL and NATS: submit, duplicates, acceptance, reading."""

from __future__ import annotations

import concurrent.futures
import datetime as dt
import json
import re
import uuid

import httpx
import pytest

pytestmark = pytest.mark.integration


def test_submit_numbers_and_reads_back(ks_intake: httpx.Client, make_matter) -> None:
    response = ks_intake.post("/v1/matters", json=make_matter())
    assert response.status_code == 201, response.text
    created = response.json()
    assert response.headers["Location"] == f"/v1/matters/{created['id']}"
    assert created["state"] == "received"
    assert created["tenant"] == "kunshan"
    year = dt.datetime.now(dt.timezone(dt.timedelta(hours=8))).year
    assert str(year) in created["number"]
    assert created["targets"][0]["name"] == "张明"
    assert created["submitted_by"] == "ks-intake"

    again = ks_intake.get(f"/v1/matters/{created['id']}")
    assert again.status_code == 200
    assert again.json() == created

    timeline = ks_intake.get(f"/v1/matters/{created['id']}/timeline").json()
    assert [e["action"] for e in timeline] == ["received"]
    assert timeline[0]["actor"] == "ks-intake"


def test_sources_list_cites_articles(ks_intake: httpx.Client) -> None:
    sources = ks_intake.get("/v1/sources").json()
    codes = {s["code"] for s in sources}
    assert "city_government" in codes and len(sources) == 7
    assert all(s["citation"]["document"] for s in sources)


def test_idempotency_key_replays_and_refuses_other_bodies(ks_intake: httpx.Client, make_matter) -> None:
    key = f"key-{uuid.uuid4()}"
    body = make_matter()
    first = ks_intake.post("/v1/matters", json=body, headers={"Idempotency-Key": key})
    second = ks_intake.post("/v1/matters", json=body, headers={"Idempotency-Key": key})
    assert first.status_code == second.status_code == 201
    assert second.headers.get("Idempotency-Replayed") == "true"
    assert second.json()["id"] == first.json()["id"]
    listed = ks_intake.get(
        "/v1/matters", params={"q": body["source_reference"][:0] or body["summary"], "limit": 200}
    ).json()["items"]
    assert sum(1 for m in listed if m["source_reference"] == body["source_reference"]) == 1

    other = ks_intake.post("/v1/matters", json=make_matter(), headers={"Idempotency-Key": key})
    assert other.status_code == 409
    assert other.json()["type"].endswith("/idempotency-key-reused")


def test_duplicate_source_reference_conflicts_unless_overridden(ks_intake: httpx.Client, make_matter) -> None:
    body = make_matter()
    first = ks_intake.post("/v1/matters", json=body).json()
    duplicate = ks_intake.post("/v1/matters", json=body)
    assert duplicate.status_code == 409
    problem = duplicate.json()
    assert duplicate.headers["content-type"].startswith("application/problem+json")
    assert problem["existing_matter_id"] == first["id"]
    assert problem["errors"][0]["field"] == "body.source_reference"

    overridden = ks_intake.post(
        "/v1/matters", json={**body, "duplicate_override": {"reason": "同一来函涉及两名干部，分别立项"}}
    )
    assert overridden.status_code == 201, overridden.text
    second = overridden.json()
    assert second["duplicate_of"] == first["id"]
    assert second["duplicate_override_reason"] == "同一来函涉及两名干部，分别立项"
    timeline = ks_intake.get(f"/v1/matters/{second['id']}/timeline").json()
    assert timeline[0]["detail"]["duplicate_override_reason"] == "同一来函涉及两名干部，分别立项"


def test_acceptance_outcomes_and_guards(ks_intake: httpx.Client, client_for, make_matter) -> None:
    created = ks_intake.post("/v1/matters", json=make_matter()).json()
    today = dt.date.today().isoformat()

    supervision = client_for("wenze-kunshan", "ks-supervision-1")
    forbidden = supervision.post(
        f"/v1/matters/{created['id']}/acceptance",
        json={"outcome": "accepted", "participants": ["王建华"], "study_date": today},
    )
    assert forbidden.status_code == 403
    assert "matter:accept" in forbidden.json()["detail"]

    no_reason = ks_intake.post(
        f"/v1/matters/{created['id']}/acceptance",
        json={"outcome": "not_accepted", "participants": ["周敏"], "study_date": today},
    )
    assert no_reason.status_code == 422
    assert no_reason.json()["errors"][0]["field"] == "body.reason"
    assert ks_intake.get(f"/v1/matters/{created['id']}").json()["state"] == "received"

    accepted = ks_intake.post(
        f"/v1/matters/{created['id']}/acceptance",
        json={"outcome": "accepted", "participants": ["周敏", "陈立"], "study_date": today},
    )
    assert accepted.status_code == 200, accepted.text
    assert accepted.json()["state"] == "accepted"
    assert accepted.json()["acceptance"]["participants"] == ["周敏", "陈立"]

    again = ks_intake.post(
        f"/v1/matters/{created['id']}/acceptance",
        json={"outcome": "not_accepted", "reason": "x", "participants": ["周敏"], "study_date": today},
    )
    assert again.status_code == 409
    timeline = ks_intake.get(f"/v1/matters/{created['id']}/timeline").json()
    assert [(e["action"], e["state"]) for e in timeline] == [
        ("received", "received"),
        ("acceptance_decided", "accepted"),
    ]

    transferred = ks_intake.post("/v1/matters", json=make_matter()).json()
    done = ks_intake.post(
        f"/v1/matters/{transferred['id']}/acceptance",
        json={
            "outcome": "transferred",
            "reason": "属地管理",
            "transferred_to": "巴城镇纪委",
            "participants": ["周敏"],
            "study_date": today,
        },
    )
    assert done.status_code == 200
    assert done.json()["state"] == "transferred"


def test_list_filters_search_and_cursor(ks_intake: httpx.Client, make_matter, make_person) -> None:
    marker = uuid.uuid4().hex[:6]
    ids = []
    for i in range(5):
        body = make_matter(
            summary=f"淀山湖镇污水管网工程{marker}第{i}项", targets=[make_person(name=f"欧阳{marker[:2]}{i}")]
        )
        ids.append(ks_intake.post("/v1/matters", json=body).json()["id"])
    found = ks_intake.get("/v1/matters", params={"q": f"污水管网工程{marker}", "limit": 2})
    page1 = found.json()
    assert len(page1["items"]) == 2 and page1["next_cursor"]
    page2 = ks_intake.get(
        "/v1/matters", params={"q": f"污水管网工程{marker}", "limit": 2, "cursor": page1["next_cursor"]}
    ).json()
    page3 = ks_intake.get(
        "/v1/matters", params={"q": f"污水管网工程{marker}", "limit": 2, "cursor": page2["next_cursor"]}
    ).json()
    assert page3["next_cursor"] is None
    seen = [m["id"] for m in page1["items"] + page2["items"] + page3["items"]]
    assert sorted(seen) == sorted(ids) and len(set(seen)) == 5

    by_name = ks_intake.get("/v1/matters", params={"target_name": f"欧阳{marker[:2]}3"}).json()["items"]
    assert [m["id"] for m in by_name] == [ids[3]]
    by_place = ks_intake.get("/v1/matters", params={"q": "淀山湖", "limit": 200}).json()["items"]
    assert set(ids) <= {m["id"] for m in by_place}
    assert ks_intake.get("/v1/matters", params={"q": f"不存在{marker}"}).json()["items"] == []
    today = dt.datetime.now(dt.timezone(dt.timedelta(hours=8))).date()
    future = ks_intake.get("/v1/matters", params={"received_from": (today + dt.timedelta(days=1)).isoformat()})
    assert future.json()["items"] == []
    bad_cursor = ks_intake.get("/v1/matters", params={"cursor": "not-a-cursor"})
    assert bad_cursor.status_code == 400
    assert bad_cursor.json()["errors"][0]["field"] == "query.cursor"


def test_tenants_are_isolated(ks_intake: httpx.Client, client_for, make_matter) -> None:
    created = ks_intake.post("/v1/matters", json=make_matter()).json()
    jintan = client_for("wenze-jintan", "jt-conduct-office")
    assert jintan.get(f"/v1/matters/{created['id']}").status_code == 404
    assert created["id"] not in {m["id"] for m in jintan.get("/v1/matters", params={"limit": 200}).json()["items"]}


def test_concurrent_submissions_are_numbered_without_gaps(ks_intake: httpx.Client, make_matter) -> None:
    def submit(_: int) -> str:
        response = ks_intake.post("/v1/matters", json=make_matter())
        assert response.status_code == 201, response.text
        return response.json()["number"]

    with concurrent.futures.ThreadPoolExecutor(max_workers=12) as pool:
        numbers = list(pool.map(submit, range(36)))
    seqs = sorted(int(re.findall(r"\d+", n)[-1]) for n in numbers)
    assert seqs == list(range(seqs[0], seqs[0] + 36)), seqs


def test_attachment_upload_and_reference(ks_intake: httpx.Client, make_matter) -> None:
    content = "情况说明：项目审批材料。".encode() * 100
    stored = ks_intake.post("/v1/attachments", content=content, headers={"Content-Type": "application/octet-stream"})
    assert stored.status_code == 201
    ref = {
        "name": "情况说明.docx",
        "size": len(content),
        "sha256": stored.json()["sha256"],
        "media_type": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    }
    created = ks_intake.post("/v1/matters", json=make_matter(attachments=[ref]))
    assert created.status_code == 201, created.text
    assert created.json()["attachments"][0]["sha256"] == ref["sha256"]

    missing = ks_intake.post("/v1/matters", json=make_matter(attachments=[{**ref, "sha256": "0" * 64}]))
    assert missing.status_code == 422
    assert missing.json()["errors"][0]["field"] == "body.attachments.0.sha256"
    wrong_size = ks_intake.post("/v1/matters", json=make_matter(attachments=[{**ref, "size": 3}]))
    assert wrong_size.status_code == 422
    assert wrong_size.json()["errors"][0]["field"] == "body.attachments.0.size"


def test_attachments_are_visible_only_to_the_tenant_that_uploaded_them(
    ks_intake: httpx.Client, client_for, make_matter
) -> None:
    """A hash another tenant uploaded must not be referable: that would tell the caller that
    the other tenant holds the file."""
    jintan = client_for("wenze-jintan", "jt-conduct-office")
    content = f"昆山的情况说明{uuid.uuid4()}".encode()
    stored = ks_intake.post("/v1/attachments", content=content, headers={"Content-Type": "application/octet-stream"})
    assert stored.status_code == 201, stored.text
    ref = {"name": "情况说明.txt", "size": len(content), "sha256": stored.json()["sha256"], "media_type": "text/plain"}
    jintan_matter = {
        "source": "department_transfer",
        "source_reference": f"坛纪移〔2026〕{uuid.uuid4().hex[:8]}号",
        "summary": "履职不力",
        "facts": "项目推进缓慢。",
        "targets": [{"kind": "person", "name": "李强", "cadre_level": "staff", "sector": "administrative_organ"}],
        "attachments": [ref],
    }

    refused = jintan.post("/v1/matters", json=jintan_matter)
    assert refused.status_code == 422, refused.text
    assert refused.json()["errors"][0]["field"] == "body.attachments.0.sha256"
    assert ks_intake.post("/v1/matters", json=make_matter(attachments=[ref])).status_code == 201

    # Once Jintan uploads the same bytes itself, it may reference them.
    assert jintan.post("/v1/attachments", content=content).json() == stored.json()
    accepted = jintan.post("/v1/matters", json=jintan_matter)
    assert accepted.status_code == 201, accepted.text
    assert accepted.json()["attachments"][0]["sha256"] == ref["sha256"]


def test_a_username_as_long_as_keycloak_allows_is_kept_whole(intake, token, make_matter, wait_done) -> None:
    username = "长" * 200 + "x" * 55  # Keycloak's longest: 255 characters
    bearer = token("wenze-kunshan", "ks-intake", claims={"preferred_username": username})
    with httpx.Client(base_url=intake.url, timeout=30, headers={"Authorization": f"Bearer {bearer}"}) as client:
        created = client.post("/v1/matters", json=make_matter())
        assert created.status_code == 201, created.text
        assert created.json()["submitted_by"] == username
        timeline = client.get(f"/v1/matters/{created.json()['id']}/timeline").json()
        assert [e["actor"] for e in timeline] == [username]

        rows = json.dumps(make_matter()).encode()
        queued = client.post("/v1/matter-imports", content=rows, headers={"Content-Type": "application/x-ndjson"})
        assert queued.status_code == 202, queued.text
        job = wait_done(client, queued.json()["id"])
        assert (job["created_by"], job["registered"]) == (username, 1), job
