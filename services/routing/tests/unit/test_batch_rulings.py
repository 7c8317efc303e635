"""A routed batch asks the pack each distinct question once (``BatchRulings``): matters with the
same facts, date and readings share one evaluation and one explanation, which are those the
matter would get on its own, and a matter differing in any of them is evaluated afresh."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

from wenze.events import TargetSnapshot
from wenze.rules import RulePack, get_pack, rulesets_dir
from wenze.rules.facts import matter_facts, target_facts
from wenze_routing.slips.models import SlipState
from wenze_routing.slips.service import BatchRulings, Judged, choose_procedure, evaluate_routing, rule_on

ON = dt.date(2026, 4, 30)
# Before the Kunshan rules took force (2019-07-19): no routing rule answers.
BEFORE_THE_RULES = dt.date(2019, 1, 1)
POINT = "monthly_figures_rest_day"


def town_cadre(name: str, cadre_level: str = "not_city_managed") -> TargetSnapshot:
    return TargetSnapshot(kind="person", name=name, cadre_level=cadre_level, sector="district_town", unit="玉山镇")


def facts_of(target: TargetSnapshot) -> dict:
    return matter_facts("city_government", False, "form_2", [target]) | target_facts(target)


def ruled(rulings: BatchRulings, pack: RulePack, facts: dict, on: dt.date = ON, readings: dict[str, str] | None = None):
    choice = rulings.choice(pack, facts, on)
    if choice[1] is not None:
        return rulings.ruling(pack, choice, Judged(facts, None, choice[1]))
    procedure = choice[0].procedure if choice[0] else None
    judged = rulings.judge(pack, None, "routing", facts, on, procedure, readings or {})
    return rulings.ruling(pack, choice, judged)


def alone(pack: RulePack, facts: dict, on: dt.date = ON, readings: dict[str, str] | None = None):
    """The same question asked without the memo, as a slip opened on its own is."""
    choice = choose_procedure(pack, facts, on)
    if choice[1] is not None:
        return rule_on(pack, choice, Judged(facts, None, choice[1]))
    procedure = choice[0].procedure if choice[0] else None
    return rule_on(pack, choice, Judged(facts, *evaluate_routing(pack, None, facts, on, procedure, readings or {})))


def test_matters_with_the_same_facts_share_one_ruling_equal_to_their_own() -> None:
    pack, rulings = get_pack("kunshan"), BatchRulings()
    first = ruled(rulings, pack, facts_of(town_cadre("刘洋")))
    # Another person of the same kind, level and place: the same facts, so the same answer.
    second = ruled(rulings, pack, facts_of(town_cadre("王芳")))
    assert second is first
    on_its_own = alone(pack, facts_of(town_cadre("王芳")))
    assert first.columns == on_its_own.columns
    assert first.detail == on_its_own.detail
    assert first.columns["explanation"] and first.state == SlipState.ROUTED


def test_facts_differing_in_one_field_are_routed_on_their_own() -> None:
    pack, rulings = get_pack("kunshan"), BatchRulings()
    town = ruled(rulings, pack, facts_of(town_cadre("刘洋")))
    city_managed = ruled(rulings, pack, facts_of(town_cadre("刘洋", cadre_level="city_managed")))
    # A city-managed cadre goes to a consultation; the town cadre straight to the town commission.
    assert (town.state, city_managed.state) == (SlipState.ROUTED, SlipState.IN_CONSULTATION)
    assert city_managed.columns == alone(pack, facts_of(town_cadre("刘洋", cadre_level="city_managed"))).columns
    # True is not 1 in a key: a fact of another type is another question.
    facts = facts_of(town_cadre("刘洋"))
    as_number = rulings.judge(pack, None, "routing", facts | {"party_member": 1}, ON, None, {})
    assert rulings.judge(pack, None, "routing", facts | {"party_member": True}, ON, None, {}) is not as_number


def test_the_relevant_date_is_part_of_the_question() -> None:
    pack, rulings = get_pack("kunshan"), BatchRulings()
    facts = facts_of(town_cadre("刘洋"))
    in_force = ruled(rulings, pack, facts)
    before = ruled(rulings, pack, facts, on=BEFORE_THE_RULES)
    assert in_force.judged.error is None and in_force.state == SlipState.ROUTED
    assert before.judged.error is not None and before.state == SlipState.AWAITING_HANDLER
    assert before.columns == alone(pack, facts, on=BEFORE_THE_RULES).columns


def test_the_readings_in_force_are_part_of_the_question(tmp_path: Path) -> None:
    # A test variant of the Kunshan pack whose routing decision names a point (no shipped
    # routing decision does; see test_routing_readings.py): the variant is not the law.
    base = tmp_path / "kunshan"
    shutil.copytree(rulesets_dir() / "kunshan", base)
    routing = base / "decisions" / "routing.yaml"
    marker = "relevant_date: the date the matter is routed\n"
    routing.write_text(routing.read_text("utf-8").replace(marker, marker + f"points: [{POINT}]\n", 1), "utf-8")
    pack, rulings = RulePack(base), BatchRulings()
    facts = facts_of(town_cadre("刘洋"))

    by_default = ruled(rulings, pack, facts)
    chosen = ruled(rulings, pack, facts, readings={POINT: "next_working_day"})
    assert chosen is not by_default
    read_as = [
        e["outputs"]["reading"] for r in (by_default, chosen) for e in r.columns["explanation"] if e["rule"] == POINT
    ]
    assert read_as == ["fixed_28th", "next_working_day"]
    assert chosen.columns == alone(pack, facts, readings={POINT: "next_working_day"}).columns
