"""The read-only rules API over real HTTP: packs, documents, articles, decisions, evaluation,
and every refusal as a problem with a 4xx status."""

from __future__ import annotations

import datetime as dt
from urllib.parse import quote

import httpx
import pytest

from wenze_devtools.testing.infra import ServiceProcess

pytestmark = pytest.mark.integration

KUNSHAN_DOC = "昆纪办发〔2019〕19号"
JINTAN_OLD = "坛办发〔2018〕50号"
JINTAN_NEW = "坛办发〔2023〕29号"
JINTAN_CONDUCT = "坛作组办〔2019〕2号"
# The Kunshan copy rule: three working days from the decision; 1–5 May 2026 is a holiday.
IMPLEMENTATION_FACTS = {
    "target_class": "major",
    "target_kind": "person",
    "decided_forms": ["form_2"],
    "decided_on": "2026-04-30",
}


@pytest.fixture(scope="module")
def kunshan(routing: ServiceProcess, client_for) -> httpx.Client:
    # No capability at all: reading the tenant's own rules needs only a valid token.
    return client_for(routing, "wenze-kunshan", "ks-case-management", roles=[])


@pytest.fixture(scope="module")
def jintan(routing: ServiceProcess, client_for) -> httpx.Client:
    return client_for(routing, "wenze-jintan", "jt-commission", roles=[])


def problem(response: httpx.Response, status: int, slug: str) -> dict:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    body = response.json()
    assert body["type"] == f"https://wenze.dev/problems/{slug}", body
    assert body["status"] == status
    return body


def evaluate(client: httpx.Client, decision: str, facts: dict, on: str | None = "2026-04-30") -> httpx.Response:
    body: dict = {"facts": facts}
    if on is not None:
        body["on"] = on
    return client.post(f"/v1/rules/decisions/{decision}/evaluate", json=body)


@pytest.mark.parametrize(
    "method,path",
    [
        ("GET", "/v1/rules/tenants"),
        ("GET", "/v1/rules/documents"),
        ("GET", f"/v1/rules/documents/{quote(KUNSHAN_DOC)}/articles"),
        ("GET", "/v1/rules/decisions"),
        ("GET", "/v1/rules/decisions/implementation"),
        ("POST", "/v1/rules/decisions/implementation/evaluate"),
    ],
)
def test_every_endpoint_needs_a_token(routing: ServiceProcess, method: str, path: str) -> None:
    response = httpx.request(method, f"{routing.url}{path}", json={"facts": {}}, timeout=10)
    problem(response, 401, "unauthenticated")


def test_a_forged_token_is_refused(routing: ServiceProcess, oidc_issuer) -> None:
    from wenze_devtools.testing.issuer.keys import generate_signing_key

    forged = oidc_issuer.mint_token("wenze-kunshan", username="ks-intake", key=generate_signing_key())
    response = httpx.get(f"{routing.url}/v1/rules/documents", timeout=10, headers={"Authorization": f"Bearer {forged}"})
    assert response.status_code == 401


def test_tenants_lists_every_pack_with_documents(kunshan: httpx.Client) -> None:
    response = kunshan.get("/v1/rules/tenants")
    assert response.status_code == 200, response.text
    packs = {p["tenant"]: p for p in response.json()}
    assert set(packs) == {"hubei", "jintan", "kunshan", "zhenxiong"}
    assert all(p["valid"] and p["title"] and p["decisions"] > 0 for p in packs.values())
    assert packs["kunshan"]["title"] == "昆山市纪委监委问责工作规则"
    jintan_docs = {d["id"]: d for d in packs["jintan"]["documents"]}
    assert set(jintan_docs) == {JINTAN_CONDUCT, JINTAN_OLD, JINTAN_NEW}
    assert jintan_docs[JINTAN_OLD]["repealed_by"] == JINTAN_NEW
    assert jintan_docs[JINTAN_OLD]["text_available"] is False


def test_documents_are_the_callers_tenants(kunshan: httpx.Client, jintan: httpx.Client) -> None:
    docs = kunshan.get("/v1/rules/documents").json()
    assert [d["id"] for d in docs] == [KUNSHAN_DOC]
    doc = docs[0]
    assert doc["number"] == KUNSHAN_DOC
    assert doc["in_force_from"] == "2019-07-19"
    assert doc["issued_by"] and doc["title"]
    assert doc["repealed_by"] is None and doc["in_force_until"] is None
    assert doc["articles"] > 10

    by_id = {d["id"]: d for d in jintan.get("/v1/rules/documents").json()}
    assert KUNSHAN_DOC not in by_id
    old = by_id[JINTAN_OLD]
    assert (old["repealed_by"], old["in_force_until"], old["text_available"]) == (JINTAN_NEW, "2023-04-11", False)
    assert by_id[JINTAN_NEW]["in_force_from"] == "2023-04-11"


