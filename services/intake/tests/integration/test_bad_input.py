"""Bad input gets a clear 4xx problem naming the field, and nothing is stored."""

from __future__ import annotations

import httpx
import pytest

from wenze_devtools.testing.issuer import generate_signing_key

pytestmark = pytest.mark.integration


def assert_problem(response: httpx.Response, status: int, field: str | None = None) -> dict:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    problem = response.json()
    assert problem["status"] == status and problem["type"].startswith("https://")
    if field is not None:
        assert field in [e["field"] for e in problem["errors"]], problem
    return problem


def count(client: httpx.Client, marker: str) -> int:
    return len(client.get("/v1/matters", params={"q": marker, "limit": 200}).json()["items"])


@pytest.mark.parametrize("field,value", [("summary", "含有\x00空字符"), ("facts", "a\x00b")])
def test_nul_characters_are_refused(ks_intake: httpx.Client, field: str, value: str, make_matter) -> None:
    problem = assert_problem(ks_intake.post("/v1/matters", json=make_matter(**{field: value})), 422, f"body.{field}")
    assert "control characters" in problem["errors"][0]["reason"]


def test_nul_in_target_name(ks_intake: httpx.Client, make_matter) -> None:
    body = make_matter(targets=[{"kind": "person", "name": "张\x00三", "cadre_level": "city_managed"}])
    assert_problem(ks_intake.post("/v1/matters", json=body), 422, "body.targets.0.person.name")


def test_oversized_body_is_413(ks_intake: httpx.Client, make_matter) -> None:
    body = make_matter(facts="长" * 600_000)  # about 1.8 MB of UTF-8
    assert_problem(ks_intake.post("/v1/matters", json=body), 413)


def test_wrong_types(ks_intake: httpx.Client, make_matter) -> None:
    assert_problem(ks_intake.post("/v1/matters", json=make_matter(key_supervised="maybe")), 422, "body.key_supervised")
    assert_problem(ks_intake.post("/v1/matters", json=make_matter(targets="张三")), 422, "body.targets")
    assert_problem(ks_intake.post("/v1/matters", json=make_matter(targets=[])), 422, "body.targets")
    assert_problem(
        ks_intake.post("/v1/matters", json=make_matter(relevant_date="yesterday")), 422, "body.relevant_date"
    )
    assert_problem(ks_intake.post("/v1/matters", json=[1, 2]), 422)
    assert_problem(
        ks_intake.post("/v1/matters", content=b"{not json", headers={"Content-Type": "application/json"}), 400
    )
    assert_problem(ks_intake.post("/v1/matters", json=make_matter(unexpected=1)), 422, "body.unexpected")


def test_unknown_source_names_the_field_and_known_sources(ks_intake: httpx.Client, make_matter) -> None:
    marker = "未知来源测试事项"
    problem = assert_problem(
        ks_intake.post("/v1/matters", json=make_matter(source="carrier_pigeon", summary=marker)), 422, "body.source"
    )
    assert "carrier_pigeon" in problem["detail"] and "city_government" in problem["detail"]
    assert count(ks_intake, marker) == 0


def test_missing_token(intake, make_matter) -> None:
    problem = assert_problem(httpx.post(f"{intake.url}/v1/matters", json=make_matter()), 401)
    assert problem["type"].endswith("/unauthenticated") or "token" in problem["detail"].lower()


def test_expired_token(intake, oidc_issuer, make_matter) -> None:
    expired = oidc_issuer.mint_token("wenze-kunshan", username="ks-intake", client_id="wenze-api", expires_in=-120)
    response = httpx.post(
        f"{intake.url}/v1/matters", json=make_matter(), headers={"Authorization": f"Bearer {expired}"}
    )
    problem = assert_problem(response, 401)
    assert "expired" in problem["detail"].lower()


def test_token_of_unknown_realm(intake, oidc_issuer) -> None:
    forged = oidc_issuer.mint_token("wenze-atlantis", client_id="wenze-api", key=generate_signing_key())
    response = httpx.get(f"{intake.url}/v1/matters", headers={"Authorization": f"Bearer {forged}"})
    assert_problem(response, 401)


def test_capability_missing(intake, oidc_issuer, make_matter) -> None:
    reader = oidc_issuer.mint_token("wenze-kunshan", username="ks-intake", client_id="wenze-api", roles=["matter:read"])
    response = httpx.post(f"{intake.url}/v1/matters", json=make_matter(), headers={"Authorization": f"Bearer {reader}"})
    assert_problem(response, 403)


def test_unknown_matter_is_404(ks_intake: httpx.Client) -> None:
    assert_problem(ks_intake.get("/v1/matters/00000000-0000-0000-0000-000000000000"), 404)


def test_codes_outside_the_tenant_vocabulary(ks_intake: httpx.Client, make_matter, make_person) -> None:
    body = make_matter(proposed_form="fifth", targets=[make_person(cadre_level="emperor", sector="moon")])
    problem = assert_problem(ks_intake.post("/v1/matters", json=body), 422)
    fields = {e["field"]: e["reason"] for e in problem["errors"]}
    assert set(fields) == {"body.proposed_form", "body.targets.0.cadre_level", "body.targets.0.sector"}
    assert "city_managed (市管干部)" in fields["body.targets.0.cadre_level"]


def test_a_targets_own_proposed_form_is_checked_and_kept(ks_intake: httpx.Client, make_matter, make_person) -> None:
    refused = make_matter(targets=[make_person(proposed_form="form_1"), make_person(proposed_form="fifth")])
    problem = assert_problem(ks_intake.post("/v1/matters", json=refused), 422)
    assert [e["field"] for e in problem["errors"]] == ["body.targets.1.proposed_form"]
    assert "form_3 (第三种形态)" in problem["errors"][0]["reason"]

    body = make_matter(targets=[make_person(proposed_form="form_1"), make_person(proposed_form="form_3")])
    created = ks_intake.post("/v1/matters", json=body)
    assert created.status_code == 201, created.text
    assert [t["proposed_form"] for t in created.json()["targets"]] == ["form_1", "form_3"]
    read = ks_intake.get(f"/v1/matters/{created.json()['id']}").json()
    assert [t["proposed_form"] for t in read["targets"]] == ["form_1", "form_3"]
