from __future__ import annotations

import datetime as dt

import pytest

from wenze.rules import RulesError, get_pack
from wenze_review.errors import RulesUnavailable


def _engine_error(decision: str, facts: dict) -> RulesError:
    with pytest.raises(RulesError) as raised:
        get_pack("kunshan").evaluate(decision, facts, dt.date(2026, 5, 1))
    return raised.value


def test_a_step_the_engine_already_names_is_said_once() -> None:
    problem = RulesUnavailable("decision", _engine_error("decision", {})).to_dict(None)
    assert problem["detail"] == "decision: fact 'target_class' is required"
    assert problem["errors"] == [
        {"field": "facts.target_class", "reason": "fact 'target_class' is required", "code": "rules_cannot_answer"}
    ]


def test_a_step_named_otherwise_keeps_its_name() -> None:
    problem = RulesUnavailable("decision numbering", RulesError("no numbering kind 'decision'")).to_dict(None)
    assert problem["detail"] == "decision numbering: no numbering kind 'decision'"
    assert problem["errors"] == [
        {"field": "decision numbering", "reason": "no numbering kind 'decision'", "code": "rules_cannot_answer"}
    ]
