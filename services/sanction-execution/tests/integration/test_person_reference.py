"""Persons by the reference intake derives from their identity number (ADR 0044): namesakes of
one unit stay apart, a person who moves unit keeps their after-effects and history, and the
person is found by the number, which is never handed back."""

from __future__ import annotations

import datetime as dt

import pytest

from wenze.persons import DEVELOPMENT_KEY, PersonReferences

from .conftest import decision, deliver

pytestmark = pytest.mark.integration

REFERENCES = PersonReferences(DEVELOPMENT_KEY)
FIRST = "320482198001010014"
SECOND = "320482198001010022"
MOVER = "320482197503030053"
ADMONISHMENT_ARTICLE = "坛作组办〔2019〕2号 第十九条第二款"


def jintan_person(name: str, unit: str, number: str | None) -> dict:
    target = {"kind": "person", "name": name, "unit": unit, "post": "科员", "cadre_level": "staff"}
    if number is not None:
        target["person_ref"] = REFERENCES.reference("jintan", number)
    return target


def admonished(target: dict, on: dt.date):
    return decision("jintan", decided_on=on, decided_by="competent_unit", target=target, measures=["admonishment"])


async def test_namesakes_of_one_unit_with_two_numbers_are_two_persons(execution_api, executions, client_for) -> None:
    first = admonished(jintan_person("刘洋", "区水务局", FIRST), dt.date(2026, 6, 10))
    second = admonished(jintan_person("刘洋", "区水务局", SECOND), dt.date(2026, 9, 1))
    unnumbered = admonished(jintan_person("刘洋", "区水务局", None), dt.date(2026, 9, 2))
    for event in (first, second, unnumbered):
        await deliver(executions, event)
    unit = client_for(execution_api, "wenze-jintan", "jt-unit-education")

    named = unit.get("/v1/persons", params={"name": "刘洋", "unit": "区水务局"}).json()
    assert sorted(p["identified_by"] for p in named) == ["name_and_unit", "person_ref", "person_ref"]

    found = unit.post("/v1/persons/search", json={"identity_number": FIRST})
    assert found.status_code == 200, found.text
    assert FIRST not in found.text
    (person,) = found.json()
    assert (person["name"], person["unit"], person["identified_by"]) == ("刘洋", "区水务局", "person_ref")
    history = unit.get(f"/v1/persons/{person['id']}/history").json()
    assert [e["decision_number"] for e in history["entries"]] == [first.number]

    (other,) = unit.post("/v1/persons/search", json={"identity_number": SECOND}).json()
    assert other["id"] != person["id"]
    on_christmas = {"date": "2026-12-25", "for": "promotion"}
    # The first was admonished on 10 June: free from 10 December. The second is barred to 1 March.
    assert unit.post("/v1/persons/eligibility", json={"identity_number": FIRST, **on_christmas}).json()["eligible"]
    barred = unit.post("/v1/persons/eligibility", json={"identity_number": SECOND, **on_christmas})
    assert barred.status_code == 200, barred.text
    assert SECOND not in barred.text
    answer = barred.json()
    assert (answer["person_id"], answer["eligible"], answer["until"]) == (other["id"], False, "2027-03-01")
    assert answer["citations"] == [ADMONISHMENT_ARTICLE]
    assert second.number in answer["reason"] and first.number not in answer["reason"]


async def test_a_person_who_moves_unit_keeps_their_after_effects_and_history(
    execution_api, executions, client_for
) -> None:
    in_education = admonished(jintan_person("郑伟", "区教育局", MOVER), dt.date(2026, 6, 10))
    in_health = admonished({**jintan_person("郑伟", "区卫生健康委", MOVER), "post": "副主任"}, dt.date(2026, 11, 2))
    for event in (in_education, in_health):
        await deliver(executions, event)
    # A decision older than the latest, arriving late, does not move the person back.
    earlier = admonished(jintan_person("郑伟", "区发展改革局", MOVER), dt.date(2026, 3, 2))
    await deliver(executions, earlier)
    unit = client_for(execution_api, "wenze-jintan", "jt-unit-education")

    (person,) = unit.post("/v1/persons/search", json={"identity_number": MOVER}).json()
    assert (person["unit"], person["post"], person["identified_by"]) == ("区卫生健康委", "副主任", "person_ref")
    assert unit.get("/v1/persons", params={"name": "郑伟", "unit": "区教育局"}).json() == []

    history = unit.get(f"/v1/persons/{person['id']}/history").json()
    assert sorted(e["decision_number"] for e in history["entries"]) == sorted(
        [earlier.number, in_education.number, in_health.number]
    )
    by_id = unit.post(
        "/v1/persons/eligibility", json={"person_id": person["id"], "date": "2026-12-01", "for": "promotion"}
    ).json()
    # Both admonishments hold on 1 December: the one from the old unit has not been lost.
    assert by_id["eligible"] is False and by_id["until"] == "2027-05-02"
    assert {b["decision_number"] for b in by_id["bars"]} == {in_education.number, in_health.number}
    assert by_id["citations"] == [ADMONISHMENT_ARTICLE]


async def test_an_identity_number_is_checked_and_never_echoed(execution_api, client_for) -> None:
    unit = client_for(execution_api, "wenze-jintan", "jt-unit-education")
    bad = unit.post(
        "/v1/persons/eligibility",
        json={"identity_number": "320482198001010015", "date": "2026-12-25", "for": "promotion"},
    )
    assert bad.status_code == 422
    assert bad.headers["content-type"].startswith("application/problem+json")
    assert bad.json()["errors"][0]["field"] == "body.identity_number"
    assert "check digit" in bad.json()["errors"][0]["reason"]
    assert "320482198001010015" not in bad.text

    both = unit.post(
        "/v1/persons/eligibility",
        json={"identity_number": FIRST, "person_id": "x", "date": "2026-12-25", "for": "promotion"},
    )
    assert both.status_code == 422 and "one of the two" in both.text

    # Known in Jintan, unknown in Kunshan: the reference is the tenant's own.
    kunshan = client_for(execution_api, "wenze-kunshan", "ks-supervision-1")
    unknown = kunshan.post(
        "/v1/persons/eligibility", json={"identity_number": MOVER, "date": "2026-12-25", "for": "promotion"}
    )
    assert unknown.status_code == 404
    assert MOVER not in unknown.text
    assert kunshan.post("/v1/persons/search", json={"identity_number": MOVER}).json() == []
