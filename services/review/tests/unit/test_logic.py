from __future__ import annotations

import datetime as dt

from wenze.events.routing import RuleStep
from wenze_review.logic import (
    Opinion,
    PriorDecision,
    accountability_history,
    approvals_open,
    as_list,
    consensus,
    merge_sequences,
    normalise_steps,
    outside_permitted,
    recommendation_facts,
    stage_before,
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


def test_history_counts_the_year_before_the_occurrence_and_names_what_it_counted() -> None:
    earlier = [
        PriorDecision(f"D-{on}", on)
        for on in (dt.date(2024, 12, 1), dt.date(2023, 5, 1), dt.date(2025, 5, 2), dt.date(2024, 5, 2))
    ]
    history = accountability_history(earlier, dt.date(2025, 5, 2))
    assert history.facts == {"last_accountability_on": "2025-05-02", "prior_accountabilities": 2}
    assert [d.number for d in history.counted] == ["D-2024-05-02", "D-2024-12-01"]
    assert history.counted[0].as_record() == {"number": "D-2024-05-02", "decided_on": "2024-05-02"}
    assert accountability_history(earlier, None).counted == []
    assert accountability_history([], None).facts == {}
    assert accountability_history([], dt.date(2024, 2, 29)).facts == {"prior_accountabilities": 0}


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


def stage(step: str, actor: str, *joined_by: str) -> dict:
    return {"step": step, "actor": actor, "joined_by": list(joined_by), "action": None}


# Kunshan 附件6: the leaders approve the joint-review opinion, the standing committee reviews a
# sanction, the organisation department agrees on organisational measures, the city party
# secretary approves them.
LEADERS = stage("joint_review_approval", "principal_leader", "leader_in_charge")
COMMITTEE = stage("standing_committee_review", "standing_committee_meeting")
DEPARTMENT = stage("consult_organisation_department", "city_organisation_department")
SECRETARY = stage("party_secretary_approval", "city_party_secretary")
ALL = [
    "principal_leader",
    "leader_in_charge",
    "standing_committee_meeting",
    "city_organisation_department",
    "city_party_secretary",
]


def test_sequences_of_several_targets_merge_into_one_order() -> None:
    # One target with a sanction only, one with organisational measures only.
    order = [s["step"] for s in (LEADERS, COMMITTEE, DEPARTMENT, SECRETARY)]
    merged = merge_sequences([[LEADERS, COMMITTEE], [LEADERS, DEPARTMENT, SECRETARY]], order)
    assert [s["step"] for s in merged] == [
        "joint_review_approval",
        "standing_committee_review",
        "consult_organisation_department",
        "party_secretary_approval",
    ]
    assert merge_sequences([[SECRETARY], [COMMITTEE, DEPARTMENT]], order) == [COMMITTEE, DEPARTMENT, SECRETARY]
    assert merge_sequences([[LEADERS, DEPARTMENT], [COMMITTEE, DEPARTMENT, SECRETARY]], order) == [
        LEADERS,
        COMMITTEE,
        DEPARTMENT,
        SECRETARY,
    ]
    assert merge_sequences([], order) == []


def test_an_approval_waits_for_every_earlier_stage() -> None:
    sequence = [LEADERS, COMMITTEE, DEPARTMENT, SECRETARY]
    assert stage_before(sequence, ALL, set(), "principal_leader") is None
    assert stage_before(sequence, ALL, set(), "leader_in_charge") is None
    assert stage_before(sequence, ALL, {"principal_leader"}, "city_party_secretary") == (
        LEADERS,
        ["leader_in_charge"],
    )
    approved = {"principal_leader", "leader_in_charge"}
    assert stage_before(sequence, ALL, approved, "city_party_secretary") == (COMMITTEE, ["standing_committee_meeting"])
    assert (
        stage_before(sequence, ALL, approved | {"standing_committee_meeting"}, "city_organisation_department") is None
    )


def test_a_stage_the_decision_does_not_require_is_not_waited_for() -> None:
    # No sanction: the standing committee is not among the required approvals.
    required = ["principal_leader", "leader_in_charge", "city_organisation_department", "city_party_secretary"]
    sequence = [LEADERS, COMMITTEE, DEPARTMENT, SECRETARY]
    assert (
        stage_before(sequence, required, {"principal_leader", "leader_in_charge"}, "city_organisation_department")
        is None
    )
    # An approval in no stage may be given at any time.
    assert stage_before(sequence, [*required, "commission_leaders"], set(), "commission_leaders") is None


def test_only_the_approvals_whose_turn_it_is_are_open() -> None:
    sequence = [LEADERS, COMMITTEE, DEPARTMENT, SECRETARY]
    assert approvals_open(sequence, ALL, set()) == ["principal_leader", "leader_in_charge"]
    assert approvals_open(sequence, ALL, {"principal_leader"}) == ["leader_in_charge"]
    assert approvals_open(sequence, ALL, {"principal_leader", "leader_in_charge"}) == ["standing_committee_meeting"]
    assert approvals_open([], ["a", "b"], {"a"}) == ["b"]
