import itertools

import pytest

from wenze.rules import get_pack
from wenze.rules.errors import RulesError
from wenze_devtools.bench.kunshan_routing import KunshanRouting
from wenze_devtools.bench.rules import ON, run_rules_bench


def test_bench_reports_the_engine_against_the_hand_written_decision() -> None:
    result = run_rules_bench(0.2)
    assert result["decisions_per_second"] > 0 and result["hand_written_per_second"] > 0
    assert len(result["ratios"]) >= 2 and result["ratio"] > 0
    assert 0 < result["p50_latency_us"] <= result["p99_latency_us"]
    assert result["samples"] >= 100


FORMS = [
    [],
    ["form_1"],
    ["form_2"],
    ["form_3"],
    ["form_4"],
    ["form_1", "form_2"],
    ["form_1", "form_3"],
    ["form_2", "form_4"],
]


@pytest.mark.parametrize("target_kind", ["person", "organisation", "unknown"])
def test_the_hand_written_routing_answers_as_the_kunshan_pack(target_kind: str) -> None:
    """The baseline stands for the pack's decision: the same outcome and the same explanation
    (rules, the facts they read, what they set, their citations) for every combination."""
    pack, by_hand = get_pack("kunshan"), KunshanRouting()
    compared = 0
    for cadre, org, sector, forms, multiple, key in itertools.product(
        [None, "city_managed", "not_city_managed"],
        [None, "township_section", "below_township_section"],
        ["district_town", "city_department", "people_organisation", "direct_unit", "state_enterprise"],
        FORMS,
        [False, True],
        [False, True],
    ):
        facts = {
            "target_kind": target_kind,
            "sector": sector,
            "proposed_forms": forms,
            "multiple_parties": multiple,
            "key_supervised": key,
        }
        facts |= {"cadre_level": cadre} if cadre else {}
        facts |= {"organisation_level": org} if org else {}
        try:
            evaluation = pack.evaluate("routing", facts, ON)
        except RulesError:
            with pytest.raises(ValueError):
                by_hand(facts)
            continue
        outcome, explanation = by_hand(facts)
        assert outcome == evaluation.outcome, facts
        assert [(r["table"], r["rule"], r["facts"], r["outputs"], r["citations"]) for r in explanation] == [
            (f.table, f.rule, f.facts, f.outputs, f.citations) for f in evaluation.explanation
        ], facts
        compared += 1
    assert compared > 100