def test_article_index_with_source_lines(kunshan: httpx.Client) -> None:
    response = kunshan.get(f"/v1/rules/documents/{quote(KUNSHAN_DOC)}/articles")
    assert response.status_code == 200, response.text
    articles = {a["article"]: a for a in response.json()}
    copy_rule = articles["二.3"]
    assert copy_rule["citation"] == f"{KUNSHAN_DOC} 二.3"
    assert copy_rule["document"] == KUNSHAN_DOC
    assert copy_rule["heading"] and copy_rule["summary"]
    assert copy_rule["source"] and isinstance(copy_rule["line"], int)
    documents_count = kunshan.get("/v1/rules/documents").json()[0]["articles"]
    assert len(articles) == documents_count


def test_articles_of_another_tenants_document_or_an_unknown_one(kunshan: httpx.Client) -> None:
    for document in (JINTAN_NEW, "no-such-document"):
        body = problem(kunshan.get(f"/v1/rules/documents/{quote(document)}/articles"), 404, "unknown-document")
        assert body["document"] == document
        assert KUNSHAN_DOC in body["detail"]


def test_document_known_without_text_has_an_empty_index(jintan: httpx.Client) -> None:
    response = jintan.get(f"/v1/rules/documents/{quote(JINTAN_OLD)}/articles")
    assert response.status_code == 200
    assert response.json() == []


def test_decisions_with_inputs_and_outputs(kunshan: httpx.Client) -> None:
    decisions = {d["name"]: d for d in kunshan.get("/v1/rules/decisions").json()}
    assert {"routing", "implementation", "intake"} <= set(decisions)
    implementation = decisions["implementation"]
    assert implementation["inputs"]["decided_on"] == "date"
    assert implementation["inputs"]["target_class"] == "code<target_classes>"
    assert implementation["outputs"]["copy_due"] == "deadline"


def test_decision_detail_lists_codes_tables_and_citations(kunshan: httpx.Client) -> None:
    response = kunshan.get("/v1/rules/decisions/implementation")
    assert response.status_code == 200, response.text
    detail = response.json()
    assert detail["file"] == "decisions/implementation.yaml"
    inputs = {i["name"]: i for i in detail["inputs"]}
    assert inputs["target_class"]["required"] is True
    assert "major" in inputs["target_class"]["codes"]
    assert inputs["decided_forms"]["default"] == []
    tables = {t["name"]: t for t in detail["tables"]}
    rules = {r["id"]: r for r in tables["copies"]["rules"]}
    cited = [c["text"] for c in rules["copy_party_conduct_3_working_days"]["citations"]]
    assert f"{KUNSHAN_DOC} 二.3" in cited
    assert tables["feedback"]["required"] is True


def test_unknown_decision_is_404(kunshan: httpx.Client, jintan: httpx.Client) -> None:
    body = problem(kunshan.get("/v1/rules/decisions/no_such_decision"), 404, "unknown-decision")
    assert "implementation" in body["detail"]
    # A decision of another tenant's pack does not exist for this caller.
    problem(jintan.get("/v1/rules/decisions/implementation"), 404, "unknown-decision")
    problem(evaluate(kunshan, "no_such_decision", {}), 404, "unknown-decision")


def test_evaluation_explains_with_facts_and_citations(kunshan: httpx.Client) -> None:
    response = evaluate(kunshan, "implementation", IMPLEMENTATION_FACTS)
    assert response.status_code == 200, response.text
    result = response.json()
    assert (result["tenant"], result["decision"], result["on"]) == ("kunshan", "implementation", "2026-04-30")
    assert result["outcome"]["copy_due"]["due"] == "2026-05-08"
    assert result["outcome"]["implemented_by"] == ["discipline_supervision_office"]

    fired = {f["rule"]: f for f in result["explanation"]}
    assert list(fired) == [
        "implement_forms_1_2",
        "copy_party_conduct_3_working_days",
        "copy_case_management",
        "feedback_to_source",
    ]
    copy_rule = fired["copy_party_conduct_3_working_days"]
    assert copy_rule["table"] == "copies"
    assert copy_rule["outputs"]["copy_due"]["start"] == "2026-04-30"
    assert copy_rule["facts"] == {"implemented_by": ["discipline_supervision_office"]}
    assert fired["implement_forms_1_2"]["facts"]["target_class"] == "major"
    citation = next(c for c in copy_rule["citations"] if c["article"] == "二.3")
    assert citation["document"] == KUNSHAN_DOC and citation["heading"] and citation["line"]

    texts = [c["text"] for c in result["citations"]]
    assert f"{KUNSHAN_DOC} 二.3" in texts and len(texts) == len(set(texts))
    assert result["documents"] == [{**kunshan.get("/v1/rules/documents").json()[0], "applied": True}]


def test_evaluation_date_defaults_to_today_in_china(kunshan: httpx.Client) -> None:
    china = dt.timezone(dt.timedelta(hours=8))
    before = dt.datetime.now(china).date()
    response = evaluate(kunshan, "implementation", IMPLEMENTATION_FACTS, on=None)
    after = dt.datetime.now(china).date()
    assert response.status_code == 200, response.text
    assert response.json()["on"] in {before.isoformat(), after.isoformat()}


