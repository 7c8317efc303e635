from __future__ import annotations

import datetime as dt

from wenze.events.routing import RuleStep
from wenze_review.logic import (
    Opinion,
    accountability_history,
    as_list,
    consensus,
    normalise_steps,
    outside_permitted,
    recommendation_facts,
)

PARTICIPANTS = ["a", "b"]


def test_incomplete_round_has_no_outcome() -> None:
    assert consensus(PARTICIPANTS, [Opinion("a", True, "h")], "h", choose_handler=True) == (False, None)


def test_unanimous_agreement_names_the_proposed_handler() -> None:
    opinions = [Opinion("a", True, "h"), Opinion("b", True, "h")]
    assert consensus(PARTICIPANTS, opinions, "h", choose_handler=True) == (True, "h")


def test_everyone_naming_the_same_other_handler_is_consensus() -> None:
    opinions = [Opinion("a", False, "x"), Opinion("b", False, "x")]
    assert consensus(PARTICIPANTS, opinions, "h", choose_handler=True) == (True, "x")


def test_divided_round_has_no_handler() -> None:
    opinions = [Opinion("a", True, "h"), Opinion("b", False, "x")]
    assert consensus(PARTICIPANTS, opinions, "h", choose_handler=True) == (True, None)


def test_joint_review_is_unanimous_only_when_all_agree() -> None:
    assert consensus(
        PARTICIPANTS, [Opinion("a", True, None), Opinion("b", True, None)], None, choose_handler=False
    ) == (True, "")
    assert consensus(
        PARTICIPANTS, [Opinion("a", True, None), Opinion("b", False, None)], None, choose_handler=False
    ) == (True, None)


def test_steps_accept_the_pack_spelling_and_the_event_model() -> None:
    steps = normalise_steps(
        [{"step": "s1", "actor": "x", "with": ["y"], "action": "商议"}, RuleStep(step="s2", actor="z", joined_by=["w"])]
    )
    assert steps == [
        {"step": "s1", "actor": "x", "joined_by": ["y"], "action": "商议"},
        {"step": "s2", "actor": "z", "joined_by": ["w"], "action": None},
    ]


def test_history_counts_the_year_before_the_occurrence() -> None:
    earlier = [dt.date(2023, 5, 1), dt.date(2024, 5, 2), dt.date(2024, 12, 1), dt.date(2025, 5, 2)]
    facts = accountability_history(earlier, dt.date(2025, 5, 2))
    assert facts == {"last_accountability_on": "2025-05-02", "prior_accountabilities": 2}
    assert accountability_history([], None) == {}
    assert accountability_history([], dt.date(2024, 2, 29)) == {"prior_accountabilities": 0}


def test_recommendation_facts_use_the_contract_names() -> None:
    facts = recommendation_facts(
        {
            "severity": "heavier",
            "proposed_measures": ["x"],
            "statement": "not a fact",
            "occurred_on": dt.date(2025, 1, 2),
            "duty_holder": None,
        }
    )
    assert facts == {"severity": "heavier", "proposed_measures": ["x"], "occurred_on": "2025-01-02"}


def test_measures_outside_the_permitted_set() -> None:
    assert outside_permitted(["a", "b"], ["a"]) == ["b"]
    assert outside_permitted(["a"], None) == ["a"]
    assert as_list("x") == ["x"] and as_list(None) == [] and as_list(["x", "y"]) == ["x", "y"]
