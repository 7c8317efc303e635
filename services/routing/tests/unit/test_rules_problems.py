"""Engine errors map to 4xx problems."""

from __future__ import annotations

import datetime as dt

import pytest

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
