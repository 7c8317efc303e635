"""Engine errors map to 4xx problems; the calendar store keeps an operator's file for a year."""

from __future__ import annotations

import asyncio
import datetime as dt
from pathlib import Path

import pytest

from wenze.auth import Principal
from wenze.calendar import YearDefinition, dump_year_definition
from wenze.rules import (
    ConflictError,
    DeadlineUncomputableError,
    FactError,
    NoMatchError,
    NoRuleTextLoadedError,
    OutOfPeriodError,
    RulesError,
    UnknownDecisionError,
)
from wenze_routing.calendar.service import CalendarStore
from wenze_routing.rules.service import problem_for

ON = dt.date(2019, 1, 1)


@pytest.mark.parametrize(
    "error,status,slug",
    [
        (FactError("d: fact 'x': expects an integer", fact="x"), 422, "invalid-facts"),
        (UnknownDecisionError("no d", decision="d"), 404, "unknown-decision"),
        (NoMatchError("no match", table="t"), 422, "no-rule-matched"),
        (OutOfPeriodError("out", on=ON, documents=[]), 422, "out-of-period"),
        (NoRuleTextLoadedError("no text", on=ON, documents=[]), 422, "no-rule-text-loaded"),
        (DeadlineUncomputableError("2027 missing", year=2027), 422, "calendar-year-missing"),
        (ConflictError("conflict", output="o", rule="r"), 422, "conflicting-outputs"),
        (RulesError("anything else"), 422, "rules-refused"),
    ],
)
def test_engine_errors_are_4xx_problems(error: RulesError, status: int, slug: str) -> None:
    problem = problem_for(error, "d")
    body = problem.to_dict()
    assert body["status"] == status
    assert body["type"].endswith(f"/{slug}")


def test_fact_error_names_the_field_and_keeps_only_the_reason() -> None:
    body = problem_for(FactError("d: fact 'x': expects an integer", fact="x"), "d").to_dict()
    assert body["fact"] == "x"
    assert body["errors"] == [{"field": "body.facts.x", "reason": "expects an integer", "code": "invalid_facts"}]


def test_operator_file_for_a_year_is_overwritten_in_its_own_format(tmp_path: Path) -> None:
    original = YearDefinition(year=2030, holidays=[{"date": "2030-01-01", "name": "元旦"}])
    dump_year_definition(original, tmp_path / "notice-2030.json")
    store = CalendarStore(tmp_path)
    assert store.years().loaded[0].file == "notice-2030.json"

    updated = YearDefinition(
        year=2030, holidays=[{"date": "2030-01-01", "name": "元旦"}, {"date": "2030-01-02", "name": "元旦"}]
    )
    principal = Principal(tenant="kunshan", subject="s", username="u", roles=frozenset({"calendar:admin"}))
    stored = asyncio.run(store.store(2030, updated, principal))

    assert stored.created is False
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notice-2030.json"]
    assert CalendarStore(tmp_path).calendar.is_working_day(dt.date(2030, 1, 2)) is False
    assert store.calendar.is_working_day(dt.date(2030, 1, 2)) is False