def test_documents_in_force_follow_the_date(jintan: httpx.Client) -> None:
    facts = {"circumstances": ["org_feedback_refused"]}
    result = evaluate(jintan, "rectification_circumstances", facts, on="2026-05-15").json()
    docs = {d["id"]: d["applied"] for d in result["documents"]}
    # The repealed document is out of force in 2026; the new one decided.
    assert JINTAN_OLD not in docs
    assert docs[JINTAN_NEW] is True
    assert docs[JINTAN_CONDUCT] is False


@pytest.mark.parametrize(
    "facts,fact,reason",
    [
        ({"target_kind": "person"}, "target_class", "is required"),
        ({**IMPLEMENTATION_FACTS, "decided_on": "last Tuesday"}, "decided_on", "expects an ISO date"),
        ({**IMPLEMENTATION_FACTS, "target_class": "enormous"}, "target_class", "'enormous' is not one of"),
        ({**IMPLEMENTATION_FACTS, "target_class": {"nested": 1}}, "target_class", "expects a code"),
        ({**IMPLEMENTATION_FACTS, "decided_forms": "form_2"}, "decided_forms", "expects a list of codes"),
        ({**IMPLEMENTATION_FACTS, "key_supervised": "yes"}, "key_supervised", "expects true or false"),
        ({**IMPLEMENTATION_FACTS, "decided_onn": "2026-04-30"}, "decided_onn", "is not an input of implementation"),
    ],
)
def test_bad_facts_are_422_naming_the_fact(kunshan: httpx.Client, facts: dict, fact: str, reason: str) -> None:
    body = problem(evaluate(kunshan, "implementation", facts), 422, "invalid-facts")
    assert body["fact"] == fact
    error = body["errors"][0]
    assert error["field"] == f"body.facts.{fact}"
    assert reason in error["reason"]
    assert fact in body["detail"]


@pytest.mark.parametrize(
    "body,field",
    [
        ({"facts": IMPLEMENTATION_FACTS, "on": "2026-13-01"}, "body.on"),
        ({"facts": ["target_class"]}, "body.facts"),
        ({"facts": {}, "date": "2026-04-30"}, "body.date"),
    ],
)
def test_malformed_request_is_422_naming_the_field(kunshan: httpx.Client, body: dict, field: str) -> None:
    response = kunshan.post("/v1/rules/decisions/implementation/evaluate", json=body)
    problem_body = problem(response, 422, "validation-failed")
    assert field in [e["field"] for e in problem_body["errors"]]


def test_no_rule_matched_names_the_table(jintan: httpx.Client) -> None:
    response = evaluate(jintan, "conduct_investigation", {"cadre_level": "contract_staff"}, on="2026-05-11")
    body = problem(response, 422, "no-rule-matched")
    assert body["table"] == "investigator"
    assert body["facts"]["cadre_level"] == "contract_staff"
    assert "investigator" in body["detail"]


def test_date_before_every_document_is_out_of_period(jintan: httpx.Client) -> None:
    body = problem(evaluate(jintan, "conduct_factors", {}, on="2019-01-01"), 422, "out-of-period")
    assert body["on"] == "2019-01-01"
    assert [d["document"] for d in body["documents"]] == [JINTAN_CONDUCT]
    assert body["documents"][0]["in_force_from"] == "2019-12-03"
    assert JINTAN_CONDUCT in body["detail"] and "2019-12-03" in body["detail"]


def test_date_under_a_document_without_text_is_no_rule_text_loaded(jintan: httpx.Client) -> None:
    facts = {"circumstances": ["org_feedback_refused"]}
    body = problem(evaluate(jintan, "rectification_circumstances", facts, on="2019-06-01"), 422, "no-rule-text-loaded")
    documents = {d["document"]: d for d in body["documents"]}
    assert documents[JINTAN_OLD]["text_available"] is False
    assert documents[JINTAN_OLD]["in_force_until"] == "2023-04-11"
    assert documents[JINTAN_NEW]["in_force_from"] == "2023-04-11"
    assert JINTAN_OLD in body["detail"] and "2023-04-11" in body["detail"]


def test_deadline_into_an_unloaded_year_is_422_naming_it(kunshan: httpx.Client) -> None:
    facts = {**IMPLEMENTATION_FACTS, "decided_on": "2026-12-30"}
    body = problem(evaluate(kunshan, "implementation", facts, on="2026-12-30"), 422, "calendar-year-missing")
    assert body["year"] == 2027
    assert "/v1/calendar/years/2027" in body["detail"]


def test_any_facts_give_a_4xx_never_a_5xx(kunshan: httpx.Client, jintan: httpx.Client) -> None:
    junk = [None, True, 0, -1, "", "x", "2026-02-30", [], ["x"], [{"kind": 1, "decided_on": "bad"}], {"a": 1}]
    for client in (kunshan, jintan):
        for decision in client.get("/v1/rules/decisions").json():
            for value in junk:
                facts = dict.fromkeys(decision["inputs"], value)
                response = evaluate(client, decision["name"], facts)
                assert response.status_code in (200, 422), (decision["name"], value, response.text)
